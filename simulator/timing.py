"""When things happen in a simulated response: time to first token, total time, chunk schedule."""

from __future__ import annotations

import random
from dataclasses import dataclass

from .faults import FaultSettings


@dataclass(frozen=True)
class Timing:
    ttft: float  # seconds from arrival to the first content (and to a simulated failure)
    total: float  # seconds from arrival to the last byte


def draw(settings: FaultSettings, rng: random.Random) -> Timing:
    latency = settings.latencyMs
    if settings.jitterMs:
        latency += rng.uniform(-settings.jitterMs, settings.jitterMs)
    ttft = settings.ttftMs / 1000
    # A reply cannot end before its first token: when ttftMs > latencyMs, ttftMs wins.
    return Timing(ttft=ttft, total=max(latency / 1000, ttft))


def spread(timing: Timing, count: int) -> list[float]:
    """Offsets of `count` content chunks: the first at ttft, then evenly towards total.

    The closing chunk (finish reason, usage) is sent at `total` by the caller, so the last
    content chunk lands one step before it, as with a real model emitting at a steady pace.
    """
    if count <= 0:
        return []
    step = (timing.total - timing.ttft) / count
    return [timing.ttft + i * step for i in range(count)]

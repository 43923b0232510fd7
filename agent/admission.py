"""Back-pressure: how many calls the agent makes at once, overall and per model, and the refusal beyond.

A call is admitted before anything else happens to it (before the provider is called, before a span or
a metric of the call exists) or refused at once with OverloadedError, which the app answers with HTTP 503
`{"error": "overloaded"}` and `Retry-After`. Refusing is better than queueing: a call that waits behind
a saturated agent either misses its caller's deadline or is measured late, and the service can try
another model or tell its own caller to retry. Nothing waits here, so there is no queue to bound.

The limits are per agent; with several worker processes each worker enforces its share (the limit
divided by the workers, rounded up), since the kernel spreads connections over the workers.
Everything runs on one event loop per process, so plain counters need no lock.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Literal

from agent.settings import RETRY_AFTER_S

Scope = Literal["agent", "model"]


class OverloadedError(Exception):
    """The agent (or the model's share of it) already has its limit of calls in flight."""

    def __init__(self, scope: Scope, limit: int, retry_after_s: int) -> None:
        what = "the agent" if scope == "agent" else "this model"
        super().__init__(f"{what} already has {limit} calls in flight; retry after {retry_after_s} s")
        self.scope, self.limit, self.retry_after_s = scope, limit, retry_after_s


@dataclass(frozen=True)
class CallLimits:
    max_calls: int
    max_calls_per_model: int
    retry_after_s: int = RETRY_AFTER_S

    def per_worker(self, workers: int) -> CallLimits:
        return CallLimits(
            math.ceil(self.max_calls / workers), math.ceil(self.max_calls_per_model / workers), self.retry_after_s
        )


class Ticket:
    """One admitted call; `release` is idempotent, so every path that may end the call can call it."""

    __slots__ = ("_admission", "_key", "_released")

    def __init__(self, admission: Admission, key: Hashable) -> None:
        self._admission, self._key, self._released = admission, key, False

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._admission._leave(self._key)


class Admission:
    def __init__(self, limits: CallLimits, on_change: Callable[[int], None] | None = None) -> None:
        """`on_change` is told the number of calls in flight whenever it changes (a gauge)."""
        self.limits = limits
        self.in_flight = 0
        self._per_model: dict[Hashable, int] = {}
        self._on_change = on_change

    def admit(self, model_key: Hashable) -> Ticket:
        """A ticket for one call of `model_key`, or OverloadedError when a limit is reached."""
        limits = self.limits
        if self.in_flight >= limits.max_calls:
            raise OverloadedError("agent", limits.max_calls, limits.retry_after_s)
        of_model = self._per_model.get(model_key, 0)
        if of_model >= limits.max_calls_per_model:
            raise OverloadedError("model", limits.max_calls_per_model, limits.retry_after_s)
        self.in_flight += 1
        self._per_model[model_key] = of_model + 1
        if self._on_change is not None:
            self._on_change(self.in_flight)
        return Ticket(self, model_key)

    def _leave(self, model_key: Hashable) -> None:
        self.in_flight -= 1
        left = self._per_model[model_key] - 1
        if left:
            self._per_model[model_key] = left
        else:
            del self._per_model[model_key]  # idle models hold no entry: the map is bounded by calls in flight
        if self._on_change is not None:
            self._on_change(self.in_flight)

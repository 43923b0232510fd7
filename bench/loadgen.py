"""Open-loop load at a constant arrival rate, free of coordinated omission.

Request i is due at t0 + i/rate whatever happened to earlier ones (the way vegeta `-rate` and k6
`constant-arrival-rate` work); its latency runs from that due time to the last byte of the answer,
so time spent waiting on a busy server or a late generator is counted. A request that gets no
answer within `timeout_s` is a timeout and counts as an infinite latency in the percentiles (never
dropped); an answer with another status than `expect_status` is an error and keeps its latency.
Clock: time.perf_counter() (uvloop's loop.time() has 1 ms resolution).

Client: rawhttp.Client (HTTP/1.1 keep-alive on asyncio streams, uvloop), not httpx: measured here
against the simulator at a fixed 50 ms, httpx used 1.5 ms CPU per request at 100 req/s, 1.9 ms at
200 and 4 ms at 400 (where it fell behind and timed out), rawhttp 0.2-0.3 ms at every rate.
aiohttp is not in the repo's lock file. `--client httpx` switches back for comparison.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import rawhttp

DEFAULT_TIMEOUT_S = 10.0
MAX_CONNECTIONS = 1000


@dataclass
class Outcome:
    due: float  # seconds after t0
    sent_late_ms: float  # how late the generator sent it (its own lag; included in latency_ms)
    latency_ms: float  # math.inf for a timeout
    status: int | None  # None when no HTTP answer
    error: str | None
    body: Any = None
    # Back-pressure: a 503 `overloaded` with Retry-After, counted apart from errors (README, back-pressure).
    refused: bool = False


@dataclass
class RunResult:
    rate: float
    duration_s: float
    outcomes: list[Outcome] = field(default_factory=list)
    elapsed_s: float = 0.0  # t0 to the last answer
    send_span_s: float = 0.0  # t0 to the last send
    slices: int = 1

    def summary(self) -> dict[str, Any]:
        lat = sorted(o.latency_ms for o in self.outcomes)
        errors = Counter(
            o.error or f"HTTP {o.status}" for o in self.outcomes if (o.error or o.status is None) and not o.refused
        )
        refused = sorted(o.latency_ms for o in self.outcomes if o.refused)
        answered = sorted(o.latency_ms for o in self.outcomes if o.error is None)
        timeouts = sum(1 for o in self.outcomes if o.error == "timeout")
        late = sorted(o.sent_late_ms for o in self.outcomes)
        return {
            "targetRate": self.rate,
            "durationS": self.duration_s,
            "slices": self.slices,
            "sent": len(self.outcomes),
            "achievedSendRate": round((len(self.outcomes) - self.slices) / self.send_span_s, 1)
            if self.send_span_s
            else None,
            "answeredPerS": round(sum(1 for o in self.outcomes if o.status is not None) / self.elapsed_s, 1)
            if self.elapsed_s
            else None,
            "ok": sum(1 for o in self.outcomes if o.error is None),
            "errors": sum(errors.values()) - timeouts,
            "timeouts": timeouts,
            "errorKinds": dict(errors),
            "refused": len(refused),
            "refusedLatencyMs": {"p50": pct(refused, 50), "p99": pct(refused, 99), "max": pct(refused, 100)},
            "answeredLatencyMs": {"p50": pct(answered, 50), "p99": pct(answered, 99), "max": pct(answered, 100)},
            "latencyMs": {"p50": pct(lat, 50), "p95": pct(lat, 95), "p99": pct(lat, 99), "max": pct(lat, 100)},
            "generatorLateMs": {"p50": pct(late, 50), "p99": pct(late, 99), "max": pct(late, 100)},
        }


def merge(runs: list[RunResult]) -> RunResult:
    """Slices of one arm pooled: outcomes together, durations and spans summed."""
    out = RunResult(runs[0].rate, sum(r.duration_s for r in runs), slices=len(runs))
    for r in runs:
        out.outcomes += r.outcomes
        out.elapsed_s += r.elapsed_s
        out.send_span_s += r.send_span_s
    return out


def pct(sorted_values: list[float], p: float) -> float | None:
    """Nearest-rank percentile; inf (a timeout) shows as None-safe 'inf' in JSON via str."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    v = sorted_values[rank - 1]
    return v if math.isinf(v) else round(v, 2)


CLIENT_KIND = "rawhttp"


def make_client(base_url: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> Any:
    if CLIENT_KIND == "rawhttp":
        return rawhttp.Client(base_url)
    limits = httpx.Limits(
        max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS, keepalive_expiry=60
    )
    return httpx.AsyncClient(base_url=base_url, limits=limits, timeout=timeout_s, http1=True, http2=False)


async def warm(client: Any, path: str, body_for: Callable[[int], dict], connections: int) -> None:
    """Opens `connections` keep-alive connections (concurrent requests) before the measured run."""
    await asyncio.gather(*(client.post(path, json=body_for(i)) for i in range(connections)), return_exceptions=True)


async def _one(
    client: Any,
    path: str,
    body: dict,
    headers: dict | None,
    *,
    expect_status: int,
    t0: float,
    due: float,
    keep_body: bool,
    timeout_s: float,
) -> Outcome:
    late = (time.perf_counter() - (t0 + due)) * 1000
    try:
        async with asyncio.timeout(timeout_s):
            resp = await client.post(path, json=body, headers=headers)
            content = resp.content
    except (TimeoutError, httpx.TimeoutException):
        return Outcome(due, late, math.inf, None, "timeout")
    except (httpx.HTTPError, rawhttp.HttpError, OSError, asyncio.IncompleteReadError) as exc:
        return Outcome(due, late, (time.perf_counter() - t0 - due) * 1000, None, type(exc).__name__)
    latency = (time.perf_counter() - t0 - due) * 1000
    error = None if resp.status_code == expect_status else f"HTTP {resp.status_code}"
    parsed = resp.json() if keep_body and content else None
    retry_after = resp.retry_after if isinstance(resp, rawhttp.Response) else resp.headers.get("retry-after")
    refused = resp.status_code == 503 and retry_after is not None and b'"overloaded"' in content
    return Outcome(due, late, latency, resp.status_code, error, parsed, refused)


async def open_loop(
    client: Any,
    path: str,
    body_for: Callable[[int], dict],
    rate: float,
    duration_s: float,
    *,
    expect_status: int = 200,
    headers_for: Callable[[int], dict] | None = None,
    keep_bodies: bool = False,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    on_answer: Callable[[Outcome], None] | None = None,
    stop: asyncio.Event | None = None,
    t0: float | None = None,
) -> RunResult:
    """Sends round(rate * duration_s) requests, request i due at t0 + i/rate; waits for every answer.

    `stop` ends the schedule early (for a steady background stream); `t0` (a perf_counter time) lets
    the caller relate due times to its own events."""
    n = round(rate * duration_s)
    t0 = time.perf_counter() + 0.05 if t0 is None else t0
    tasks: list[asyncio.Task[Outcome]] = []
    for i in range(n):
        if stop is not None and stop.is_set():
            break
        due = i / rate
        delay = t0 + due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(
            _one(
                client,
                path,
                body_for(i),
                headers_for(i) if headers_for else None,
                expect_status=expect_status,
                t0=t0,
                due=due,
                keep_body=keep_bodies,
                timeout_s=timeout_s,
            )
        )
        if on_answer is not None:
            task.add_done_callback(lambda t: on_answer(t.result()))
        tasks.append(task)
    send_span = time.perf_counter() - t0  # the last request was scheduled just now
    outcomes = list(await asyncio.gather(*tasks))
    return RunResult(rate, len(tasks) / rate, outcomes, elapsed_s=time.perf_counter() - t0, send_span_s=send_span)


def install_uvloop() -> str:
    try:
        import uvloop
    except ImportError:
        return "asyncio"
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return f"uvloop {uvloop.__version__}"

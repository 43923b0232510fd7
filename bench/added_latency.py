"""Part 1: latency Modelwatch adds to an interview start, at a constant arrival rate.

Through Modelwatch: POST {service}/v1/interviews {"primary": PRIMARY, "config": INTERVIEW}.
Baseline: the same load, at the same rate, straight to the agent's SDK path, POST {agent}/v1/interviews
with the body the service sends (service/src/agent/agent-client.ts), traceparent included.
The simulator answers PRIMARY in a fixed 50 ms (first token at 20 ms, no jitter).
Added latency at percentile n = p(n) through Modelwatch - p(n) of the baseline at the same rate.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import httpx
import loadgen
import processes
import resources
from processes import Stack
from resources import ResourceMonitor

PRIMARY = "openai:gpt-4o-mini"
SIM_SETTINGS = {"latencyMs": 50, "jitterMs": 0, "ttftMs": 20, "errorRate": 0, "hang": False}
INTERVIEW = {
    "role": "Backend engineer",
    "seniority": "Senior",
    "candidateName": "Ada Lovelace",
    "company": "Acme",
    "language": "English",
    "questions": ["Tell me about a system you designed.", "How do you test it?"],
}
# What interview-starter.ts sends: attempt timeout min(attemptTimeoutSeconds 20 s, deadline left), maxTokens 120.
AGENT_TIMEOUT_MS = 20_000
AGENT_MAX_TOKENS = 120
PAUSE_BETWEEN_RUNS_S = 1.0
WARMUP_S = 3.0
SATURATION_FACTOR = 4
_warmed: set[tuple[str, str]] = set()
LAG_METRICS = (
    "nodejs_eventloop_lag_p50_seconds",
    "nodejs_eventloop_lag_p99_seconds",
    "nodejs_eventloop_lag_max_seconds",
)


def service_body(_: int) -> dict[str, Any]:
    return {"primary": PRIMARY, "config": INTERVIEW}


def agent_body_for(_sim_url: str):
    def body(i: int) -> dict[str, Any]:
        return {
            "interviewId": f"iv_bench_{i}",
            "modelId": PRIMARY,
            "provider": PRIMARY.split(":", 1)[0],
            "model": PRIMARY.split(":", 1)[1],
            "timeoutMs": AGENT_TIMEOUT_MS,
            "maxTokens": AGENT_MAX_TOKENS,
            "interview": INTERVIEW,
        }

    return body


def traceparent(_: int) -> dict[str, str]:
    # The service propagates a sampled W3C trace context; the baseline does too, so the agent does the same work.
    return {"traceparent": f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"}


async def event_loop_lag(client: httpx.AsyncClient | None) -> dict[str, float] | None:
    """prom-client's event-loop delay of the service since the last scrape (each scrape resets it)."""
    if client is None:
        return None
    text = (await client.get("/metrics")).text
    out = {}
    for name in LAG_METRICS:
        m = re.search(rf"^{name} ([0-9.eE+-]+)$", text, re.M)
        if m:
            out[name.removeprefix("nodejs_eventloop_lag_").removesuffix("_seconds") + "Ms"] = round(
                float(m.group(1)) * 1000, 2
            )
    return out


class Arm:
    """One side of the comparison ("service" or "baseline"): its client, warm-up, and pooled slices."""

    def __init__(self, stack: Stack, target: str, service: processes.RunningProcess | None = None) -> None:
        self.stack, self.target = stack, target
        svc = service or stack.service
        if target == "service" and svc is None:
            raise ValueError("the service arm needs a running service")
        self.base = svc.url if target == "service" and svc else stack.agent.url
        self.body_for = service_body if target == "service" else agent_body_for(stack.sim.url)
        self.expect = 201 if target == "service" else 200
        self.headers_for = None if target == "service" else traceparent
        self.ops_url = svc.url if target == "service" and svc else None
        self.runs: list[loadgen.RunResult] = []
        self.resources: list[dict[str, Any]] = []
        self.lags: list[dict[str, float]] = []

    async def __aenter__(self) -> Arm:
        self.client = loadgen.make_client(self.base)
        if self.target != "service":
            self.client.headers["authorization"] = f"Bearer {processes.AGENT_TOKEN}"
        self.ops = httpx.AsyncClient(base_url=self.ops_url) if self.ops_url else None
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.client.aclose()
        if self.ops:
            await self.ops.aclose()

    async def prepare(self, rate: float) -> None:
        """Opens keep-alive connections; on a process's first use, an unreported warm-up run (JIT, caches)."""
        await loadgen.warm(self.client, "/v1/interviews", self.body_for, min(int(rate * 0.1) + 2, 40))
        key = (self.target, self.base)  # one warm-up per process: its URL names it while it runs
        if key not in _warmed and WARMUP_S > 0:
            _warmed.add(key)
            await loadgen.open_loop(
                self.client,
                "/v1/interviews",
                self.body_for,
                rate,
                WARMUP_S,
                expect_status=self.expect,
                headers_for=self.headers_for,
            )

    async def slice(self, rate: float, seconds: float) -> None:
        await event_loop_lag(self.ops)  # resets the service's event-loop histogram
        monitor = ResourceMonitor(self.stack.procs + self.stack.extra)
        monitor.start()
        self.runs.append(
            await loadgen.open_loop(
                self.client,
                "/v1/interviews",
                self.body_for,
                rate,
                seconds,
                expect_status=self.expect,
                headers_for=self.headers_for,
            )
        )
        self.resources.append(monitor.stop())
        lag = await event_loop_lag(self.ops)
        if lag:
            self.lags.append(lag)

    def result(self) -> dict[str, Any]:
        out = {
            "target": self.target,
            **loadgen.merge(self.runs).summary(),
            "resources": resources.merge_resources(self.resources),
        }
        if self.lags:
            out["serviceEventLoopLag"] = {k: max(lag.get(k, 0) for lag in self.lags) for k in self.lags[0]}
        return out


async def alternate(first: Arm, second: Arm, rate: float, duration_s: float, slice_s: float) -> None:
    """Both arms prepared, then in slices (ABBA...), so drifting background load hits both alike."""
    await first.prepare(rate)
    await second.prepare(rate)
    n = max(1, round(duration_s / slice_s))
    for k in range(n):
        for arm in (first, second) if k % 2 == 0 else (second, first):
            await arm.slice(rate, duration_s / n)
            await asyncio.sleep(PAUSE_BETWEEN_RUNS_S)


async def measure_rate(stack: Stack, rate: float, duration_s: float, slice_s: float) -> dict[str, Any]:
    """Baseline and service alternate in slices."""
    async with Arm(stack, "baseline") as base, Arm(stack, "service") as svc:
        await alternate(base, svc, rate, duration_s, slice_s)
        b, s = base.result(), svc.result()
    return {"rate": rate, "baseline": b, "service": s, "addedMs": added(s, b), "baselineSaturated": saturated(b)}


def saturated(baseline: dict[str, Any]) -> bool:
    """The machine itself queues at this rate: the baseline's p99 is over 4x the simulator's fixed latency."""
    p99 = baseline["latencyMs"]["p99"]
    return p99 is None or p99 > SATURATION_FACTOR * SIM_SETTINGS["latencyMs"]


def added(service: dict[str, Any], baseline: dict[str, Any]) -> dict[str, float | None]:
    out = {}
    for p in ("p50", "p95", "p99"):
        s, b = service["latencyMs"][p], baseline["latencyMs"][p]
        finite = s is not None and b is not None and math.isfinite(s) and math.isfinite(b)
        out[p] = round(s - b, 2) if finite else None  # None: one side's percentile fell among timeouts
    return out


async def set_sim(sim_url: str) -> None:
    async with httpx.AsyncClient(base_url=sim_url) as c:
        (await c.put(f"/admin/models/{PRIMARY.split(':', 1)[1]}", json=SIM_SETTINGS)).raise_for_status()


async def run_rates(stack: Stack, rates: list[float], duration_s: float, slice_s: float) -> list[dict[str, Any]]:
    await set_sim(stack.sim.url)
    rows = []
    for rate in rates:
        row = await measure_rate(stack, rate, duration_s, slice_s)
        rows.append(row)
        b, s = row["baseline"]["latencyMs"], row["service"]["latencyMs"]
        print(
            f"  {rate:>5g} req/s  baseline p50/p99 {b['p50']}/{b['p99']} ms  Modelwatch {s['p50']}/{s['p99']} ms  "
            f"added {row['addedMs']}{'  (baseline saturated)' if row['baselineSaturated'] else ''}",
            flush=True,
        )
    return rows


def sqlite_commit_cost(directory: Path, count: int = 500) -> list[dict[str, Any]]:
    """Per-commit time of the service's interview INSERT (bench/sqlite_commit.mjs) in `directory`,
    synchronous=FULL (what the service uses) and NORMAL: the time each start blocks the event loop."""
    out = []
    for sync in ("FULL", "NORMAL"):
        proc = subprocess.run(
            ["node", str(Path(__file__).with_name("sqlite_commit.mjs")), str(directory), str(count), sync],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        row = json.loads(proc.stdout) if proc.returncode == 0 else {"error": proc.stderr[-300:]}
        out.append({**row, "fsType": fs_type(directory)})
    return out


def fs_type(path: Path) -> str:
    res = subprocess.run(["df", "-T", str(path)], capture_output=True, text=True, check=False).stdout.splitlines()
    return res[-1].split()[1] if len(res) > 1 else "unknown"


async def storage_comparison(
    stack: Stack, make_service, rate: float, duration_s: float, slice_s: float
) -> dict[str, Any] | None:
    """The service with DATA_DIR on disk against a second one with DATA_DIR on tmpfs (/dev/shm, where
    fsync costs nothing), same rate, alternating slices. Both run at once; each probes on its schedule."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or stack.service is None:
        return None
    data = Path(tempfile.mkdtemp(prefix="modelwatch-bench-", dir=shm))
    tmpfs = make_service(data)
    tmpfs.name = "service-tmpfs"
    stack.extra.append(tmpfs)
    try:
        async with Arm(stack, "service") as disk_arm, Arm(stack, "service", tmpfs) as tmpfs_arm:
            await alternate(disk_arm, tmpfs_arm, rate, duration_s, slice_s)
            disk, mem = disk_arm.result(), tmpfs_arm.result()
    finally:
        stack.extra.remove(tmpfs)
        tmpfs.stop()
        shutil.rmtree(data, ignore_errors=True)
    return {"rate": rate, "disk": disk, "tmpfs": mem, "commitTmpfs": sqlite_commit_cost(shm)}

"""Part 2: time to detect a broken primary and to see it recover, with interviews arriving all along.

A fresh service per run (no trip memory from an earlier run). Interviews arrive open-loop at RATE
with primary openai:gpt-4o and no fallbacks (so `auto` picks a same-tier model). Once the primary is
healthy, the simulator fails every call to it (errorRate 1, HTTP 500) at t_down (the moment its admin
PUT answered). GET /v1/health/openai:gpt-4o is polled every 100 ms. After HOLD_S of outage the model is
restored at t_up; we wait for `healthy` again. Each start is classed by its due time: before, during
or after the outage.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import loadgen
from loadgen import Outcome

PRIMARY = "openai:gpt-4o"
SIM_MODEL = "gpt-4o"
RATE = 10.0
POLL_S = 0.1
BROKEN = {"errorRate": 1, "status": 500}
RESTORED = {"errorRate": 0, "status": 500}
READY_TIMEOUT_S = 60.0
RECOVER_TIMEOUT_S = 120.0


class HealthWatch:
    """Polls the primary's verdict every POLL_S and keeps (perf_counter time, state) changes."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client, self.state = client, None
        self.changes: list[tuple[float, str | None]] = []

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                state = (await self.client.get(f"/v1/health/{PRIMARY}")).json()["state"]
            except (httpx.HTTPError, ValueError, KeyError):
                state = "poll-failed"
            if state != self.state:
                self.state = state
                self.changes.append((time.perf_counter(), state))
            await asyncio.sleep(POLL_S)

    async def until(self, predicate, timeout_s: float) -> float | None:
        deadline = time.perf_counter() + timeout_s
        while time.perf_counter() < deadline:
            if predicate(self.state):
                return time.perf_counter()
            await asyncio.sleep(POLL_S / 4)
        return None

    def first_after(self, t: float, states: set[str]) -> float | None:
        return next((at for at, s in self.changes if at >= t and s in states), None)


def classify(outcomes: list[Outcome], t0: float, t_down: float, t_up: float | None) -> dict[str, dict[str, Any]]:
    """Starts per phase: failed (non-201), landed on the broken model, needed a runtime failover."""
    phases: dict[str, list[Outcome]] = {"before": [], "during": [], "after": []}
    for o in outcomes:
        at = t0 + o.due
        phases["before" if at < t_down else "during" if t_up is None or at < t_up else "after"].append(o)
    return {name: phase_figures(items, broken=name == "during") for name, items in phases.items()}


def phase_figures(items: list[Outcome], broken: bool) -> dict[str, Any]:
    bodies = [o.body or {} for o in items if o.status == 201]
    lat = sorted(o.latency_ms for o in items)
    attempts = [b.get("attempts", []) for b in bodies]
    return {
        "starts": len(items),
        "failed": sum(1 for o in items if o.status != 201),
        "onPrimary": sum(1 for b in bodies if b.get("model") == PRIMARY),
        "landedOnBrokenModel": sum(1 for b in bodies if b.get("model") == PRIMARY) if broken else None,
        "runtimeFailovers": sum(1 for a in attempts if len(a) > 1),
        "primaryAttemptsFailed": sum(
            1 for a in attempts for x in a if x.get("modelId") == PRIMARY and x.get("outcome") != "success"
        ),
        "servedBy": {
            m: sum(1 for b in bodies if b.get("model") == m) for m in sorted({str(b.get("model")) for b in bodies})
        },
        "latencyMs": {"p50": loadgen.pct(lat, 50), "p99": loadgen.pct(lat, 99)},
    }


async def experiment(service_url: str, sim_url: str, hold_s: float, pre_s: float) -> dict[str, Any]:
    body = {"primary": PRIMARY, "config": {"role": "Backend engineer", "candidateName": "Ada"}}
    stop_traffic, stop_watch = asyncio.Event(), asyncio.Event()
    async with (
        httpx.AsyncClient(base_url=service_url, timeout=5) as ops,
        httpx.AsyncClient(base_url=sim_url) as sim,
        loadgen.make_client(service_url) as client,
    ):
        watch = HealthWatch(ops)
        watcher = asyncio.create_task(watch.run(stop_watch))
        t0 = time.perf_counter() + 0.05
        traffic = asyncio.create_task(
            loadgen.open_loop(
                client,
                "/v1/interviews",
                lambda i: body,
                RATE,
                3600,
                expect_status=201,
                keep_bodies=True,
                stop=stop_traffic,
                t0=t0,
            )
        )
        ready = await watch.until(lambda s: s == "healthy", READY_TIMEOUT_S)
        await asyncio.sleep(pre_s)
        (await sim.put(f"/admin/models/{SIM_MODEL}", json=BROKEN)).raise_for_status()
        t_down = time.perf_counter()
        detected = await watch.until(lambda s: s == "unhealthy", RECOVER_TIMEOUT_S)
        await asyncio.sleep(hold_s)
        (await sim.put(f"/admin/models/{SIM_MODEL}", json=RESTORED)).raise_for_status()
        t_up = time.perf_counter()
        recovered = await watch.until(lambda s: s == "healthy", RECOVER_TIMEOUT_S)
        await asyncio.sleep(2)
        stop_traffic.set()
        run = await traffic
        stop_watch.set()
        await watcher

    def secs(t: float | None, ref: float) -> float | None:
        return None if t is None else round(t - ref, 2)

    return {
        "secondsUntilHealthyAtStart": secs(ready, t0),
        "detectSeconds": secs(detected, t_down),
        "firstLeftHealthySeconds": secs(watch.first_after(t_down, {"degraded", "unhealthy", "unknown"}), t_down),
        "outageHeldSeconds": round(t_up - t_down, 2),
        "recoverSeconds": secs(recovered, t_up),
        "firstLeftUnhealthySeconds": secs(watch.first_after(t_up, {"healthy", "degraded", "unknown"}), t_up),
        "transitions": [(secs(at, t_down), s) for at, s in watch.changes],
        "phases": classify(run.outcomes, t0, t_down, t_up),
        "traffic": {k: v for k, v in run.summary().items() if k in ("sent", "ok", "errors", "timeouts", "errorKinds")},
    }


async def run_variant(
    label: str, make_service, sim_url: str, probes: dict[str, float], *, hold_s: float, pre_s: float
) -> dict[str, Any]:
    """A fresh service with the given probe schedule, one outage experiment, the service stopped."""
    service = make_service(probes)
    try:
        result = await experiment(service.url, sim_url, hold_s, pre_s)
    finally:
        service.stop()
        async with httpx.AsyncClient(base_url=sim_url) as sim:
            await sim.put(f"/admin/models/{SIM_MODEL}", json=RESTORED)
    print(
        f"  {label}: detected in {result['detectSeconds']} s, healthy again {result['recoverSeconds']} s after "
        "restore; "
        f"during outage: {result['phases']['during']['starts']} starts, {result['phases']['during']['failed']} failed, "
        f"{result['phases']['during']['runtimeFailovers']} runtime failovers",
        flush=True,
    )
    return {"label": label, "probes": probes, "rate": RATE, **result}


def probe_config(base: Path, out: Path, probes: dict[str, float]) -> Path:
    """config/demo.yaml with a `probes:` section (the demo file has none, so defaults apply)."""
    text = base.read_text()
    if probes:
        text += "\nprobes:\n" + "".join(f"  {k}: {v}\n" for k, v in probes.items())
    out.write_text(text)
    return out

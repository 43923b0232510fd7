"""`make bench-outages`: what a voice-interview launcher sees during the outage shapes providers have.

    .venv/bin/python bench/outages.py [--quick] [--only NAME[,NAME]] [--out bench/results]

Real processes (simulator, agent, service built in service/dist) on free ports. Each scenario is a
timeline of simulator fault settings applied through its admin API (scenario.py's settings, driven
from here so every change has a timestamp in the same clock as the load): a fresh service and data
directory, the primary `openai:gpt-4o` healthy, PRE_S of normal traffic, the incident, then the
provider restored and POST_S more. Traffic: 10 starts/s open loop, primary gpt-4o, caller fallback
`openai:gpt-4o-mini` (the same provider endpoint, so the bulkhead is exercised). Every scenario runs
again with no traffic (probes only) for its time to detect. Method and caveats: bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
import loadgen
import processes
import resources
from outage_report import markdown
from processes import REPO, RunningProcess

PRIMARY, FALLBACK, SIM_MODEL = "openai:gpt-4o", "openai:gpt-4o-mini", "gpt-4o"
RATE = 10.0
POLL_S = 0.1
# Simulator token counts for a probe (9 in, 1 out) at gpt-4o's configured price (config/demo.yaml).
PROBE_USD = (9 * 2.50 + 1 * 10.00) / 1e6
NORMAL: dict[str, Any] = {"latencyMs": 150, "ttftMs": 60, "errorRate": 0, "status": 500, "hang": False}


@dataclass
class Scenario:
    name: str
    what: str
    # (seconds after the incident starts, settings) ; the provider is restored at `duration_s`
    steps: list[tuple[float, dict[str, Any]]]
    duration_s: float
    restart_at_s: float | None = None
    detect_states: frozenset[str] = frozenset({"degraded", "unhealthy"})


def scenarios(quick: bool) -> list[Scenario]:
    hold = 12.0 if quick else 20.0
    flap_cycles = 2 if quick else 4  # 4 cycles of 15 s down / 15 s up = the 2 minutes
    flap = [(i * 30.0, {"errorRate": 1, "status": 500}) for i in range(flap_cycles)]
    flap += [(i * 30.0 + 15.0, {"errorRate": 0}) for i in range(flap_cycles)]
    return [
        Scenario("hard_down", "every call HTTP 500", [(0, {"errorRate": 1, "status": 500})], hold),
        Scenario("hang", "accepts, never answers", [(0, {"hang": True})], hold),
        Scenario("slow_total", "5 s total latency, first token fast", [(0, {"latencyMs": 5000})], hold),
        Scenario("slow_first_token", "first token after 4 s", [(0, {"ttftMs": 4000, "latencyMs": 4100})], hold),
        Scenario("flapping", "down 15 s / up 15 s", sorted(flap, key=lambda s: s[0]), flap_cycles * 30.0),
        Scenario("rate_limited", "429 storm", [(0, {"errorRate": 1, "status": 429})], hold),
        Scenario("errors_30pct", "30% HTTP 500", [(0, {"errorRate": 0.3, "status": 500})], hold),
        Scenario(
            "restart_during_outage",
            "hard down, service restarted 8 s in",
            [(0, {"errorRate": 1, "status": 500})],
            hold,
            restart_at_s=8.0,
        ),
    ]


PROBES_ONLY_INCIDENT_S = 35.0


def probes_only(scenario: Scenario) -> Scenario:
    """The scenario's first PROBES_ONLY_INCIDENT_S, held that long."""
    steps = [step for step in scenario.steps if step[0] < PROBES_ONLY_INCIDENT_S]
    return Scenario(scenario.name, scenario.what, steps, PROBES_ONLY_INCIDENT_S, None, scenario.detect_states)


@dataclass
class Watch:
    """Polls the primary's health every POLL_S: state changes and probe times, on perf_counter."""

    url: str
    changes: list[tuple[float, str]] = field(default_factory=list)
    probe_times: list[float] = field(default_factory=list)
    last_probe: str | None = None

    async def run(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(timeout=2) as client:
            while not stop.is_set():
                await self.poll(client)
                await asyncio.sleep(POLL_S)

    async def poll(self, client: httpx.AsyncClient) -> None:
        try:
            body = (await client.get(f"{self.url}/v1/health/{PRIMARY}")).json()
        except (httpx.HTTPError, ValueError):
            return  # the service is restarting
        now = time.perf_counter()
        if not self.changes or self.changes[-1][1] != body["state"]:
            self.changes.append((now, body["state"]))
        if body.get("lastProbeAt") != self.last_probe:
            self.last_probe = body.get("lastProbeAt")
            self.probe_times.append(now)

    def state(self) -> str | None:
        return self.changes[-1][1] if self.changes else None

    def first(self, after: float, states: set[str] | frozenset[str]) -> float | None:
        return next((at for at, s in self.changes if at >= after and s in states), None)


class Run:
    """One scenario on a fresh service: the stack's simulator and agent are shared."""

    def __init__(self, stack: processes.Stack, work: Path, scenario: Scenario, traffic: bool) -> None:
        self.stack, self.work, self.scenario, self.traffic = stack, work, scenario, traffic
        self.data = work / f"data-{scenario.name}-{'traffic' if traffic else 'probes'}"
        shutil.rmtree(self.data, ignore_errors=True)
        self.service = self.start_service()
        self.watch = Watch(self.service.url)

    def start_service(self, port: int | None = None) -> RunningProcess:
        config = REPO / "config" / "demo.yaml"
        return processes.service(
            self.work, self.stack.agent.url, config, self.data, sim_port=self.stack.sim.port, port=port
        )

    async def sim(self, settings: dict[str, Any]) -> None:
        async with httpx.AsyncClient(base_url=self.stack.sim.url) as sim:
            (await sim.put(f"/admin/models/{SIM_MODEL}", json=settings)).raise_for_status()

    async def sim_stats(self) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.stack.sim.url) as sim:
            return (await sim.get("/admin/stats")).json()["models"].get(SIM_MODEL, {"total": 0})

    async def probes_sent(self, url: str) -> float:
        async with httpx.AsyncClient() as client:
            text = (await client.get(f"{url}/metrics")).text
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("modelwatch_probes_total{") and f'model="{PRIMARY}"' in line
        )

    async def until(self, predicate: Any, timeout_s: float) -> float | None:
        deadline = time.perf_counter() + timeout_s
        while time.perf_counter() < deadline:
            if predicate(self.watch.state()):
                return time.perf_counter()
            await asyncio.sleep(POLL_S / 2)
        return None

    async def incident(self) -> tuple[float, float, tuple[float, float] | None, float]:
        """Plays the steps; returns (t_down, t_up, t_restarted, probes sent before a restart)."""
        t_down = time.perf_counter()
        t_restart, probes_before = None, 0.0
        self.applied: list[tuple[float, dict[str, Any]]] = []
        pending = list(self.scenario.steps)
        end = t_down + self.scenario.duration_s
        while time.perf_counter() < end:
            now = time.perf_counter() - t_down
            while pending and pending[0][0] <= now:
                settings = pending.pop(0)[1]
                await self.sim(settings)
                self.applied.append((time.perf_counter(), settings))  # once the simulator answered
            if self.scenario.restart_at_s is not None and t_restart is None and now >= self.scenario.restart_at_s:
                probes_before = await self.probes_sent(self.service.url)
                t_restart = await asyncio.to_thread(self.restart)
            await asyncio.sleep(0.05)
        await self.sim(NORMAL)
        return t_down, time.perf_counter(), t_restart, probes_before

    def restart(self) -> tuple[float, float]:
        """SIGTERM (drain), then the same command on the same port and data directory; (stopped at, ready at)."""
        begin = time.perf_counter()
        self.service.stop()
        port = self.service.port
        self.service = self.start_service(port)
        return begin, time.perf_counter()

    async def play(self, pre_s: float, post_s: float) -> dict[str, Any]:
        await self.sim(NORMAL)
        stop_watch, stop_traffic = asyncio.Event(), asyncio.Event()
        watcher = asyncio.create_task(self.watch.run(stop_watch))
        body = {"primary": PRIMARY, "fallbacks": [FALLBACK], "config": {"role": "SRE", "candidateName": "Ada"}}
        t0 = time.perf_counter() + 0.05
        load = None
        if self.traffic:
            client = loadgen.make_client(self.service.url, timeout_s=35)
            load = asyncio.create_task(
                loadgen.open_loop(
                    client, "/v1/interviews", lambda i: body, RATE, 3600,
                    expect_status=201, keep_bodies=True, stop=stop_traffic, t0=t0, timeout_s=35,
                )
            )  # fmt: skip
        ready = await self.until(lambda s: s == "healthy", 60)
        await asyncio.sleep(pre_s)
        stats0, probes0 = await self.sim_stats(), await self.probes_sent(self.service.url)
        t_down, t_up, t_restart, probes_before = await self.incident()
        stats1 = await self.sim_stats()
        recovered = await self.until(lambda s: s == "healthy", post_s)
        await asyncio.sleep(max(0.0, t_up + post_s - time.perf_counter()))
        probes1 = await self.probes_sent(self.service.url) + probes_before
        stop_traffic.set()
        outcomes = (await load).outcomes if load else []
        if load:
            await client.aclose()
        stop_watch.set()
        await watcher
        self.service.stop()
        marks = {"t0": t0, "ready": ready, "down": t_down, "up": t_up, "restart": t_restart, "recovered": recovered}
        return {
            "scenario": self.scenario.name,
            "what": self.scenario.what,
            "traffic": self.traffic,
            "incidentSeconds": round(t_up - t_down, 1),
            **figures(self, outcomes, marks),
            "simCallsToSickModelDuringIncident": stats1.get("total", 0) - stats0.get("total", 0),
            "simCancelledDuringIncident": stats1.get("cancelled", 0) - stats0.get("cancelled", 0),
            "probesSent": probes1 - probes0,
            "probeCostUsd": round((probes1 - probes0) * PROBE_USD, 6),
        }


def figures(run: Run, outcomes: list[loadgen.Outcome], marks: dict[str, Any]) -> dict[str, Any]:
    down, up, t0 = marks["down"], marks["up"], marks["t0"]
    secs = lambda t, ref: None if t is None or ref is None else round(t - ref, 2)  # noqa: E731
    transitions = [(secs(at, down), state) for at, state in run.watch.changes if at >= (marks["ready"] or t0)]
    first_probe_after = next((t for t in run.watch.probe_times if t >= down), None)
    result: dict[str, Any] = {
        "detectStateSeconds": secs(run.watch.first(down, run.scenario.detect_states), down),
        # Only meaningful with no traffic: then only probes can see the outage.
        "detectAfterFirstProbeSeconds": None
        if run.traffic
        else secs(run.watch.first(down, run.scenario.detect_states), first_probe_after),
        "healthyAgainSeconds": secs(marks["recovered"], up),
        "transitions": transitions,
        "unhealthyTrips": sum(1 for at, s in run.watch.changes if at >= down and s == "unhealthy"),
    }
    if not run.traffic:
        return result
    served_while_down = sum(
        1
        for o in outcomes
        if o.status == 201 and (o.body or {}).get("model") == PRIMARY and is_down(run.applied, t0 + o.due, up)
    )
    return {**result, **traffic_figures(outcomes, t0, down, up, marks["restart"]), "servedWhileDown": served_while_down}


def is_down(applied: list[tuple[float, dict[str, Any]]], at: float, up: float) -> bool:
    """Whether the provider was down (every call failing or hanging) at `at`, by when each change took effect."""
    if not applied or not applied[0][0] <= at < up:
        return False
    settings: dict[str, Any] = {}
    for step_at, step in applied:
        if step_at <= at:
            settings.update(step)
    return settings.get("hang") is True or (settings.get("errorRate") == 1 and settings.get("status") != 429)


def traffic_figures(
    outcomes: list[loadgen.Outcome], t0: float, down: float, up: float, restart: tuple[float, float] | None
) -> dict[str, Any]:
    during = [o for o in outcomes if down <= t0 + o.due < up]
    after = [o for o in outcomes if t0 + o.due >= up]
    bodies = lambda items: [o.body or {} for o in items if o.status == 201]  # noqa: E731
    lat = sorted(o.latency_ms for o in during)
    routed_away = next(
        (
            t0 + o.due
            for o in during
            if o.status == 201 and (o.body or {}).get("attempts", [{}])[0].get("modelId") != PRIMARY
        ),
        None,
    )
    back = next((t0 + o.due for o in after if o.status == 201 and (o.body or {}).get("model") == PRIMARY), None)
    late = [o for o in after if t0 + o.due >= up + 30]
    result = {
        "starts": len(outcomes),
        "failedStarts": sum(1 for o in outcomes if o.status != 201),
        "failedDuringIncident": sum(1 for o in during if o.status != 201),
        "latencyDuringIncidentMs": {p: round_or_none(loadgen.pct(lat, p)) for p in (50, 95, 99)},
        "servedBySickModel": sum(1 for b in bodies(during) if b.get("model") == PRIMARY),
        "attemptsOnSickModel": sum(
            1 for b in bodies(during) for a in b.get("attempts", []) if a.get("modelId") == PRIMARY
        ),
        "firstRoutedAwaySeconds": None if routed_away is None else round(routed_away - down, 2),
        "trafficBackSeconds": None if back is None else round(back - up, 2),
        "fallbacksAfterRecovery": sum(1 for b in bodies(after) if b.get("usedFallback")),
        "needlessFallbacksLaterThan30s": sum(1 for b in bodies(late) if b.get("usedFallback")),
        "fallbackReasons": count(b["fallback"]["reason"] for b in bodies(during) if b.get("fallback")),
    }
    if restart is not None:
        begin, ready = restart
        after_restart = [o for o in outcomes if t0 + o.due >= ready]
        result["afterRestart"] = {
            "serviceDownSeconds": round(ready - begin, 2),
            "starts": len(after_restart),
            "attemptsOnDownModel": sum(
                1
                for b in bodies([o for o in after_restart if t0 + o.due < up])
                for a in b.get("attempts", [])
                if a.get("modelId") == PRIMARY
            ),
            "failedWhileServiceDown": sum(1 for o in outcomes if o.status != 201 and begin <= t0 + o.due < ready),
        }
    return result


def round_or_none(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def count(items: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[item] = out.get(item, 0) + 1
    return out


async def detect_median(stack: processes.Stack, work: Path, services: int) -> dict[str, Any]:
    """Probes only, default intervals, hard down: `services` fresh services at once, so one outage start
    falls at an independent point of each one's probe cycle; seconds from the first probe after the
    outage to `unhealthy`, and from the outage itself."""
    runs = [Run(stack, work, Scenario(f"median{i}", "hard down", [], 0), traffic=False) for i in range(services)]
    stop = asyncio.Event()
    watchers = [asyncio.create_task(r.watch.run(stop)) for r in runs]
    await runs[0].sim(NORMAL)
    await asyncio.gather(*(r.until(lambda s: s == "healthy", 60) for r in runs))
    await asyncio.sleep(3)
    await runs[0].sim({"errorRate": 1, "status": 500})
    down = time.perf_counter()
    await asyncio.gather(*(r.until(lambda s: s == "unhealthy", 45) for r in runs))
    await runs[0].sim(NORMAL)
    stop.set()
    await asyncio.gather(*watchers)
    for r in runs:
        r.service.stop()
    after_probe, after_outage = [], []
    for r in runs:
        detected = r.watch.first(down, {"unhealthy"})
        first_probe = next((t for t in r.watch.probe_times if t >= down), None)
        if detected is not None and first_probe is not None:
            after_probe.append(round(detected - first_probe, 2))
            after_outage.append(round(detected - down, 2))
    return {
        "services": services,
        "detectedBy": len(after_probe),
        "afterFirstProbeSeconds": sorted(after_probe),
        "afterFirstProbeMedianSeconds": statistics.median(after_probe) if after_probe else None,
        "afterOutageMedianSeconds": statistics.median(after_outage) if after_outage else None,
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    work = REPO / "bench" / ".work" / "outages"  # logs and data of the last run (bench/.gitignore)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    sim = processes.simulator(work)
    stack = processes.Stack(sim, processes.agent(work, sim.port))
    only = set(args.only.split(",")) if args.only else None
    pre_s, post_s = (3.0, 35.0) if args.quick else (5.0, 40.0)
    environment = {**resources.environment(), "loadAverage": [round(x, 2) for x in os.getloadavg()]}
    results: dict[str, Any] = {"environment": environment, "rate": RATE, "traffic": [], "probesOnly": []}
    try:
        for scenario in scenarios(args.quick):
            if only and scenario.name not in only:
                continue
            for traffic in (True, False):
                if not traffic and scenario.restart_at_s is not None:
                    continue  # a restart with no traffic is the hard-down case
                label = "10 starts/s" if traffic else "probes only"
                print(f"  {scenario.name} ({label})...", flush=True)
                # With no traffic only probes can see it: long enough for a 10-s probe timeout and confirmations.
                played = scenario if traffic else probes_only(scenario)
                run = Run(stack, work, played, traffic)
                result = await run.play(pre_s, post_s if traffic else 5.0)
                results["traffic" if traffic else "probesOnly"].append(result)
                print("   ", json.dumps({k: v for k, v in result.items() if k != "transitions"}), flush=True)
        if not only or "detect_median" in only:
            print("  hard down, probes only, 10 services at once...", flush=True)
            results["detectMedian"] = await detect_median(stack, work, 10)
            print("   ", json.dumps(results["detectMedian"]), flush=True)
    finally:
        stack.stop()
    return results


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="shorter incidents (12 s, flapping 2 cycles)")
    p.add_argument("--only", help="comma-separated scenario names (and detect_median)")
    p.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = p.parse_args()
    loadgen.install_uvloop()
    started = datetime.now(UTC)
    results = asyncio.run(main_async(args))
    results["startedAt"] = started.isoformat()
    results["quick"] = args.quick
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "outages.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "outages.md").write_text(markdown(results))
    print(f"wrote {args.out / 'outages.json'} and {args.out / 'outages.md'}")


if __name__ == "__main__":
    main()

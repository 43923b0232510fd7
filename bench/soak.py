"""`make bench-soak`: a long run at a steady start rate with faults on a schedule (issue 14).

    .venv/bin/python bench/soak.py [--minutes 20] [--rate 20] [--out bench/results]

Real processes (simulator, agent, service built in service/dist, SQLite in a fresh data directory) on
free ports. Open-loop starts (bench/loadgen.py) at `--rate` for `--minutes`, primary `openai:gpt-4o`
with caller fallback `openai:gpt-4o-mini`, while the fault schedule below plays: provider errors and
hangs through the simulator's admin API (as bench/outages.py does), agent SIGSTOP/SIGCONT, agent
SIGKILL and restart on the same port, service SIGKILL and restart on the same port and data directory.
Afterwards the service is stopped and its database read: every acknowledged start (201) and every
fallback event it returned must be there. Figures and method: bench/soak_report.py, bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sqlite3
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
import soak_report
from processes import REPO, RunningProcess

PRIMARY, FALLBACK = "openai:gpt-4o", "openai:gpt-4o-mini"
SIM_MODELS = ("gpt-4o", "gpt-4o-mini", "claude-sonnet-4")
NORMAL: dict[str, Any] = {"latencyMs": 150, "ttftMs": 60, "errorRate": 0, "status": 500, "hang": False}
TIMEOUT_S = 35.0  # longer than any deadline of the service, so a timeout here is a start nobody answered
PROVIDER_FAULTS: dict[str, dict[str, Any]] = {
    "provider_errors": {"errorRate": 1, "status": 500},
    "provider_errors_30pct": {"errorRate": 0.3, "status": 500},
}
RSS_EVERY_S, METRICS_EVERY_S, LOAD_EVERY_S = 5.0, 10.0, 30.0
# (fraction of the run, fault, seconds it lasts in a 20-minute run): the last quarter is quiet, so the
# RSS of the last five minutes is not a fault's transient. Durations shrink with --minutes (at least 10 s).
SCHEDULE: list[tuple[float, str, float]] = [
    (0.08, "provider_errors", 60),  # the primary answers every call with HTTP 500
    (0.17, "service_kill", 0),  # SIGKILL, restarted at once on the same port and data directory
    (0.25, "agent_kill", 0),  # SIGKILL, restarted at once on the same port
    (0.33, "provider_hang", 45),  # the primary accepts and never answers
    (0.45, "agent_stop", 20),  # SIGSTOP, SIGCONT after the duration
    (0.55, "provider_errors_30pct", 60),  # 30 % of the primary's calls fail
    (0.65, "providers_hang_both", 30),  # primary and fallback both hang: nothing can serve
]


@dataclass
class Soak:
    stack: processes.Stack
    work: Path
    data: Path
    minutes: float
    faults: list[dict[str, Any]] = field(default_factory=list)
    rss: list[dict[str, Any]] = field(default_factory=list)
    loop: list[dict[str, Any]] = field(default_factory=list)
    load: list[dict[str, Any]] = field(default_factory=list)
    lifetimes: dict[str, int] = field(default_factory=lambda: {"service": 0, "agent": 0})
    t0: float = 0.0

    @property
    def service(self) -> RunningProcess:
        assert self.stack.service is not None
        return self.stack.service

    def at(self) -> float:
        return round(time.perf_counter() - self.t0, 2)

    async def sim(self, model: str, settings: dict[str, Any]) -> None:
        async with httpx.AsyncClient(base_url=self.stack.sim.url) as sim:
            (await sim.put(f"/admin/models/{model}", json=settings)).raise_for_status()

    def start_service(self, port: int | None = None) -> RunningProcess:
        config = REPO / "config" / "demo.yaml"
        return processes.service(
            self.work, self.stack.agent.url, config, self.data, sim_port=self.stack.sim.port, port=port
        )

    def restart_service(self) -> None:
        port = self.service.port
        self.service._signal_group(signal.SIGKILL)
        self.service.process.wait(timeout=10)
        self.stack.service = self.start_service(port)
        self.lifetimes["service"] += 1

    def restart_agent(self) -> None:
        port = self.stack.agent.port
        self.stack.agent._signal_group(signal.SIGKILL)
        self.stack.agent.process.wait(timeout=10)
        self.stack.agent = processes.agent(self.work, self.stack.sim.port, port=port)
        self.lifetimes["agent"] += 1

    async def fault(self, name: str, hold_s: float) -> None:
        begin = self.at()
        if name == "service_kill":
            await asyncio.to_thread(self.restart_service)
        elif name == "agent_kill":
            await asyncio.to_thread(self.restart_agent)
        elif name == "agent_stop":
            self.stack.agent._signal_group(signal.SIGSTOP)
            await asyncio.sleep(hold_s)
            self.stack.agent._signal_group(signal.SIGCONT)
        else:
            models = ["gpt-4o-mini", "gpt-4o"] if name == "providers_hang_both" else ["gpt-4o"]
            settings = PROVIDER_FAULTS.get(name, {"hang": True})
            for model in models:
                await self.sim(model, settings)
            await asyncio.sleep(hold_s)
            for model in models:
                await self.sim(model, NORMAL)
        self.faults.append({"fault": name, "startS": begin, "endS": self.at()})
        print(f"  {begin:7.1f}s {name} ({self.at() - begin:.1f} s)", flush=True)

    async def play(self, duration_s: float) -> None:
        scale = duration_s / 1200
        for fraction, name, hold in SCHEDULE:
            await asyncio.sleep(max(0.0, self.t0 + fraction * duration_s - time.perf_counter()))
            await self.fault(name, max(10.0, hold * scale) if hold else 0)

    async def sample(self, stop: asyncio.Event) -> None:
        """RSS of service and agent every RSS_EVERY_S, the service's event-loop lag every METRICS_EVERY_S."""
        next_metrics = next_load = 0.0
        async with httpx.AsyncClient(timeout=2) as client:
            while not stop.is_set():
                now = self.at()
                for name, proc in (("service", self.service), ("agent", self.stack.agent)):
                    mb = rss_mb(proc.pid)
                    if mb is not None:
                        self.rss.append({"process": name, "life": self.lifetimes[name], "atS": now, "rssMb": mb})
                if now >= next_metrics:
                    next_metrics = now + METRICS_EVERY_S
                    lag = await eventloop_lag(client, self.service.url)
                    if lag:
                        self.loop.append({"atS": now, "life": self.lifetimes["service"], **lag})
                if now >= next_load:
                    next_load = now + LOAD_EVERY_S
                    self.load.append({"atS": now, "loadAverage": [round(x, 2) for x in os.getloadavg()]})
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), RSS_EVERY_S)


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


async def eventloop_lag(client: httpx.AsyncClient, url: str) -> dict[str, float] | None:
    """prom-client's event-loop lag since the previous scrape (it resets on each), in ms."""
    try:
        text = (await client.get(f"{url}/metrics")).text
    except httpx.HTTPError:
        return None  # the service is restarting, or the event loop is too busy to answer in 2 s
    wanted = {"nodejs_eventloop_lag_p99_seconds": "p99Ms", "nodejs_eventloop_lag_max_seconds": "maxMs"}
    out = {}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name in wanted:
            out[wanted[name]] = round(float(value) * 1000, 2)
    return out or None


def slim(outcome: loadgen.Outcome) -> None:
    """Keeps what the report needs of an answer: 24,000 full interview bodies are not needed in memory."""
    body = outcome.body if isinstance(outcome.body, dict) else {}
    event = body.get("fallbackEvent") or {}
    outcome.body = {
        "id": body.get("id"),
        "fallbackEventId": event.get("id"),
        "code": (body.get("error") or {}).get("code"),
    }


def stored_ids(data: Path) -> tuple[set[str], set[str]]:
    """Interview ids and fallback event ids in the service's database (read after it stopped)."""
    db = sqlite3.connect(f"file:{data / 'modelwatch.db'}?mode=ro", uri=True)
    try:
        interviews = {row[0] for row in db.execute("SELECT id FROM interviews")}
        events = {row[0] for row in db.execute("SELECT id FROM fallback_events")}
    finally:
        db.close()
    return interviews, events


async def run(args: argparse.Namespace) -> dict[str, Any]:
    work = REPO / "bench" / ".work" / "soak"  # logs and data of the last run (bench/.gitignore)
    if work.exists():
        for child in sorted(work.rglob("*"), reverse=True):
            child.unlink() if child.is_file() else child.rmdir()
    work.mkdir(parents=True, exist_ok=True)
    sim = processes.simulator(work)
    soak = Soak(processes.Stack(sim, processes.agent(work, sim.port)), work, work / "data", args.minutes)
    before = {"loadAverage": [round(x, 2) for x in os.getloadavg()], "busy": resources.busy_processes()}
    try:
        for model in SIM_MODELS:
            await soak.sim(model, NORMAL)
        soak.stack.service = soak.start_service()
        duration_s = args.minutes * 60
        body = {"primary": PRIMARY, "fallbacks": [FALLBACK], "config": {"role": "SRE", "candidateName": "Ada"}}
        client = loadgen.make_client(soak.service.url, timeout_s=TIMEOUT_S)
        stop = asyncio.Event()
        soak.t0 = time.perf_counter() + 0.05
        sampler = asyncio.create_task(soak.sample(stop))
        player = asyncio.create_task(soak.play(duration_s))
        result = await loadgen.open_loop(
            client, "/v1/interviews", lambda i: body, args.rate, duration_s,
            expect_status=201, keep_bodies=True, timeout_s=TIMEOUT_S, on_answer=slim, t0=soak.t0,
        )  # fmt: skip
        await player
        stop.set()
        await sampler
        await client.aclose()
        soak.service.stop()  # SIGTERM: drains, flushes, closes the database
        interviews, events = stored_ids(soak.data)
    finally:
        soak.stack.stop()
    after = {"loadAverage": [round(x, 2) for x in os.getloadavg()], "busy": resources.busy_processes()}
    return soak_report.figures(soak, result, (interviews, events), (before, after))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=20.0, help="length of the run (the schedule scales)")
    p.add_argument("--rate", type=float, default=20.0, help="starts per second, open loop")
    p.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = p.parse_args()
    loadgen.install_uvloop()
    started = datetime.now(UTC)
    results = {"startedAt": started.isoformat(), "environment": resources.environment(), **asyncio.run(run(args))}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "soak.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "soak.md").write_text(soak_report.markdown(results))
    print(soak_report.markdown(results))
    print(f"wrote {args.out / 'soak.json'} and {args.out / 'soak.md'}")


if __name__ == "__main__":
    main()

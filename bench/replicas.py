"""Several replicas: what PostgreSQL costs a start, and how fast evidence crosses replicas.

    .venv/bin/python bench/replicas.py [--duration 20] [--rates 50 100] [--trials 60] [--out bench/results]

1. Added latency of PostgreSQL over SQLite: one service on SQLite and one on PostgreSQL (a server
   this script starts: initdb in a temp dir, unprivileged user under root, free port), same
   simulator and agent, open loop at each rate, the two alternating in slices (ABBA) as in
   added_latency.py; added = p(PostgreSQL) - p(SQLite).
2. Database round trips per start: pg_stat_statements calls during a run of starts, less the calls
   of an idle window of the same length (probes, lease rounds), per start; by statement. Also over
   the PostgreSQL slices of 1. (at 50 and 100/s, background included): statements, committed
   transactions (pg_stat_database.xact_commit) and the server's CPU (postmaster and backends), per start.
   The node-postgres client sends each statement (parse/bind/execute/sync) as one round trip, so
   statements are round trips; the load average is recorded before each slice.
3. Sample -> verdict across replicas: two replicas on one database; a probe asked of replica A
   (POST /v1/probes) and replica B polled until its lastProbeAt for that model changes. Time from
   A's answer to B's first changed answer; includes B's poll period (reported).
Benchmarks report; they never pass or fail.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import added_latency
import httpx
import loadgen
import processes
import resources
from postgres import Postgres
from processes import REPO, RunningProcess, Stack, base_env, start_process
from replicas_report import markdown

MODEL = "openai:gpt-4o-mini"


def pg_service(work: Path, stack: Stack, config: Path, url: str, name: str) -> RunningProcess:
    port = processes.free_port()
    env = base_env(
        **{
            "SERVICE_PORT": str(port),
            "AGENT_URL": stack.agent.url,
            "CONFIG": str(config),
            "DATABASE_URL": url,
            "LOG_LEVEL": "info",
            "SIMULATOR_PORT": str(stack.sim.port),
            "SIMULATOR_API_KEY": "sim-key",
            "MODELWATCH_AGENT_TOKEN": processes.AGENT_TOKEN,
        }
    )
    argv = ["node", str(REPO / "service" / "dist" / "main.js")]
    return start_process(name, argv, work / f"{name}.log", env=env, url=f"http://127.0.0.1:{port}")


@dataclass
class DbCounters:
    """What the database did while the PostgreSQL side ran: statements (pg_stat_statements), committed
    transactions of the modelwatch database (pg_stat_database), CPU of the server's processes."""

    statements: dict[str, int] = field(default_factory=dict)
    commits: int = 0
    cpu_s: float = 0.0

    @staticmethod
    def read(pg: Postgres) -> DbCounters:
        commits = pg.sql("modelwatch", "SELECT xact_commit FROM pg_stat_database WHERE datname = 'modelwatch'")
        return DbCounters(statement_calls(pg), int((commits or "0").strip() or 0), pg.cpu_seconds())

    def add_delta(self, after: DbCounters, before: DbCounters) -> None:
        for q, n in diff(after.statements, before.statements).items():
            self.statements[q] = self.statements.get(q, 0) + n
        self.commits += after.commits - before.commits
        self.cpu_s += after.cpu_s - before.cpu_s


def under_load(db: DbCounters, starts: int) -> dict[str, Any]:
    """Per start, over the PostgreSQL slices: everything the database did then (probes, lease rounds and
    the monitor's SELECT 1 included: about 2 statements/s at rest, small beside 50-100 starts/s)."""
    per = {q: round(n / starts, 3) for q, n in sorted(db.statements.items(), key=lambda kv: -kv[1])}
    return {
        "starts": starts,
        "statementsPerStart": round(sum(db.statements.values()) / starts, 2) if starts else None,
        "commitsPerStart": round(db.commits / starts, 2) if starts else None,
        "postgresCpuMsPerStart": round(1000 * db.cpu_s / starts, 2) if starts else None,
        "byStatement": {q: v for q, v in per.items() if v >= 0.01},
    }


async def added_latency_pg(
    stack: Stack, sqlite: RunningProcess, replica: RunningProcess, pg: Postgres, *, rate: float, duration_s: float
) -> dict[str, Any]:
    n = max(2, round(duration_s / 10))
    db = DbCounters()
    loads: list[float] = []
    async with added_latency.Arm(stack, "service", sqlite) as a, added_latency.Arm(stack, "service", replica) as b:
        await a.prepare(rate)
        await b.prepare(rate)
        for k in range(n):
            for arm in (a, b) if k % 2 == 0 else (b, a):
                loads.append(round(os.getloadavg()[0], 2))
                before = DbCounters.read(pg) if arm is b else None
                await arm.slice(rate, duration_s / n)
                if before is not None:
                    db.add_delta(DbCounters.read(pg), before)
                await asyncio.sleep(0.5)
        ra, rb = a.result(), b.result()
    created = sum(1 for run in b.runs for o in run.outcomes if o.status == 201)
    return {
        "rate": rate,
        "slices": f"{n} per side, alternating (ABBA...), {duration_s / n:g} s each",
        "loadAverage1mAtEachSlice": loads,
        "sqlite": ra,
        "postgres": rb,
        "addedMs": added_latency.added(rb, ra),
        "databaseUnderLoad": under_load(db, created),
    }


def statement_calls(pg: Postgres) -> dict[str, int]:
    out = pg.sql("modelwatch", "SELECT calls, regexp_replace(query, '\\s+', ' ', 'g') FROM pg_stat_statements")
    calls: dict[str, int] = {}
    for line in (out or "").splitlines():
        n, _, q = line.partition("|")
        calls[q[:90]] = calls.get(q[:90], 0) + int(n)
    return calls


def diff(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {q: n - before.get(q, 0) for q, n in after.items() if n - before.get(q, 0) > 0}


async def round_trips(pg: Postgres, service: RunningProcess, starts: int) -> dict[str, Any]:
    window_s = starts / 20
    idle0 = statement_calls(pg)
    await asyncio.sleep(window_s)
    idle = diff(statement_calls(pg), idle0)
    before = statement_calls(pg)
    t0 = time.monotonic()
    async with httpx.AsyncClient(base_url=service.url, timeout=10) as c:
        for i in range(starts):
            headers = {"idempotency-key": f"bench-{time.time_ns()}-{i}"} if i % 2 else {}
            (await c.post("/v1/interviews", json={"primary": MODEL}, headers=headers)).raise_for_status()
            await asyncio.sleep(max(0.0, t0 + (i + 1) / 20 - time.monotonic()))
    busy = diff(statement_calls(pg), before)
    per_start = {q: round((n - idle.get(q, 0)) / starts, 2) for q, n in busy.items()}
    per_start = {q: v for q, v in sorted(per_start.items(), key=lambda kv: -kv[1]) if v > 0.01}
    return {
        "starts": starts,
        "half with an Idempotency-Key": True,
        "idleWindowS": window_s,
        "statementsPerStart": round(sum(per_start.values()), 2),
        "byStatement": per_start,
    }


async def sample_to_verdict(a: RunningProcess, b: RunningProcess, trials: int) -> dict[str, Any]:
    lat: list[float] = []
    polls: list[int] = []
    async with httpx.AsyncClient(base_url=a.url, timeout=10) as ca, httpx.AsyncClient(base_url=b.url, timeout=10) as cb:
        for _ in range(trials):
            last = (await cb.get(f"/v1/health/{MODEL}")).json()["lastProbeAt"]
            (await ca.post("/v1/probes", json={"models": [MODEL]})).raise_for_status()
            answered = time.perf_counter()
            n = 0
            while True:
                n += 1
                now_at = (await cb.get(f"/v1/health/{MODEL}")).json()["lastProbeAt"]
                if now_at != last:
                    lat.append((time.perf_counter() - answered) * 1000)
                    polls.append(n)
                    break
                if time.perf_counter() - answered > 5:
                    lat.append(float("inf"))
                    break
            await asyncio.sleep(0.2)
    lat.sort()
    return {
        "trials": trials,
        "p50Ms": loadgen.pct(lat, 50),
        "p99Ms": loadgen.pct(lat, 99),
        "maxMs": lat[-1] if lat else None,
        "meanPollsUntilSeen": round(sum(polls) / max(1, len(polls)), 1),
    }


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=20.0)
    ap.add_argument("--rates", type=float, nargs="+", default=[50.0, 100.0])
    ap.add_argument("--trials", type=int, default=60)
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = ap.parse_args()
    loadgen.install_uvloop()
    work = Path(tempfile.mkdtemp(prefix="modelwatch-bench-replicas-"))
    config = REPO / "config" / "demo.yaml"
    env_before = {**resources.environment(), "loadAverage": os.getloadavg(), "busy": resources.busy_processes()}
    pg = Postgres().start()
    sim = processes.simulator(work)
    stack = Stack(sim=sim, agent=processes.agent(work, sim.port))
    extra: list[RunningProcess] = []
    try:
        pg.sql("postgres", "CREATE DATABASE modelwatch")
        pg.sql("modelwatch", "CREATE EXTENSION pg_stat_statements")
        await added_latency.set_sim(stack.sim.url)
        sqlite = processes.service(work, stack.agent.url, config, work / "sqlite-data", sim_port=stack.sim.port)
        replica_a = pg_service(work, stack, config, pg.url("modelwatch"), "service-pg-a")
        extra += [sqlite, replica_a]
        stack.extra = [sqlite, replica_a]
        rows = []
        for rate in args.rates:
            row = await added_latency_pg(stack, sqlite, replica_a, pg, rate=rate, duration_s=args.duration)
            print(f"  {rate:g}/s  added by PostgreSQL over SQLite p50/p95/p99: {row['addedMs']}", flush=True)
            print(f"         database under load: {json.dumps(row['databaseUnderLoad'])}", flush=True)
            rows.append(row)
        sqlite.stop()
        trips = await round_trips(pg, replica_a, 200)
        print(f"  statements per start: {trips['statementsPerStart']}", flush=True)
        replica_b = pg_service(work, stack, config, pg.url("modelwatch"), "service-pg-b")
        extra.append(replica_b)
        crossing = await sample_to_verdict(replica_a, replica_b, args.trials)
        print(f"  sample -> verdict on another replica: {crossing}", flush=True)
        result = {
            "environment": env_before,
            "environmentAfter": {"loadAverage": os.getloadavg(), "busy": resources.busy_processes()},
            "postgres": pg.sql("postgres", "SHOW server_version"),
            "addedLatency": rows,
            "roundTrips": trips,
            "sampleToVerdict": crossing,
        }
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "replicas.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
        (args.out / "replicas.md").write_text(markdown(result))
        print(f"wrote {args.out / 'replicas.json'} and replicas.md")
    finally:
        for p in extra:
            p.stop()
        stack.stop()
        pg.stop()


if __name__ == "__main__":
    asyncio.run(main())

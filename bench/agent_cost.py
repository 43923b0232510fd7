"""The agent's CPU per call (issue 15), alone: interviews and probes at a constant arrival rate.

    .venv/bin/python bench/agent_cost.py [--rates 50,100] [--duration 20] [--workers 1,2] [--label after]
    .venv/bin/python bench/agent_cost.py --profile --rates 100 --duration 15   # py-spy: where the CPU goes

Starts the simulator (gpt-4o-mini at a fixed 50 ms, first token at 20 ms, as part 1 of `make bench`) and,
per worker count, an agent (AGENT_WORKERS), then sends open loop (loadgen.py), with the body the service
sends and a sampled traceparent: POST /v1/interviews/stream (kind `interview-stream`: the route the service
calls, its NDJSON read to the end as service/src/agent/agent-client.ts does), POST /v1/interviews (kind
`interview`: the route of the figures before 2026-12-01 15:40) and POST /v1/probe. `--agent-root` runs the
agent code of another checkout (e.g. a pristine worktree of main) against this script, for back-to-back
pairs. CPU is user+sys from /proc of the agent and every process under it (its workers), before and after
each run, divided by the calls answered.
With --profile, py-spy samples the agent (and its workers) during each run; the report sums self time by
function and by package. Results: bench/results/agent-cost.json and .md (other labels are kept).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import added_latency
import loadgen
import processes
import resources
from profile_summary import summarize_collapsed

RESULTS = Path(__file__).with_name("results") / "agent-cost.json"
KINDS = ["interview-stream", "interview", "probe"]
PROBE_BODY = {"modelId": added_latency.PRIMARY, "provider": "openai", "model": "gpt-4o-mini", "timeoutMs": 10_000}


def _headers(i: int) -> dict[str, str]:
    # What the service sends: the shared token and a sampled W3C trace context.
    return {"authorization": f"Bearer {processes.AGENT_TOKEN}", **added_latency.traceparent(i)}


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of `pid` and all its descendants alive now (the agent's workers are its children)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += resources.cpu_seconds(current) or 0.0
        todo.extend(children.get(current, []))
    return total


async def measured_run(
    agent: processes.RunningProcess, path: str, body_for: Any, rate: float, *, seconds: float, profile_to: Path | None
) -> dict[str, Any]:
    async with loadgen.make_client(agent.url) as client:
        await loadgen.open_loop(client, path, body_for, rate, 2.0, headers_for=_headers)
        spy = _start_py_spy(agent.pid, seconds, profile_to) if profile_to else None
        cpu0, wall0 = tree_cpu_seconds(agent.pid), time.monotonic()
        run = await loadgen.open_loop(client, path, body_for, rate, seconds, headers_for=_headers)
        cpu, wall = tree_cpu_seconds(agent.pid) - cpu0, time.monotonic() - wall0
    summary = run.summary()
    answered = summary["ok"] or 1
    out = {
        "path": path,
        "rate": rate,
        **{k: summary[k] for k in ("sent", "ok", "errors", "timeouts", "latencyMs")},
        "agentCpuSeconds": round(cpu, 3),
        "agentCpuMsPerCall": round(1000 * cpu / answered, 2),
        "agentCpuPercentOfOneCore": round(100 * cpu / wall, 1),
    }
    if spy is not None and profile_to is not None:
        spy.wait(timeout=seconds + 30)
        out["profile"] = summarize_collapsed(profile_to)
    return out


def _start_py_spy(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    argv = ["py-spy", "record", "--pid", str(pid), "--subprocesses", "--duration", str(int(seconds)),
            "--rate", "250", "--full-filenames", "--format", "raw", "--output", str(out), "--nonblocking"]  # fmt: skip
    spy_bin = Path(sys.executable).with_name("py-spy")
    argv[0] = str(spy_bin) if spy_bin.exists() else "py-spy"
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _kinds(sim_url: str, wanted: list[str]) -> list[tuple[str, str, Any]]:
    """(kind, path, body) per kind sent; the two interview routes take the same body."""
    interview = added_latency.agent_body_for(sim_url)
    every = {"interview-stream": ("/v1/interviews/stream", interview), "interview": ("/v1/interviews", interview),
             "probe": ("/v1/probe", lambda _i: PROBE_BODY)}  # fmt: skip
    return [(kind, *every[kind]) for kind in wanted]


async def one_agent(work: Path, sim: processes.RunningProcess, workers: int, args: argparse.Namespace) -> list[dict]:
    agent = processes.agent(work, sim.port, root=args.agent_root, AGENT_WORKERS=str(workers))
    rows = []
    try:
        for rate in args.rates:
            for kind, path, body_for in _kinds(sim.url, args.kinds):
                prof = work / f"pyspy-{workers}w-{kind}-{rate:g}.txt" if args.profile else None
                row = await measured_run(agent, path, body_for, rate, seconds=args.duration, profile_to=prof)
                rows.append({"kind": kind, "workers": workers, **row})
                print(f"  {workers} worker(s) {kind:9} {rate:>4g}/s: {row['agentCpuMsPerCall']} ms CPU/call, "
                      f"p50/p99 {row['latencyMs']['p50']}/{row['latencyMs']['p99']} ms, "
                      f"errors {row['errors']}, timeouts {row['timeouts']}", flush=True)  # fmt: skip
                await asyncio.sleep(1.0)
    finally:
        agent.stop()
    return rows


async def run(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="modelwatch-agent-cost-"))
    sim = processes.simulator(work)
    try:
        await added_latency.set_sim(sim.url)
        rows = []
        for workers in args.workers:
            rows += await one_agent(work, sim, workers, args)
    finally:
        sim.stop()
    return {"rows": rows, "workDir": str(work)}


def render(all_runs: dict[str, Any]) -> str:
    """The CPU table of every labelled run (profiles: bench/README.md, "Profiles")."""
    lines = [
        "# Agent CPU per call (bench/agent_cost.py)",
        "",
        "Open loop; the simulator answers gpt-4o-mini in a fixed 50 ms (first token at 20 ms, ~28 chunks for an",
        "interview, 3 for a probe); CPU = user+sys of the agent and its workers from /proc, per answered call.",
        "Kinds: `interview` = POST /v1/interviews (every run before 2026-12-01 15:40 measured only this one),",
        "`interview-stream` = POST /v1/interviews/stream (what the service calls; NDJSON read to its end),",
        "`probe` = POST /v1/probe.",
        "",
        "| run | started | load avg before → after | workers | kind | rate | CPU ms/call | p50 / p99 ms "
        "| errors | timeouts |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, run in all_runs.items():
        load = f"{run['loadAverageBefore'][0]} → {run['loadAverageAfter'][0]}"
        for row in run["rows"]:
            latency = f"{row['latencyMs']['p50']} / {row['latencyMs']['p99']}"
            name = label + (" (py-spy)" if run.get("profiled") else "")
            lines.append(
                f"| {name} | {run['started']} | {load} | {row['workers']} | {row['kind']} | {row['rate']:g}/s "
                f"| {row['agentCpuMsPerCall']} | {latency} | {row['errors']} | {row['timeouts']} |"
            )
    return "\n".join(lines) + "\n"


def _commit(root: Path) -> str:
    """The commit whose agent ran, and whether agent/ had changes not in it."""

    def git(*argv: str) -> str:
        return subprocess.run(["git", "-C", str(root), *argv], capture_output=True, text=True, check=False).stdout

    dirty = git("status", "--porcelain", "agent").strip()
    return git("rev-parse", "--short", "HEAD").strip() + (" + uncommitted agent/ changes" if dirty else "")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rates", type=lambda s: [float(x) for x in s.split(",")], default=[50.0, 100.0])
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--workers", type=lambda s: [int(x) for x in s.split(",")], default=[1])
    parser.add_argument("--label", default="current", help="the key of this run in the results file")
    parser.add_argument("--kinds", type=lambda s: s.split(","), default=KINDS, help=f"of {','.join(KINDS)}")
    parser.add_argument("--agent-root", type=Path, default=processes.REPO, help="the checkout whose agent/ runs")
    parser.add_argument("--profile", action="store_true", help="sample with py-spy (slower; CPU figures inflated)")
    args = parser.parse_args()
    loadgen.install_uvloop()
    load_before, busy_before = os.getloadavg(), resources.busy_processes()
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    result = asyncio.run(run(args))
    entry = {
        "started": started,
        "agentRoot": str(args.agent_root),
        "agentCommit": _commit(args.agent_root),
        "method": "open loop, CPU user+sys of the agent process tree from /proc per answered call",
        "durationS": args.duration,
        "profiled": args.profile,
        "environment": resources.environment(),
        "loadAverageBefore": [round(x, 2) for x in load_before],
        "loadAverageAfter": [round(x, 2) for x in os.getloadavg()],
        "whatElseRanBefore": busy_before,
        "whatElseRanAfter": resources.busy_processes(),
        **result,
    }
    all_runs = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    all_runs[args.label] = entry
    RESULTS.write_text(json.dumps(all_runs, indent=2) + "\n")
    RESULTS.with_suffix(".md").write_text(render(all_runs))
    print(f"load average before {entry['loadAverageBefore']} after {entry['loadAverageAfter']}; wrote {RESULTS}")


if __name__ == "__main__":
    main()

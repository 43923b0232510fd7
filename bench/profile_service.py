"""Where the service's CPU goes under interview load: a V8 CPU profile, summed by function and by package.

    .venv/bin/python bench/profile_service.py [--rate 100] [--duration 10] [--data-dir /dev/shm/x] [--no-profile]
        [--main ../svcbase/service/dist/main.js | --floor]

Not part of `make bench` (the profiler itself slows the service); a diagnostic for when the
added latency misses its goal. Starts its own simulator, agent and service (node --cpu-prof),
drives POST /v1/interviews open-loop, stops the service, and reads the .cpuprofile it wrote.
Either way it prints the service's CPU per start over the load (utime+stime from /proc / starts sent);
with --no-profile that figure is without the profiler's own cost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
from collections import Counter
from pathlib import Path

import added_latency
import loadgen
import processes
from resources import CLK_TCK, ResourceMonitor

FLOOR_MAIN = Path(__file__).resolve().parent / "floor_server.mjs"


def summarize(
    profile: dict, last_s: float, top: int = 30
) -> tuple[list[tuple[str, float]], list[tuple[str, float]], float]:
    """Busy (non-idle) self time per function and per package, over the profile's last `last_s` seconds
    (the load, not the start-up), in % of that window's wall time."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    deltas = profile.get("timeDeltas", [])
    times, t = [], profile["startTime"]
    for d in deltas:
        t += d
        times.append(t)
    window_start = profile["endTime"] - last_s * 1e6
    self_us: Counter[int] = Counter()
    for sample, delta, at in zip(profile.get("samples", []), deltas, times, strict=False):
        if at >= window_start:
            self_us[sample] += delta
    by_fn: Counter[str] = Counter()
    by_pkg: Counter[str] = Counter()
    for node_id, us in self_us.items():
        frame = nodes[node_id]["callFrame"]
        url = frame.get("url", "")
        name = frame.get("functionName") or "(anonymous)"
        by_fn[f"{name} {Path(url).name}:{frame.get('lineNumber', 0) + 1}" if url else name] += us
        by_pkg[package_of(url, name)] += us
    total = last_s * 1e6

    def pct(c: Counter[str]) -> list[tuple[str, float]]:
        return [(k, round(100 * v / total, 1)) for k, v in c.most_common(top)]

    return pct(by_fn), pct(by_pkg), last_s


def inclusive_by_package(profile: dict, last_s: float, top: int = 20) -> list[tuple[str, float]]:
    """Time under each package's frames (self time of everything they call included), in % of wall time:
    what the service spends in undici/fetch, express, better-sqlite3... with the native work they cause."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    parent = {c: n["id"] for n in profile["nodes"] for c in n.get("children", [])}
    window_start, t = profile["endTime"] - last_s * 1e6, profile["startTime"]
    weight: Counter[int] = Counter()
    for sample, delta in zip(profile.get("samples", []), profile.get("timeDeltas", []), strict=False):
        t += delta
        if t >= window_start:
            weight[sample] += delta
    out: Counter[str] = Counter()
    for node_id, us in weight.items():
        seen: set[str] = set()
        at: int | None = node_id
        while at is not None:
            frame = nodes[at]["callFrame"]
            seen.add(package_of(frame.get("url", ""), frame.get("functionName") or "(anonymous)"))
            at = parent.get(at)
        for pkg in seen:
            out[pkg] += us
    return [(k, round(100 * v / (last_s * 1e6), 1)) for k, v in out.most_common(top)]


def package_of(url: str, name: str) -> str:
    if not url:
        return name if name.startswith("(") else "native/builtin"
    if "node_modules/" in url:
        rest = url.rsplit("node_modules/", maxsplit=1)[-1].split("/")
        return "/".join(rest[:2]) if rest[0].startswith("@") else rest[0]
    if url.startswith("node:"):
        return "node:" + url[5:].split("/", maxsplit=1)[0]
    if "/service/dist/" in url:
        return "service/" + url.split("/service/dist/")[1].split("/", maxsplit=1)[0]
    return url


async def drive(sim_url: str, service: processes.RunningProcess, rate: float, duration: float) -> dict:
    await added_latency.set_sim(sim_url)
    async with loadgen.make_client(service.url) as client:
        await loadgen.warm(client, "/v1/interviews", added_latency.service_body, 8)
        # JIT and caches warm before the measured run, as in the added-latency benchmark.
        await loadgen.open_loop(client, "/v1/interviews", added_latency.service_body, rate, 5, expect_status=201)
        monitor = ResourceMonitor([service])
        load_before = os.getloadavg()[0]
        monitor.start()
        user0, sys0 = user_sys(service.pid)
        threads0 = thread_cpu(service.pid)
        run = await loadgen.open_loop(
            client, "/v1/interviews", added_latency.service_body, rate, duration, expect_status=201
        )
        cpu = monitor.stop()[service.name]["cpuSeconds"]
        user1, sys1 = user_sys(service.pid)
        threads1 = thread_cpu(service.pid)
    summary = run.summary()
    summary["loadAverage"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    by_thread: dict[str, float] = {"main": 0.0, "other threads": 0.0}
    for tid, (name, secs) in threads1.items():
        by_thread["main" if tid == str(service.pid) else "other threads"] += secs - threads0.get(tid, (name, 0.0))[1]
    summary["serviceThreadMsPerStart"] = {k: round(1000 * v / max(summary["sent"], 1), 2) for k, v in by_thread.items()}
    summary["serviceUserSysMsPerStart"] = [
        round(1000 * (a - b) / max(summary["sent"], 1), 2) for a, b in ((user1, user0), (sys1, sys0))
    ]
    summary["serviceCpuMsPerStart"] = None if cpu is None else round(1000 * cpu / max(summary["sent"], 1), 2)
    return summary


def user_sys(pid: int) -> tuple[float, float]:
    """User and system CPU seconds of a process (/proc/<pid>/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK


def thread_cpu(pid: int) -> dict[str, tuple[str, float]]:
    """CPU seconds per thread (main thread, libuv pool, V8 GC and compiler threads), by thread id."""
    out: dict[str, tuple[str, float]] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        out[task.name] = (name, (int(fields[11]) + int(fields[12])) / CLK_TCK)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--data-dir", help="service DATA_DIR (default: a temporary directory on disk)")
    parser.add_argument("--no-profile", action="store_true", help="CPU per start only, without the profiler")
    parser.add_argument(
        "--main", type=Path, default=processes.SERVICE_MAIN, help="the build to run (a base worktree's dist/main.js)"
    )
    parser.add_argument(
        "--node-arg", action="append", default=[], help="a flag for node (V8 heap sizing, ...); repeatable"
    )
    parser.add_argument(
        "--floor", action="store_true", help="run bench/floor_server.mjs instead: the least a start can cost here"
    )
    args = parser.parse_args()
    loadgen.install_uvloop()
    work = Path(tempfile.mkdtemp(prefix="modelwatch-profile-"))
    prof_dir = work / "prof"
    sim = processes.simulator(work)
    ag = processes.agent(work, sim.port)
    stack = processes.Stack(sim, ag)
    try:
        stack.service = processes.service(
            work,
            ag.url,
            processes.REPO / "config" / "demo.yaml",
            Path(args.data_dir) if args.data_dir else work / "data",
            sim_port=sim.port,
            node_args=[*args.node_arg, *([] if args.no_profile else ["--cpu-prof", f"--cpu-prof-dir={prof_dir}"])],
            main=FLOOR_MAIN if args.floor else args.main,
        )
        summary = asyncio.run(drive(sim.url, stack.service, args.rate, args.duration))
    finally:
        stack.stop()
    keys: tuple[str, ...] = ("sent", "ok", "errors", "timeouts", "errorKinds", "refused", "latencyMs")
    keys = (*keys, "serviceCpuMsPerStart", "serviceUserSysMsPerStart", "serviceThreadMsPerStart", "loadAverage")
    print(json.dumps({k: summary.get(k) for k in keys}))
    if args.no_profile:
        return
    profiles = sorted(prof_dir.glob("*.cpuprofile"))
    if not profiles:
        print(f"no profile written in {prof_dir}")
        return
    profile = json.loads(profiles[-1].read_text())
    by_fn, by_pkg, seconds = summarize(profile, args.duration)
    inclusive = inclusive_by_package(profile, seconds)
    print("inclusive by package:", *(f"  {pct:5.1f}%  {k}" for k, pct in inclusive), sep="\n")
    print(f"profile {profiles[-1]}: last {seconds:.1f} s (the load), self time in % of wall time")
    print("by package:", *(f"  {pct:5.1f}%  {k}" for k, pct in by_pkg), sep="\n")
    print("by function:", *(f"  {pct:5.1f}%  {k}" for k, pct in by_fn), sep="\n")


if __name__ == "__main__":
    main()

"""Where the service's CPU goes under interview load: a V8 CPU profile, summed by function and by package.

    .venv/bin/python bench/profile_service.py [--rate 100] [--duration 10] [--data-dir /dev/shm/x]

Not part of `make bench` (the profiler itself slows the service); a diagnostic for when the
added latency misses its goal. Starts its own simulator, agent and service (node --cpu-prof),
drives POST /v1/interviews open-loop, stops the service, and reads the .cpuprofile it wrote.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from collections import Counter
from pathlib import Path

import added_latency
import loadgen
import processes


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


async def drive(sim_url: str, service_url: str, rate: float, duration: float) -> dict:
    await added_latency.set_sim(sim_url)
    async with loadgen.make_client(service_url) as client:
        run = await loadgen.open_loop(
            client, "/v1/interviews", added_latency.service_body, rate, duration, expect_status=201
        )
    return run.summary()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--data-dir", help="service DATA_DIR (default: a temporary directory on disk)")
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
            node_args=["--cpu-prof", f"--cpu-prof-dir={prof_dir}"],
        )
        summary = asyncio.run(drive(sim.url, stack.service.url, args.rate, args.duration))
    finally:
        stack.stop()
    print(json.dumps({k: summary[k] for k in ("sent", "ok", "errors", "timeouts", "latencyMs")}))
    profiles = sorted(prof_dir.glob("*.cpuprofile"))
    if not profiles:
        print(f"no profile written in {prof_dir}")
        return
    by_fn, by_pkg, seconds = summarize(json.loads(profiles[-1].read_text()), args.duration)
    print(f"profile {profiles[-1]}: last {seconds:.1f} s (the load), self time in % of wall time")
    print("by package:", *(f"  {pct:5.1f}%  {k}" for k, pct in by_pkg), sep="\n")
    print("by function:", *(f"  {pct:5.1f}%  {k}" for k, pct in by_fn), sep="\n")


if __name__ == "__main__":
    main()

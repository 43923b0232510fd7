"""What the service's memory holds, and how much garbage it makes, at many registered models (issue 15: RSS).

    .venv/bin/python bench/heap_scale.py [--models 1000] [--warm 60] [--window 60] [--service-main path]
        [--node-arg=--heap-growing-percent=50 ...]

Starts the simulator, the agent and the built service on bench/scale.py's generated config (every model on the
simulator, probed every 10 s), with `--trace-gc` and `--heapsnapshot-signal`. Until `--warm` seconds it samples
RSS against V8's heap (reserved, used) and external memory every 10 s; then it takes a heap snapshot (V8
collects garbage first: live objects only) and lists the live heap by object kind (as heap_growth.py does).
Next, V8's sampling heap profiler runs 30 s over the inspector (scrapes every 15 s), counting the objects that
outlived the young generation, by allocation site. Then for `--window` seconds it scrapes `/metrics` every 15 s
as scale.py does, and sums what V8's young-generation collections freed (`--trace-gc` lines: size before minus
size after each scavenge, i.e. short-lived garbage) and how much the heap grew over them (promoted objects and
large objects: old-space garbage that only a mark-compact frees, what RSS's sawtooth is made of) with the
probes done in the window; a last pass scrapes `/metrics` 20 times back to back to give a scrape's share apart
from the probes'. A diagnostic: it reports, never passes or fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import heap_growth
import httpx
import processes
import scale
import websockets
from processes import REPO, Stack

GC = re.compile(r"(Scavenge|Mark-Compact)\S*\s+([\d.]+) \(([\d.]+)\) -> ([\d.]+) \(([\d.]+)\) MB")


def gc_totals(log: Path) -> tuple[int, float, float, int]:
    """From the service's `--trace-gc` lines so far: scavenges, MB they freed (short-lived garbage), MB the
    heap grew over them (promoted to the old generation, plus large objects, which are old from birth: what a
    mark-compact must free later, the RSS sawtooth), and mark-compacts."""
    scavenges, freed, grew, marks, after = 0, 0.0, 0.0, 0, None
    for kind, before, _, now, _ in GC.findall(log.read_text(errors="replace")):
        if kind == "Scavenge":
            scavenges += 1
            freed += float(before) - float(now)
            grew += max(0.0, float(now) - after) if after is not None else 0.0
        else:
            marks += 1
        after = float(now)
    return scavenges, freed, grew, marks


async def probes_done(client: httpx.AsyncClient) -> float:
    return scale.total(scale.metric_samples((await client.get("/metrics")).text), "modelwatch_probes_total")


async def garbage(log: Path, client: httpx.AsyncClient, window_s: float) -> dict[str, float]:
    g0, p0, t0 = gc_totals(log), await probes_done(client), time.monotonic()
    while time.monotonic() - t0 < window_s:
        await client.get("/metrics")
        await asyncio.sleep(15)
    g1, p1, t1 = gc_totals(log), await probes_done(client), time.monotonic()
    scrapes = 20
    for _ in range(scrapes):
        await client.get("/metrics")
    g2, t2 = gc_totals(log), time.monotonic()
    rate = [(g1[i] - g0[i]) / (t1 - t0) for i in (1, 2)]
    # The burst's own share: what it freed (or promoted) minus the probes' share at the window's rate.
    per_scrape = [round(((g2[i] - g1[i]) - rate[i - 1] * (t2 - t1)) / scrapes, 2) for i in (1, 2)]
    return {
        "windowS": round(t1 - t0, 1),
        "probes": p1 - p0,
        "scavenges": g1[0] - g0[0],
        "markCompacts": g1[3] - g0[3],
        "scavengedMbPerS": round(rate[0], 2),
        "oldGrowthMbPerS": round(rate[1], 2),
        "scavengedKbPerProbe": round((g1[1] - g0[1]) * 1000 / max(1.0, p1 - p0), 1),
        "scavengedMbPerScrape": per_scrape[0],
        "oldGrowthMbPerScrape": per_scrape[1],
    }


async def promoted_garbage(log: Path, seconds: float, top: int = 25) -> None:
    """V8's sampling heap profiler over `seconds`, counting objects freed by major GCs as well as the live ones
    (not those a scavenge freed): what survives the young generation is what fills the old space between
    mark-compacts, i.e. RSS's sawtooth. Listed by allocating function."""
    url = re.findall(r"Debugger listening on (ws://\S+)", log.read_text(errors="replace"))[-1]
    async with websockets.connect(url, max_size=None, ping_interval=None) as ws:

        async def call(n: int, method: str, **params: object) -> dict:
            await ws.send(json.dumps({"id": n, "method": method, "params": params}))
            while (msg := json.loads(await ws.recv())).get("id") != n:
                pass
            return msg

        await call(1, "HeapProfiler.enable")
        sampling = {"samplingInterval": 16384, "includeObjectsCollectedByMajorGC": True}
        print(await call(2, "HeapProfiler.startSampling", **sampling))
        await asyncio.sleep(seconds)
        profile = (await call(3, "HeapProfiler.stopSampling"))["result"]["profile"]
    by_frame: Counter[str] = Counter()

    def walk(node: dict, stack: list[str]) -> None:
        f = node["callFrame"]
        here = f"{f['functionName'] or '(anon)'} {f['url'].rsplit('/', 2)[-1]}:{f['lineNumber'] + 1}"
        chain = [*stack, here][-4:]
        by_frame[" < ".join(reversed(chain))] += node["selfSize"]
        for child in node["children"]:
            walk(child, chain)

    walk(profile["head"], [])
    total = sum(by_frame.values())
    print(f"sampled {total / 1e6:.1f} MB over {seconds:g} s (live + freed by major GC), top allocation sites:")
    for site, n in by_frame.most_common(top):
        print(f"  {n / 1e6:7.2f} MB  {site}")


async def scrape_every(client: httpx.AsyncClient, seconds: float, every: float = 15.0) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        await client.get("/metrics")
        await asyncio.sleep(every)


async def study(svc: processes.RunningProcess, log: Path, diag: Path, warm_s: float, window_s: float) -> None:
    async with httpx.AsyncClient(base_url=svc.url, timeout=120) as client:
        # RSS against V8's heap (reserved, used) and external memory every 10 s from the start (heap_growth.py's).
        memory: list[dict[str, float]] = []
        stop = asyncio.Event()
        sampler = asyncio.create_task(heap_growth.sample_memory(svc.url, stop, memory))
        await asyncio.sleep(warm_s)
        stop.set()
        await sampler
        print("t s, RSS / heap reserved / heap used / external MB:", [tuple(m.values()) for m in memory])
        snap = await heap_growth.snapshot(svc.pid, diag)
        size, count = heap_growth.live_heap_by_kind(snap)
        print(f"live heap {sum(size.values()) / 1e6:.1f} MB in {sum(count.values())} nodes; top kinds:")
        for kind, n in size.most_common(25):
            print(f"  {n / 1e6:8.2f} MB {count[kind]:>9}  {kind}")
        # Scrapes at scale.py's pace while sampling, and none at the end of the profile (in flight = "live").
        scraping = asyncio.create_task(scrape_every(client, 20))
        await promoted_garbage(log, 30)
        await scraping
        print(await garbage(log, client, window_s))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", type=int, default=1000)
    ap.add_argument("--warm", type=float, default=60.0)
    ap.add_argument("--window", type=float, default=60.0)
    ap.add_argument("--service-main", type=Path, default=processes.SERVICE_MAIN)
    ap.add_argument("--node-arg", action="append", default=[], help="a Node/V8 flag for the service (repeatable)")
    args = ap.parse_args()
    work = REPO / "bench" / ".work" / "heap-scale"
    shutil.rmtree(work, ignore_errors=True)
    diag = work / "diag"
    diag.mkdir(parents=True)
    config = scale.write_config(work / "scale.yaml", args.models)
    sim = processes.simulator(work)
    stack = Stack(sim, processes.agent(work, sim.port, config=config))
    diagnostics = ["--trace-gc", "--inspect=127.0.0.1:0", "--heapsnapshot-signal=SIGUSR2", f"--diagnostic-dir={diag}"]
    node_args = [*args.node_arg, *diagnostics]
    try:
        stack.service = processes.service(
            work, stack.agent.url, config, work / "data", sim_port=sim.port, node_args=node_args,
            main=args.service_main.resolve(),
        )  # fmt: skip
        print(f"load average before {os.getloadavg()}", flush=True)
        asyncio.run(study(stack.service, work / "service-data.log", diag, args.warm, args.window))
        print(f"load average after {os.getloadavg()}")
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Does the service leak under steady starts? Live heap between two heap snapshots, and RSS against V8's heap.

    .venv/bin/python bench/heap_growth.py [--rate 30] [--warm 60] [--run 180] [--out bench/results]

Starts the simulator, the agent and the built service (`config/demo.yaml`, `--heapsnapshot-signal`), sends
open-loop starts at `--rate` for `--warm` seconds, takes heap snapshot A (V8 collects garbage first, so it
holds only live objects), sends for `--run` more seconds, takes snapshot B, and compares them by object kind
(self size and count). Meanwhile it scrapes the service's own `/metrics` every 10 s: RSS
(`process_resident_memory_bytes`) against V8's heap reserved and used (`nodejs_heap_size_*_bytes`). Live heap
flat while RSS grows = V8 sizing its heap (or native memory), not a leak; the top growers name a leak's
objects. A diagnostic: it reports, never passes or fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import contextlib

import httpx
import loadgen
import processes
import resources

MEMORY = {"rss": "process_resident_memory_bytes", "heapTotal": "nodejs_heap_size_total_bytes",
          "heapUsed": "nodejs_heap_size_used_bytes", "external": "nodejs_external_memory_bytes"}  # fmt: skip
BODY = {"primary": "openai:gpt-4o-mini", "config": {"role": "engineer"}}


def live_heap_by_kind(path: Path) -> tuple[Counter[str], Counter[str]]:
    """Self size and count of every node of a V8 heap snapshot, by type and constructor name."""
    snap = json.loads(path.read_text())
    meta = snap["snapshot"]["meta"]
    fields, types, strings, nodes = meta["node_fields"], meta["node_types"][0], snap["strings"], snap["nodes"]
    width, at_type, at_name, at_size = (
        len(fields),
        fields.index("type"),
        fields.index("name"),
        fields.index("self_size"),
    )
    size: Counter[str] = Counter()
    count: Counter[str] = Counter()
    for i in range(0, len(nodes), width):
        kind = types[nodes[i + at_type]]
        key = f"{kind}:{strings[nodes[i + at_name]][:60]}" if kind in ("object", "closure", "native") else kind
        size[key] += nodes[i + at_size]
        count[key] += 1
    return size, count


async def snapshot(pid: int, diag: Path) -> Path:
    before = set(diag.glob("*.heapsnapshot"))
    os.kill(pid, signal.SIGUSR2)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        new = set(diag.glob("*.heapsnapshot")) - before
        # Written in one go by the service; its size stops changing when the write is done.
        if new and (p := new.pop()).stat().st_size > 0:
            size = -1
            while size != p.stat().st_size:
                size = p.stat().st_size
                await asyncio.sleep(1)
            return p
        await asyncio.sleep(0.5)
    raise TimeoutError("no heap snapshot within 120 s")


async def sample_memory(url: str, stop: asyncio.Event, into: list[dict[str, float]]) -> None:
    t0 = time.monotonic()
    async with httpx.AsyncClient(timeout=10) as client:
        while not stop.is_set():
            text = (await client.get(f"{url}/metrics")).text
            row = {"t": round(time.monotonic() - t0, 1)}
            for key, name in MEMORY.items():
                found = re.search(rf"^{name}(?:{{[^}}]*}})? (\S+)", text, re.MULTILINE)
                row[key] = round(float(found.group(1)) / 1e6, 1) if found else -1.0
            into.append(row)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 10)


def markdown(r: dict[str, Any]) -> str:
    a, b = r["liveHeapMB"]
    lines = [
        "# Service heap under steady starts",
        "",
        f"{r['rate']:g} starts/s; snapshot A after {r['startsBeforeA']} starts, B after {r['startsBeforeB']} "
        f"(load average {r['loadAverage'][0]:.1f} before, {r['loadAverageAfter'][0]:.1f} after). "
        f"Live heap A {a:.2f} MB, B {b:.2f} MB. Method: bench/heap_growth.py's docstring.",
        "",
        "| t (s) | RSS (MB) | heap reserved (MB) | heap used (MB) | external (MB) |",
        "|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {m['t']:g} | {m['rss']} | {m['heapTotal']} | {m['heapUsed']} | {m['external']} |" for m in r["memory"]
    ]
    lines += ["", "Top growers from A to B:", "", "| kind | MB | count |", "|---|---:|---:|"]
    lines += [f"| `{g['kind']}` | {g['mb']:.3f} | {g['count']} |" for g in r["growth"]]
    return "\n".join(lines) + "\n"


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=float, default=30.0)
    ap.add_argument("--warm", type=float, default=60.0)
    ap.add_argument("--run", type=float, default=180.0)
    ap.add_argument("--out", type=Path, default=processes.REPO / "bench" / "results")
    args = ap.parse_args()
    loadgen.install_uvloop()
    work = Path(tempfile.mkdtemp(prefix="modelwatch-bench-heap-"))
    diag = work / "diag"
    diag.mkdir()
    load_before = os.getloadavg()
    sim = processes.simulator(work)
    agent = processes.agent(work, sim.port)
    node_args = ["--heapsnapshot-signal=SIGUSR2", f"--diagnostic-dir={diag}"]
    svc = processes.service(
        work, agent.url, processes.DEMO_CONFIG, work / "data", sim_port=sim.port, node_args=node_args
    )
    memory: list[dict[str, float]] = []
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_memory(svc.url, stop, memory))
    client = loadgen.make_client(svc.url)
    try:
        warm = await loadgen.open_loop(
            client, "/v1/interviews", lambda _: BODY, args.rate, args.warm, expect_status=201
        )
        a = await snapshot(svc.pid, diag)
        more = await loadgen.open_loop(client, "/v1/interviews", lambda _: BODY, args.rate, args.run, expect_status=201)
        b = await snapshot(svc.pid, diag)
    finally:
        stop.set()
        await sampler
        svc.stop()
        agent.stop()
        sim.stop()
    (size_a, count_a), (size_b, count_b) = live_heap_by_kind(a), live_heap_by_kind(b)
    growth = sorted(((size_b[k] - size_a[k], count_b[k] - count_a[k], k) for k in size_a | size_b), reverse=True)
    n_warm = sum(1 for o in warm.outcomes if o.status == 201)
    result = {
        "environment": resources.environment(),
        "loadAverage": load_before,
        "loadAverageAfter": os.getloadavg(),
        "rate": args.rate,
        "startsBeforeA": n_warm,
        "startsBeforeB": n_warm + sum(1 for o in more.outcomes if o.status == 201),
        "liveHeapMB": [sum(size_a.values()) / 1e6, sum(size_b.values()) / 1e6],
        "growth": [{"kind": k, "mb": d / 1e6, "count": c} for d, c, k in growth[:10]],
        "memory": memory,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "heap-growth.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "heap-growth.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    asyncio.run(main())

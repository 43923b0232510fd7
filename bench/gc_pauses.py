"""The service's garbage-collection pauses under steady starts, by V8's own account (`--trace-gc`).

    .venv/bin/python bench/gc_pauses.py [--rate 50] [--duration 20] [--node-arg=--max-semi-space-size=16 ...]

Starts the simulator, the agent and the built service (through its launcher, with any extra node flags
after the launcher's own: a later flag wins), sends open-loop starts at `--rate` (5 s of warm-up, then
`--duration` s measured) and reads the service's log for the GC lines of the measured run: scavenges
(young generation) with their main-thread pause, and mark-compacts of the main isolate. A pause holds
every request in flight. A diagnostic: it reports, never passes or fails. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import tempfile
from pathlib import Path

import added_latency
import loadgen
import processes
from processes import Stack

# "[pid:0xISOLATE]  7945 ms: Scavenge 44.4 (62.1) -> 29.6 (62.1) MB, 8.45 / 0.08 ms ..."
GC_LINE = re.compile(
    r"^\[\d+:(0x[0-9a-f]+)\]\s+\d+ ms: (Scavenge|Mark-Compact)\S* ([\d.]+) \([\d.]+\) -> ([\d.]+) .*?MB, ([\d.]+) /"
)


def summarize(lines: list[str], starts: int) -> dict[str, object]:
    events = [m.groups() for m in map(GC_LINE.match, lines) if m]
    # The main isolate is the one that scavenges most; the checkpoint worker has its own small heap.
    isolates = [isolate for isolate, kind, *_ in events if kind == "Scavenge"]
    main = max(set(isolates), key=isolates.count) if isolates else None
    pauses = sorted(float(p) for isolate, kind, *_, p in events if kind == "Scavenge" and isolate == main)
    freed = sum(float(a) - float(b) for isolate, kind, a, b, _ in events if kind == "Scavenge" and isolate == main)
    majors = [float(p) for isolate, kind, *_, p in events if kind == "Mark-Compact" and isolate == main]
    return {
        "starts": starts,
        "scavenges": len(pauses),
        "scavengePauseMs": {
            "median": pauses[len(pauses) // 2] if pauses else None,
            "max": pauses[-1] if pauses else None,
            "sum": round(sum(pauses), 1),
        },
        "youngGarbageKbPerStart": round(freed * 1024 / max(starts, 1), 1),
        "markCompacts": len(majors),
        "markCompactPauseMs": majors,
    }


async def measure(rate: float, duration: float, node_args: list[str]) -> dict[str, object]:
    loadgen.install_uvloop()
    work = Path(tempfile.mkdtemp(prefix="modelwatch-gc-"))
    sim = processes.simulator(work)
    stack = Stack(sim, processes.agent(work, sim.port))
    data = work / "data"
    stack.service = processes.service(
        work, stack.agent.url, processes.DEMO_CONFIG, data, sim_port=sim.port, node_args=["--trace-gc", *node_args]
    )
    log = work / f"service-{data.name}.log"
    try:
        await added_latency.set_sim(sim.url)
        async with loadgen.make_client(stack.service.url) as client:
            await loadgen.open_loop(client, "/v1/interviews", added_latency.service_body, rate, 5, expect_status=201)
            seen = len(log.read_text().splitlines())
            load_before = os.getloadavg()[0]
            run = await loadgen.open_loop(
                client, "/v1/interviews", added_latency.service_body, rate, duration, expect_status=201
            )
        summary = run.summary()
        result = summarize(log.read_text().splitlines()[seen:], summary["sent"])
        return {
            "rate": rate,
            "durationS": duration,
            "nodeArgs": node_args,
            **result,
            "latencyMs": summary["latencyMs"],
            "loadAverage": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        }
    finally:
        stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--node-arg", action="append", default=[], help="a flag for node; repeatable")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.rate, args.duration, args.node_arg))))


if __name__ == "__main__":
    main()

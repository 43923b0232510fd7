"""Parts 3 and 5: benchmarks other people own, run if present and read back.

3. The health engine: service/bench/run-health-engine-bench.mjs (compiles health-engine.bench.ts with
   tsc, runs it with --expose-gc) writes bench/results/health-engine.json; we run it and read that file.
5. The simulator's own ceiling: bench/simulator_throughput.py (closed loop, no simulated delay) prints
   text; we parse throughput, latency and the simulator's CPU per request.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from processes import REPO

HE_RUNNER = REPO / "service" / "bench" / "run-health-engine-bench.mjs"
HE_RESULTS = REPO / "bench" / "results" / "health-engine.json"
SIM_BENCH = REPO / "bench" / "simulator_throughput.py"
HE_TIMEOUT_S = 180


def health_engine(run: bool, log: Path) -> dict[str, Any]:
    """Runs the health-engine benchmark (unless run=False) and returns its JSON, marked with its source."""
    if not HE_RUNNER.exists():
        return {"missing": f"{HE_RUNNER.relative_to(REPO)} not found"}
    status = "not re-run (--quick): figures from the last run"
    if run:
        started = time.monotonic()
        with open(log, "wb") as out:
            proc = subprocess.run(
                ["node", str(HE_RUNNER)],
                cwd=REPO / "service",
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=HE_TIMEOUT_S,
                check=False,
            )
        status = f"re-run now ({time.monotonic() - started:.0f} s, exit {proc.returncode})"
        if proc.returncode != 0:
            return {"missing": f"health-engine bench exited {proc.returncode}; see {log}"}
    if not HE_RESULTS.exists():
        return {"missing": f"{HE_RESULTS.relative_to(REPO)} not written"}
    data = json.loads(HE_RESULTS.read_text())
    data.pop("sink", None)
    return {**data, "source": f"{HE_RESULTS.relative_to(REPO)}, {status}, dated {data.get('date')}."}


def simulator_throughput(duration_s: float, modes: list[str]) -> list[dict[str, Any]]:
    if not SIM_BENCH.exists():
        return []
    runs = []
    for mode in modes:
        argv = [sys.executable, str(SIM_BENCH), "--duration", str(duration_s)]
        argv += ["--stream"] if mode == "stream" else []
        proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=duration_s + 60, check=False)
        runs.append(
            {
                "mode": mode,
                **parse_sim(proc.stdout),
                "exit": proc.returncode,
                **({"stderr": proc.stderr[-500:]} if proc.returncode else {}),
            }
        )
    return runs


def parse_sim(text: str) -> dict[str, Any]:
    patterns = {
        "concurrency": r"concurrency=(\d+)",
        "requests": r"requests=(\d+)",
        "errors": r"errors=(\d+)",
        "throughput": r"throughput=([\d.]+) req/s",
        "p50": r"p50=([\d.]+)ms",
        "p95": r"p95=([\d.]+)ms",
        "p99": r"p99=([\d.]+)ms",
        "cpuMsPerRequest": r"simulator cpu=([\d.]+)ms per request",
        "reqPerSecPerCore": r"about (\d+) req/s per fully available core",
        "load": r"load=([\d.]+)",
    }
    out: dict[str, Any] = {}
    for key, pattern in patterns.items():
        m = re.search(pattern, text)
        if m:
            out[key] = float(m.group(1)) if "." in m.group(1) else int(m.group(1))
    return out

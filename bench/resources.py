"""What the bench measures about processes: CPU seconds, time waiting for a CPU and peak RSS of each
process between two points, and what the machine is and what else ran on it.

CPU comes from /proc/<pid>/stat (user+sys, every thread), peak RSS from VmHWM after resetting it
through /proc/<pid>/clear_refs, so each measured run gets its own peak.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.support.processes import RunningProcess

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """User+system CPU seconds of a process so far (all its threads)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def run_queue_wait_s(pid: int) -> float | None:
    """Seconds the main thread spent runnable but waiting for a CPU (/proc/<pid>/task/<pid>/schedstat,
    second field): time lost to other processes on the same cores, not to the process's own work."""
    try:
        return int(Path(f"/proc/{pid}/task/{pid}/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return None


def reset_peak_rss(pid: int) -> bool:
    """Writing 5 to clear_refs resets VmHWM (Linux >= 4.0): the next peak is this run's own."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class ResourceMonitor:
    """CPU seconds (user+sys) and peak RSS of each process between start() and stop()."""

    def __init__(self, procs: list[RunningProcess]) -> None:
        self.procs = procs
        self.cpu0: dict[str, float | None] = {}
        self.wait0: dict[str, float | None] = {}
        self.wall0 = 0.0
        self.self0 = 0.0
        self.peak_reset: dict[str, bool] = {}

    def start(self) -> None:
        for p in self.procs:
            self.peak_reset[p.name] = reset_peak_rss(p.pid)
            self.cpu0[p.name] = cpu_seconds(p.pid)
            self.wait0[p.name] = run_queue_wait_s(p.pid)
        self.self0 = _self_cpu()
        self.wall0 = time.monotonic()

    def stop(self) -> dict[str, dict[str, Any]]:
        wall = time.monotonic() - self.wall0
        out: dict[str, dict[str, Any]] = {}
        for p in self.procs:
            before, after = self.cpu0.get(p.name), cpu_seconds(p.pid)
            cpu = None if before is None or after is None else round(after - before, 2)
            w0, w1 = self.wait0.get(p.name), run_queue_wait_s(p.pid)
            wait = None if w0 is None or w1 is None else round(w1 - w0, 3)
            out[p.name] = {
                "wallSeconds": round(wall, 2),
                "cpuSeconds": cpu,
                "mainThreadRunQueueWaitSeconds": wait,
                "cpuPercentOfOneCore": None if cpu is None else round(100 * cpu / wall, 1),
                "peakRssMb": _round(peak_rss_mb(p.pid)),
                "peakIsThisRun": self.peak_reset.get(p.name, False),
            }
        gen = _self_cpu() - self.self0
        out["loadgen"] = {
            "wallSeconds": round(wall, 2),
            "cpuSeconds": round(gen, 2),
            "cpuPercentOfOneCore": round(100 * gen / wall, 1),
            "peakRssMb": _round(peak_rss_mb(os.getpid())),
            "peakIsThisRun": False,
        }
        return out


def merge_resources(runs: list[dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Resource figures of several slices: CPU and wall time summed, peak RSS the highest."""
    out: dict[str, dict[str, Any]] = {}
    for name in runs[0] if runs else {}:
        rows = [r[name] for r in runs if name in r]
        wall = sum(r["wallSeconds"] for r in rows)
        cpus = [r["cpuSeconds"] for r in rows if r["cpuSeconds"] is not None]
        waits = [w for r in rows if (w := r.get("mainThreadRunQueueWaitSeconds")) is not None]
        peaks = [r["peakRssMb"] for r in rows if r["peakRssMb"] is not None]
        cpu = round(sum(cpus), 2) if cpus else None
        out[name] = {
            "wallSeconds": round(wall, 2),
            "cpuSeconds": cpu,
            "mainThreadRunQueueWaitSeconds": round(sum(waits), 3) if rows and len(waits) == len(rows) else None,
            "cpuPercentOfOneCore": None if cpu is None or not wall else round(100 * cpu / wall, 1),
            "peakRssMb": max(peaks) if peaks else None,
            "peakIsThisRun": all(r["peakIsThisRun"] for r in rows),
        }
    return out


def _self_cpu() -> float:
    t = os.times()
    return t.user + t.system


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 1)


def environment() -> dict[str, object]:
    """What the machine is: cores, CPU model, versions, and what else was running."""
    cpu_model = ""
    with contextlib.suppress(OSError):
        cpu_model = next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            "",
        )
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    return {
        "cores": os.cpu_count(),
        "cpuModel": cpu_model,
        "node": node,
        "python": sys.version.split()[0],
        "platform": sys.platform,
        "kernel": os.uname().release,
    }


def _all_cpu() -> dict[int, tuple[float, str]]:
    out = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        cpu = cpu_seconds(int(d.name))
        if cpu is None:
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        out[int(d.name)] = (cpu, cmd)
    return out


def busy_processes(sample_s: float = 1.0, min_percent: float = 3.0) -> list[dict[str, object]]:
    """Processes that used at least min_percent of one core over a short sample: what else ran."""
    before = _all_cpu()
    time.sleep(sample_s)
    after = _all_cpu()
    rows: list[dict[str, Any]] = []
    for pid, (cpu, cmd) in after.items():
        if pid == os.getpid() or pid not in before:
            continue
        pct = 100 * (cpu - before[pid][0]) / sample_s
        if pct >= min_percent and cmd:
            rows.append({"pid": pid, "cpuPercent": round(pct), "command": cmd[:120]})
    return sorted(rows, key=lambda r: -r["cpuPercent"])[:10]

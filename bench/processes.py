"""Starts the simulator, the agent and the service as child processes on free ports, and measures them.

Each process writes its log to a file in the run's work directory (never to a pipe nobody drains).
CPU comes from /proc/<pid>/stat (user+sys, every thread), peak RSS from VmHWM after resetting it
through /proc/<pid>/clear_refs, so each measured run gets its own peak.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
PYTHON = REPO / ".venv" / "bin" / "python"
# The shared secret between service and agent for benchmark runs (the agent refuses calls without it).
AGENT_TOKEN = "bench-agent-token-" + os.urandom(8).hex()
DEMO_CONFIG = REPO / "config" / "demo.yaml"
START_TIMEOUT_S = 30.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


@dataclass
class Proc:
    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    log_path: Path
    health_path: str = "/healthz"
    popen: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def start(self) -> Proc:
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(
                self.argv,
                cwd=REPO,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited {self.popen.returncode}: {self.tail()}")
            try:
                if httpx.get(self.url + self.health_path, timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer {self.health_path} in {START_TIMEOUT_S} s: {self.tail()}")

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=5)

    def tail(self, chars: int = 1500) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def simulator(work: Path) -> Proc:
    port = free_port()
    # warning: the simulator is the test double, its per-request log lines are not what we measure.
    env = {"SIMULATOR_PORT": str(port), "SCENARIO": "none", "LOG_LEVEL": "warning"}
    return Proc("simulator", [str(PYTHON), "-m", "simulator"], env, port, work / "simulator.log").start()


def agent(work: Path, sim_port: int) -> Proc:
    """The agent on the providers of config/demo.yaml (the simulator at `sim_port`), as the benchmarked service."""
    port = free_port()
    env = {
        "AGENT_PORT": str(port), "SIMULATOR_API_KEY": "sim-key", "LOG_LEVEL": "INFO", "CONFIG": str(DEMO_CONFIG),
        "SIMULATOR_PORT": str(sim_port), "MODELWATCH_AGENT_TOKEN": AGENT_TOKEN,
    }  # fmt: skip
    return Proc("agent", [str(PYTHON), "-m", "agent"], env, port, work / "agent.log").start()


def service(
    work: Path, agent_url: str, config: Path, data_dir: Path, *, sim_port: int, node_args: list[str] | None = None
) -> Proc:
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        "SERVICE_PORT": str(port),
        "AGENT_URL": agent_url,
        "CONFIG": str(config),
        "DATA_DIR": str(data_dir),
        "LOG_LEVEL": "info",
        "SIMULATOR_PORT": str(sim_port),
        "SIMULATOR_API_KEY": "sim-key",
        "MODELWATCH_AGENT_TOKEN": AGENT_TOKEN,
    }
    argv = ["node", *(node_args or []), str(REPO / "service" / "dist" / "main.js")]
    return Proc("service", argv, env, port, work / f"service-{port}.log").start()


@dataclass
class Stack:
    """The three processes; `procs` is what the resource monitor watches."""

    sim: Proc
    agent: Proc
    service: Proc | None = None
    extra: list[Proc] = field(default_factory=list)

    @property
    def procs(self) -> list[Proc]:
        return [p for p in (self.service, self.agent, self.sim) if p is not None]

    def stop(self) -> None:
        for p in [*self.extra, *self.procs]:
            p.stop()


class ResourceMonitor:
    """CPU seconds (user+sys) and peak RSS of each process between start() and stop()."""

    def __init__(self, procs: list[Proc]) -> None:
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

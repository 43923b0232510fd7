"""Starts the real simulator and the real agent as subprocesses, on ports the OS picks.

Both processes take port 0 and log the port they bound, so concurrent test runs never collide and
nothing has to guess a free port. Readiness is the logged port plus a 200 from /healthz, within a deadline.
Output goes to files, not pipes: a full pipe would block the process under test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
START_DEADLINE_S = 30.0


@dataclass
class RunningProcess:
    name: str
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    def logs(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_module(module: str, env: dict[str, str], log_path: Path, port_field: str = "port") -> RunningProcess:
    """Runs `python -m module` from the repo root and returns once it serves /healthz."""
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", module],
            cwd=REPO_ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    running = RunningProcess(module, process, "", log_path)
    try:
        deadline = time.monotonic() + START_DEADLINE_S
        port = _wait_for_logged_port(running, port_field, deadline)
        running.base_url = f"http://127.0.0.1:{port}"
        _wait_for_health(running, deadline)
    except BaseException:
        running.stop()
        raise
    return running


def base_env(**overrides: str) -> dict[str, str]:
    """The current environment minus anything that would change the processes under test."""
    ours = ("OTEL_", "AGENT_", "SIMULATOR_", "SCENARIO", "CONFIG", "MODELWATCH_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    env.update(overrides)
    return env


def _wait_for_logged_port(running: RunningProcess, port_field: str, deadline: float) -> int:
    while time.monotonic() < deadline:
        for line in running.logs().splitlines():
            port = _listening_port(line, port_field)
            if port is not None:
                return port
        _check_alive(running)
        time.sleep(0.02)
    raise TimeoutError(f"{running.name} logged no listening port within {START_DEADLINE_S} s:\n{running.logs()}")


def _listening_port(line: str, port_field: str) -> int | None:
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    is_listening = isinstance(entry, dict) and "listening" in (entry.get("message"), entry.get("msg"))
    return int(entry[port_field]) if is_listening and port_field in entry else None


def _wait_for_health(running: RunningProcess, deadline: float) -> None:
    while time.monotonic() < deadline:
        _check_alive(running)
        try:
            if httpx.get(running.base_url + "/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.02)
    raise TimeoutError(f"{running.name} did not answer /healthz within {START_DEADLINE_S} s:\n{running.logs()}")


def _check_alive(running: RunningProcess) -> None:
    if running.process.poll() is not None:
        raise RuntimeError(f"{running.name} exited with {running.process.returncode}:\n{running.logs()}")

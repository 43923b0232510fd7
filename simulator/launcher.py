"""Starts `python -m simulator` as a child process on a port the OS picks; used by tests and the bench.

SIMULATOR_PORT=0 avoids the race of picking a "free" port and then binding it while other test
runs on the same machine do the same: the simulator logs the port it got, and we read it back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
START_DEADLINE_S = 15.0


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.02) -> Any:
    """Polls until `predicate` returns something truthy; fails with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def read_log(path: Path) -> list[dict[str, Any]]:
    lines = []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            lines.append(json.loads(raw))
        except ValueError:
            lines.append({"msg": raw})  # a traceback or other non-JSON text: keep it visible
    return lines


class SimProcess:
    """`python -m simulator` with SIMULATOR_PORT=0 (or `port`); the port is read from its "listening" line."""

    def __init__(self, log_path: Path, env: dict[str, str] | None = None) -> None:
        self.log_path = log_path
        self.env = {
            **os.environ,
            "SIMULATOR_HOST": "127.0.0.1",
            "SIMULATOR_PORT": "0",
            "SCENARIO": "none",
            "LOG_LEVEL": "info",
            **(env or {}),
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self) -> SimProcess:
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "simulator"], cwd=REPO_ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=log
            )
        port = wait_for(self._listening_port, START_DEADLINE_S, f"simulator to listen ({self.log_path})")
        self.url = f"http://127.0.0.1:{port}"
        wait_for(self._healthy, START_DEADLINE_S, "simulator /healthz")
        return self

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def logs(self) -> list[dict[str, Any]]:
        return read_log(self.log_path)

    def _listening_port(self) -> int | None:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"simulator exited with {self.proc.returncode}: {self.log_path.read_text()}")
        for line in self.logs():
            if line.get("msg") == "listening":
                return int(line["port"])
        return None

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

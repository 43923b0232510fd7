"""The process launcher every suite and the bench use: start a command, wait until it is ready within a
deadline, stop its whole process group, read its logs.

Processes bind port 0 and log the port they got (`{"msg": "listening", "port": ...}`, or the service's
`{"event": "started", "port": ...}`), so concurrent runs never collide and nothing guesses a free port;
a command that cannot do that (Prometheus) is given its URL. Ready means a 200 from `ready_path`.
Output goes to a file, never a pipe: a full pipe nobody drains would block the process under test.
Each process leads its own session, so stopping it signals everything it started.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.support.waiting import wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]
START_DEADLINE_S = 30.0
STOP_GRACE_S = 15.0
# Settings of the processes under test that the caller's environment must not leak into them.
OWN_SETTINGS = (
    "OTEL_",
    "AGENT_",
    "SIMULATOR_",
    "SCENARIO",
    "SERVICE_",
    "MODELWATCH_",
    "CONFIG",
    "DATA_DIR",
    "LOG_LEVEL",
    "MW_",
)


@dataclass
class RunningProcess:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    url: str = ""

    def __enter__(self) -> RunningProcess:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def port(self) -> int:
        port = urlsplit(self.url).port
        assert port is not None, f"{self.name} has no URL with a port: {self.url!r}"
        return port

    def logs(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_bytes(self) -> bytes:
        return self.log_path.read_bytes()

    def log_entries(self) -> list[dict[str, Any]]:
        """The log as JSON lines; a line that is not JSON (a traceback) is kept as `{"msg": line}`."""
        return [_entry(line) for line in self.logs().splitlines()]

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.logs()[-chars:]
        except OSError:
            return ""

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.tail()}")

    def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        """SIGTERM to the process group, SIGKILL after `grace_s`; leftovers of the group are killed too."""
        if self.process.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.process.wait(timeout=5)
        self._signal_group(signal.SIGKILL)

    def _signal_group(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, sig)


def free_port() -> int:
    """A port free right now, for a command that cannot bind port 0 and tell us which port it got
    (Prometheus, whose URL is in its own configuration; the simulator at LOG_LEVEL=warning, which does not
    log it). Another process may take the port before the command binds it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def python_module(module: str) -> list[str]:
    """The argv that runs `python -m module` with this interpreter (the repository's virtualenv)."""
    return [sys.executable, "-m", module]


def base_env(**overrides: str) -> dict[str, str]:
    """The current environment minus the settings of the processes under test, plus `overrides`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(OWN_SETTINGS)}
    env.update(overrides)
    return env


def start_process(
    name: str,
    argv: list[str],
    log_path: Path,
    *,
    env: dict[str, str],
    cwd: Path = REPO_ROOT,
    url: str | None = None,
    ready_path: str = "/healthz",
    timeout: float = START_DEADLINE_S,
) -> RunningProcess:
    """Starts `argv` and returns once it is ready: its logged port (unless `url` is given) and a 200
    from `ready_path`, both within one deadline `timeout` seconds away. A process that fails to get ready
    is stopped."""
    deadline = time.monotonic() + timeout
    with log_path.open("wb") as log:
        popen = subprocess.Popen(argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    running = RunningProcess(name, popen, log_path, url or "")
    try:
        if url is None:
            port = wait_until(
                f"{name} to log its port",
                lambda: _logged_port(running),
                timeout=timeout,
                every=0.02,
                describe=running.tail,
            )
            running.url = f"http://127.0.0.1:{port}"
        wait_until(
            f"{name} to answer {ready_path} with 200",
            lambda: _answers(running, ready_path),
            timeout=max(0.0, deadline - time.monotonic()),
            every=0.02,
            retry_on=(httpx.TransportError,),
            describe=running.tail,
        )
    except BaseException:
        running.stop()
        raise
    return running


def _logged_port(running: RunningProcess) -> int | None:
    running.check_alive()
    for entry in running.log_entries():
        listening = "listening" in (entry.get("msg"), entry.get("message")) or entry.get("event") == "started"
        if listening and "port" in entry:
            return int(entry["port"])
    return None


def _answers(running: RunningProcess, path: str) -> bool:
    running.check_alive()
    return httpx.get(running.url + path, timeout=1.0).status_code == 200


def _entry(line: str) -> dict[str, Any]:
    try:
        entry = json.loads(line)
    except ValueError:
        return {"msg": line}
    return entry if isinstance(entry, dict) else {"msg": line}


def service_argv(main: Path, node_args: list[str]) -> list[str]:
    """A build's own launcher (`service/bin/modelwatch-service`: node with the service's flags) when it has
    one, so tests and benchmarks run the service as it ships; else plain node (older builds, the floor server)."""
    launcher = main.parent.parent / "bin" / "modelwatch-service"
    if main.name == "main.js" and launcher.is_file():
        return [str(launcher), *node_args]
    return ["node", *node_args, str(main)]

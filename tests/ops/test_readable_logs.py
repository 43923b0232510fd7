"""Readable logs: `make run` on a terminal shows one human line per event, in one shape for the
service, the agent and the simulator; the same processes write JSON lines when not on a terminal."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import threading
from pathlib import Path

import pytest

from agent.tests.processes import REPO_ROOT, base_env
from tests.ops.run_script import RUN_SCRIPT
from tests.support.stack import SERVICE_MAIN, free_port, start_simulator, wait_until

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(not SERVICE_MAIN.exists(), reason="the service is not built: run `make build`"),
]

HUMAN_LINE = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} (?P<process>simulator|agent|service|demo) +(?P<level>[A-Z]+) +\S")
LEVELS = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}


class Terminal:
    """The run script with a pseudo-terminal as its stdout and stderr, as in an interactive shell."""

    def __init__(self, env: dict[str, str]) -> None:
        master, slave = os.openpty()
        self.process = subprocess.Popen(
            ["bash", str(RUN_SCRIPT)],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
        )
        os.close(slave)
        self._master = master
        self._chunks: list[bytes] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self._master, 65536)
            except OSError:  # the terminal closed: every process holding it has exited
                return
            if not chunk:
                return
            self._chunks.append(chunk)

    def text(self) -> str:
        return b"".join(self._chunks).decode(errors="replace").replace("\r\n", "\n")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, 9)
            self._reader.join(timeout=5)
            os.close(self._master)


def test_when_make_run_is_on_a_terminal_then_every_process_logs_one_human_line_per_event(tmp_path: Path):
    ports = {name: str(free_port()) for name in ("SERVICE_PORT", "AGENT_PORT", "SIMULATOR_PORT")}
    env = base_env(**ports, DATA_DIR=str(tmp_path / "data"), SCENARIO="none")
    for name in ("CONFIG", "LOG_FORMAT", "LOG_LEVEL", "DEMO_TRAFFIC", "MODELWATCH_API_TOKEN"):
        env.pop(name, None)  # the defaults of a plain `make run`
    terminal = Terminal(env)
    try:
        wait_until(
            "the banner and a health transition",
            lambda: "modelwatch is up" in terminal.text() and "unknown -> healthy" in terminal.text(),
            timeout=60,
        )
    finally:
        terminal.stop()
    lines = log_lines(terminal.text())
    not_human = [line for line in lines if not HUMAN_LINE.match(line)]
    assert not not_human, "\n".join(not_human)
    matches = [HUMAN_LINE.match(line) for line in lines]
    assert {m["process"] for m in matches if m} >= {"simulator", "agent", "service"}
    assert {m["level"] for m in matches if m} <= LEVELS


def log_lines(text: str) -> list[str]:
    """The processes' lines: without the banner block and the script's own `modelwatch: ...` lines."""
    lines, in_banner = [], False
    for line in text.splitlines():
        if line.startswith("modelwatch is up"):
            in_banner = True
        elif in_banner and not line.strip():
            in_banner = False
        elif not in_banner and line.strip() and not line.startswith("modelwatch: "):
            lines.append(line)
    return lines


def test_when_not_on_a_terminal_then_the_simulator_logs_json_with_iso_times_like_the_others(tmp_path: Path):
    simulator = start_simulator(tmp_path)
    simulator.stop()
    entries = [json.loads(line) for line in simulator.logs().splitlines() if line.startswith("{")]
    assert entries, simulator.logs()
    for entry in entries:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["time"]), entry

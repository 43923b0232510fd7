"""Readable logs: `make run` on a terminal shows one human line per event, in one shape for the
service, the agent and the simulator; the same processes write JSON lines when not on a terminal."""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
from pathlib import Path
from typing import BinaryIO

import pytest

from tests.ops.run_script import RUN_SCRIPT, run_script_env
from tests.support.processes import REPO_ROOT, RunningProcess
from tests.support.stack import SERVICE_MAIN, start_simulator
from tests.support.waiting import wait_until

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(not SERVICE_MAIN.exists(), reason="the service is not built: run `make build`"),
]

HUMAN_LINE = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} (?P<process>simulator|agent|service|demo) +(?P<level>[A-Z]+) +\S")
LEVELS = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}


class Terminal:
    """The run script with a pseudo-terminal as its stdout and stderr, as in an interactive shell. What
    the terminal shows is copied to `log_path`, so the shared launcher's RunningProcess reads and stops it
    (the launcher itself gives a process a file, never a terminal)."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        master, slave = os.openpty()
        process = subprocess.Popen(
            ["bash", str(RUN_SCRIPT)],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
        )
        os.close(slave)
        self.running = RunningProcess(RUN_SCRIPT.name, process, log_path)
        self._master = master
        self._reader = threading.Thread(target=self._copy, args=(log_path.open("wb"),), daemon=True)
        self._reader.start()

    def _copy(self, screen: BinaryIO) -> None:
        with screen:
            while True:
                try:
                    chunk = os.read(self._master, 65536)
                except OSError:  # the terminal closed: every process holding it has exited
                    return
                if not chunk:
                    return
                screen.write(chunk)
                screen.flush()

    def text(self) -> str:
        return self.running.logs().replace("\r\n", "\n")

    def stop(self) -> None:
        try:
            self.running.stop()
        finally:
            self._reader.join(timeout=5)
            os.close(self._master)


def test_when_make_run_is_on_a_terminal_then_every_process_logs_one_human_line_per_event(tmp_path: Path):
    # No CONFIG, LOG_FORMAT, LOG_LEVEL, DEMO_TRAFFIC or API token: the defaults of a plain `make run`.
    terminal = Terminal(run_script_env(tmp_path, SCENARIO="none"), tmp_path / "terminal.out")
    try:
        wait_until(
            "the banner and a health transition",
            lambda: "modelwatch is up" in terminal.text() and "unknown -> healthy" in terminal.text(),
            timeout=60,
            describe=lambda: terminal.text()[-3000:],
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

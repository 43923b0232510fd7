"""Test helpers: the process launcher, plus running the simulator to a refused start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from simulator.launcher import REPO_ROOT, SimProcess, read_log, wait_for

__all__ = ["REPO_ROOT", "SimProcess", "read_log", "run_to_exit", "wait_for"]


def run_to_exit(env: dict[str, str], timeout: float = 15) -> tuple[int, list[dict[str, Any]]]:
    """Runs the simulator expecting it to refuse to start; returns exit code and its log lines."""
    full_env = {**os.environ, "SIMULATOR_PORT": "0", "SCENARIO": "none", **env}
    done = subprocess.run(
        [sys.executable, "-m", "simulator"],
        cwd=REPO_ROOT,
        env=full_env,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    lines = [json.loads(raw) for raw in done.stderr.decode().splitlines() if raw.startswith("{")]
    return done.returncode, lines

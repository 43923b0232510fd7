"""Running the simulator to a refused start (the shared launcher in tests/support starts it for good)."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

from tests.support.processes import REPO_ROOT, python_module


def run_to_exit(env: dict[str, str], timeout: float = 15) -> tuple[int, list[dict[str, Any]]]:
    """Runs the simulator expecting it to refuse to start; returns exit code and its log lines."""
    full_env = {**os.environ, "SIMULATOR_PORT": "0", "SCENARIO": "none", **env}
    done = subprocess.run(
        python_module("simulator"),
        cwd=REPO_ROOT,
        env=full_env,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    lines = [json.loads(raw) for raw in done.stderr.decode().splitlines() if raw.startswith("{")]
    return done.returncode, lines

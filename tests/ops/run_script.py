"""Runs the real `scripts/run.sh` (the script behind `make run`) on free ports, in its own process
group so a test can always stop everything it started, with its output (stdout and stderr) in a file."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from agent.tests.processes import REPO_ROOT, base_env
from tests.support.stack import free_port

RUN_SCRIPT = REPO_ROOT / "scripts" / "run.sh"


@dataclass
class RunScript:
    process: subprocess.Popen[bytes]
    output_path: Path
    service_url: str

    def output(self) -> str:
        return self.output_path.read_text(encoding="utf-8", errors="replace")

    def child_commands(self) -> list[str]:
        """Command lines of the script's direct children (the processes it started)."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        commands = []
        for child in children:
            try:
                commands.append(Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode())
            except FileNotFoundError:
                continue  # exited meanwhile
        return commands

    def stop(self) -> None:
        """SIGTERM to the script (it stops its processes); then the whole group, whatever is left."""
        if self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


def start_run_script(tmp: Path, config: Path, **env: str) -> RunScript:
    """`scripts/run.sh` with CONFIG=config, its own ports and data directory; `env` adds or overrides."""
    service_port = free_port()
    full_env = base_env(
        CONFIG=str(config),
        SERVICE_PORT=str(service_port),
        AGENT_PORT=str(free_port()),
        SIMULATOR_PORT=str(free_port()),
        DATA_DIR=str(tmp / "data"),
        **env,
    )
    for name in ("MODELWATCH_API_TOKEN", "DEMO_TRAFFIC", "LOG_FORMAT", "LOG_LEVEL"):
        if name not in env:
            full_env.pop(name, None)
    output_path = tmp / "run.out"
    with output_path.open("wb") as out:
        process = subprocess.Popen(
            ["bash", str(RUN_SCRIPT)],
            cwd=REPO_ROOT,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return RunScript(process, output_path, f"http://127.0.0.1:{service_port}")

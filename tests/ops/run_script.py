"""Runs the real `scripts/run.sh` (the script behind `make run`) on free ports through the shared launcher:
its own process group, so a test can always stop everything it started, and its output (stdout and
stderr) in a file."""

from __future__ import annotations

from pathlib import Path

from tests.support.processes import REPO_ROOT, RunningProcess, base_env, free_port, start_process

RUN_SCRIPT = REPO_ROOT / "scripts" / "run.sh"
# Settings of a developer's shell that would change what a plain `make run` does (base_env drops the rest).
RUN_SETTINGS = ("DEMO_TRAFFIC", "LOG_FORMAT")


def run_script_env(tmp: Path, **env: str) -> dict[str, str]:
    """The environment of a plain `make run` on its own free ports (run.sh is given its ports, it cannot
    bind port 0) with its data in `tmp/data`; `env` adds or overrides."""
    inherited = {k: v for k, v in base_env().items() if k not in RUN_SETTINGS}
    ports = {name: str(free_port()) for name in ("SERVICE_PORT", "AGENT_PORT", "SIMULATOR_PORT")}
    return {**inherited, **ports, "DATA_DIR": str(tmp / "data"), **env}


def service_url(env: dict[str, str]) -> str:
    return f"http://127.0.0.1:{env['SERVICE_PORT']}"


def start_run_script(tmp: Path, config: Path, *, timeout: float = 60.0, **env: str) -> RunningProcess:
    """`scripts/run.sh` with CONFIG=config, returned once its service answers /healthz (its `url`);
    `env` adds or overrides. A script that exits first raises the launcher's RuntimeError, and its
    output stays in `tmp/run.out`."""
    full_env = run_script_env(tmp, CONFIG=str(config), **env)
    return start_process(
        RUN_SCRIPT.name,
        ["bash", str(RUN_SCRIPT)],
        tmp / "run.out",
        env=full_env,
        url=service_url(full_env),
        timeout=timeout,
    )


def child_commands(run: RunningProcess) -> list[str]:
    """Command lines of the script's direct children (the processes it started)."""
    children = Path(f"/proc/{run.pid}/task/{run.pid}/children").read_text().split()
    commands = []
    for child in children:
        try:
            commands.append(Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode())
        except FileNotFoundError:
            continue  # exited meanwhile
    return commands

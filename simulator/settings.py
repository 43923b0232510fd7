"""The only place that reads the environment: validated once, passed down as a frozen Config."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

SCENARIO_DIR = Path(__file__).parent / "scenarios"
LOG_LEVELS = ("debug", "info", "warning", "error")


class ConfigError(Exception):
    """A bad environment variable; the message names the variable and the reason."""


@dataclass(frozen=True)
class Config:
    host: str
    port: int  # 0 asks the OS for a free port; the chosen one is logged (tests rely on it)
    scenario: Path | None
    log_level: str
    seed: int | None  # fixes the fault dice for reproducible runs


def load(env: Mapping[str, str] | None = None) -> Config:
    env = os.environ if env is None else env
    return Config(
        host=env.get("SIMULATOR_HOST", "127.0.0.1").strip() or "127.0.0.1",
        port=_port(env.get("SIMULATOR_PORT", "8010")),
        scenario=_scenario(env.get("SCENARIO", "none")),
        log_level=_log_level(env.get("LOG_LEVEL", "info")),
        seed=_seed(env.get("SIMULATOR_SEED")),
    )


def _port(raw: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        raise ConfigError(f"SIMULATOR_PORT: not an integer: {raw!r}") from None
    if not 0 <= port <= 65535:
        raise ConfigError(f"SIMULATOR_PORT: must be between 0 and 65535, got {port}")
    return port


def _scenario(raw: str) -> Path | None:
    value = raw.strip()
    if value in ("", "none"):
        return None
    path = Path(value)
    if path.exists():
        return path
    # Shorthand: SCENARIO=demo means the shipped simulator/scenarios/demo.yaml.
    shipped = SCENARIO_DIR / f"{value}.yaml"
    if "/" not in value and shipped.exists():
        return shipped
    raise ConfigError(f"SCENARIO: file not found: {value}")


def _log_level(raw: str) -> str:
    level = raw.strip().lower() or "info"
    if level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL: must be one of {', '.join(LOG_LEVELS)}, got {raw!r}")
    return level


def _seed(raw: str | None) -> int | None:
    if raw is None or raw.strip() == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"SIMULATOR_SEED: not an integer: {raw!r}") from None

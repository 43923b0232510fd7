"""Per-model fault settings: validation of patches, and the store the request path reads."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any

MAX_DELAY_MS = 3_600_000  # an hour: anything longer is a typo, and hang exists for "forever"


@dataclass(frozen=True)
class FaultSettings:
    latencyMs: float = 150
    jitterMs: float = 0
    ttftMs: float = 60
    errorRate: float = 0
    status: int = 500  # 0 means: drop the connection instead of answering
    hang: bool = False
    emptyResponse: bool = False
    garbage: bool = False

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


DEFAULTS = FaultSettings()


class FieldError(ValueError):
    """A bad value in a settings patch; `field` is the wire name so callers can point at it."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _delay(field: str, value: Any) -> float:
    # bool is an int in Python; `true` as a latency is a mistake, not 1 ms.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FieldError(field, "must be a number of milliseconds")
    if not 0 <= value <= MAX_DELAY_MS:
        raise FieldError(field, f"must be between 0 and {MAX_DELAY_MS}")
    return value


def _rate(field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise FieldError(field, "must be a number between 0 and 1")
    return float(value)


def _status(field: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldError(field, "must be an integer HTTP status (400-599) or 0 to drop the connection")
    if value != 0 and not 400 <= value <= 599:
        raise FieldError(field, "must be an integer HTTP status (400-599) or 0 to drop the connection")
    return value


def _flag(field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise FieldError(field, "must be true or false")
    return value


VALIDATORS: dict[str, Callable[[str, Any], Any]] = {
    "latencyMs": _delay,
    "jitterMs": _delay,
    "ttftMs": _delay,
    "errorRate": _rate,
    "status": _status,
    "hang": _flag,
    "emptyResponse": _flag,
    "garbage": _flag,
}


def validate_patch(patch: Any, prefix: str = "") -> dict[str, Any]:
    """Checks a partial settings object; `prefix` lets the scenario loader report `steps[2].set.x`."""
    if not isinstance(patch, dict):
        raise FieldError(prefix.rstrip(".") or "body", "must be an object of settings")
    clean = {}
    for key, value in patch.items():
        check = VALIDATORS.get(key)
        if check is None:
            raise FieldError(f"{prefix}{key}", f"unknown setting (known: {', '.join(VALIDATORS)})")
        clean[key] = check(f"{prefix}{key}", value)
    return clean


class FaultStore:
    """Effective settings per model; models never touched use DEFAULTS.

    Every change wakes hung requests (one shared Event, replaced after each set) so they can
    re-check whether their model still hangs: cheaper than an Event per model and never missed.
    """

    def __init__(self) -> None:
        self._models: dict[str, FaultSettings] = {}
        self._changed = asyncio.Event()

    def get(self, model: str) -> FaultSettings:
        return self._models.get(model, DEFAULTS)

    def update(self, model: str, patch: dict[str, Any]) -> FaultSettings:
        """Merges an already validated patch into the model's current settings."""
        settings = replace(self.get(model), **patch)
        self._models[model] = settings
        self._notify()
        return settings

    def clear(self, model: str) -> FaultSettings:
        self._models.pop(model, None)
        self._notify()
        return DEFAULTS

    def reset(self) -> None:
        self._models.clear()
        self._notify()

    def snapshot(self) -> dict[str, Any]:
        return {
            "defaults": DEFAULTS.to_json(),
            "models": {name: s.to_json() for name, s in sorted(self._models.items())},
        }

    async def wait_while_hanging(self, model: str) -> None:
        while self.get(model).hang:
            await self._changed.wait()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

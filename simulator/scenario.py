"""Scenario files: a YAML timeline of fault changes, validated up front with file, field and reason."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .faults import FieldError, validate_patch

TOP_KEYS = ("steps", "loop", "period")
STEP_KEYS = ("at", "model", "set", "reset")
DEFAULT_LOOP_GAP_S = 60.0  # a looping scenario without `period` restarts this long after its last step
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, None: 1.0}
_DURATION_HINT = "must be a duration like 90s, 500ms, 2m or a number of seconds"


@dataclass(frozen=True)
class Step:
    at: float  # seconds after the start of the (current loop of the) scenario
    model: str
    set: dict[str, Any] = field(default_factory=dict)
    reset: bool = False  # applied before `set`, so a step can mean "defaults, then this"

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at, "model": self.model, "set": self.set, "reset": self.reset}


@dataclass(frozen=True)
class Scenario:
    path: str
    steps: tuple[Step, ...]
    loop: bool
    period: float  # cycle length in seconds when looping


class ScenarioError(Exception):
    def __init__(self, path: str, field_name: str, reason: str):
        super().__init__(f"{path}: {field_name}: {reason}")
        self.path, self.field, self.reason = path, field_name, reason


def load(path: Path) -> Scenario:
    name = str(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(name, "file", f"cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ScenarioError(name, "file", f"invalid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    try:
        return parse(name, raw)
    except FieldError as exc:
        raise ScenarioError(name, exc.field, exc.reason) from None


def parse(name: str, raw: Any) -> Scenario:
    """Raises FieldError naming the offending field (e.g. `steps[2].set.errorRate`)."""
    if not isinstance(raw, dict):
        raise FieldError("file", "must be a mapping with a `steps` list")
    _no_unknown(raw, TOP_KEYS, "")
    if "steps" not in raw:
        raise FieldError("steps", "required")
    if not isinstance(raw["steps"], list) or not raw["steps"]:
        raise FieldError("steps", "must be a non-empty list")
    steps = tuple(_step(f"steps[{i}]", item) for i, item in enumerate(raw["steps"]))
    for i in range(1, len(steps)):
        if steps[i].at < steps[i - 1].at:
            raise FieldError(f"steps[{i}].at", f"must not be earlier than the previous step ({steps[i - 1].at:g}s)")
    loop = raw.get("loop", False)
    if not isinstance(loop, bool):
        raise FieldError("loop", "must be true or false")
    return Scenario(name, steps, loop, _period(raw, loop, steps[-1].at))


def _step(where: str, item: Any) -> Step:
    if not isinstance(item, dict):
        raise FieldError(where, "must be a mapping with at, model and set or reset")
    _no_unknown(item, STEP_KEYS, f"{where}.")
    if "at" not in item:
        raise FieldError(f"{where}.at", "required")
    at = duration(f"{where}.at", item["at"])
    model = item.get("model")
    if not isinstance(model, str) or not model.strip():
        raise FieldError(f"{where}.model", "required: a provider model name such as gpt-4o")
    reset = item.get("reset", False)
    if not isinstance(reset, bool):
        raise FieldError(f"{where}.reset", "must be true or false")
    patch = validate_patch(item["set"], f"{where}.set.") if "set" in item else {}
    if not patch and not reset:
        raise FieldError(where, "needs `set` with at least one setting, or `reset: true`")
    return Step(at, model, patch, reset)


def _period(raw: dict[str, Any], loop: bool, last_at: float) -> float:
    if "period" not in raw:
        return last_at + DEFAULT_LOOP_GAP_S
    if not loop:
        raise FieldError("period", "only meaningful with `loop: true`")
    period = duration("period", raw["period"])
    if period <= last_at:
        raise FieldError("period", f"must be longer than the last step's at ({last_at:g}s)")
    return period


def duration(where: str, value: Any) -> float:
    if isinstance(value, bool):
        raise FieldError(where, _DURATION_HINT)
    if isinstance(value, (int, float)) and value >= 0:
        return float(value)
    match = _DURATION.match(value) if isinstance(value, str) else None
    if not match:
        raise FieldError(where, _DURATION_HINT)
    return float(match.group(1)) * _UNIT_S[match.group(2)]


def _no_unknown(mapping: dict[Any, Any], known: tuple[str, ...], prefix: str) -> None:
    for key in mapping:
        if key not in known:
            raise FieldError(f"{prefix}{key}", f"unknown key (known: {', '.join(known)})")

"""Request counters per model and outcome, so tests and benchmarks can see what the simulator did."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

# Outcome names: success, empty, garbage, hang, disconnect, or status_<code> for HTTP errors.


class Stats:
    def __init__(self) -> None:
        self._counts: defaultdict[str, Counter[str]] = defaultdict(Counter)

    def record(self, model: str, outcome: str) -> None:
        self._counts[model][outcome] += 1

    def reset(self) -> None:
        self._counts.clear()

    def snapshot(self) -> dict[str, Any]:
        models = {
            name: {"total": sum(c.values()), "outcomes": dict(sorted(c.items()))}
            for name, c in sorted(self._counts.items())
        }
        return {"total": sum(m["total"] for m in models.values()), "models": models}

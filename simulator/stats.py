"""Request counters per model and outcome, so tests and benchmarks can see what the simulator did."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

# Outcome names: success, empty, garbage, hang, disconnect, or status_<code> for HTTP errors.
# `cancelled` (shown only when not 0) counts requests whose CLIENT hung up before the answer was
# complete: a caller that gave up and closed its connection, as a hedged start's loser must.


class Stats:
    def __init__(self) -> None:
        self._counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self._cancelled: Counter[str] = Counter()

    def record(self, model: str, outcome: str) -> None:
        self._counts[model][outcome] += 1

    def cancel(self, model: str) -> None:
        self._cancelled[model] += 1

    def reset(self) -> None:
        self._counts.clear()
        self._cancelled.clear()

    def snapshot(self) -> dict[str, Any]:
        models: dict[str, dict[str, Any]] = {
            name: {"total": sum(c.values()), "outcomes": dict(sorted(c.items()))}
            for name, c in sorted(self._counts.items())
        }
        for name, count in self._cancelled.items():
            models.setdefault(name, {"total": 0, "outcomes": {}})["cancelled"] = count
        return {"total": sum(m["total"] for m in models.values()), "models": models}

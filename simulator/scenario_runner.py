"""Plays a scenario's timeline against the fault store, in the server's event loop."""

from __future__ import annotations

import asyncio
from typing import Any

from . import logs
from .faults import FaultStore
from .scenario import Scenario


class ScenarioRunner:
    def __init__(self, scenario: Scenario | None, faults: FaultStore) -> None:
        self._scenario = scenario
        self._faults = faults
        self._task: asyncio.Task[None] | None = None
        self._state = "none" if scenario is None else "pending"
        self._cycle_start = 0.0
        self._iteration = 0
        self._next = 0  # index of the next step in the current cycle
        self._applied = 0

    def start(self) -> None:
        if self._scenario is None or self._task is not None:
            return
        self._state = "running"
        self._task = asyncio.get_running_loop().create_task(self._run(self._scenario))

    def stop(self) -> None:
        """Stops the timeline; changes already applied stay until the caller resets them."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            self._state = "stopped"
            logs.event("scenario stopped", file=self._scenario.path if self._scenario else None)

    def status(self) -> dict[str, Any]:
        s = self._scenario
        if s is None:
            return {"state": "none"}
        running = self._state == "running"
        nxt = s.steps[self._next] if running and self._next < len(s.steps) else None
        return {
            "state": self._state,
            "file": s.path,
            "loop": s.loop,
            "period": s.period if s.loop else None,
            "iteration": self._iteration,
            "elapsed": round(asyncio.get_running_loop().time() - self._cycle_start, 3) if running else None,
            "stepsApplied": self._applied,
            "nextStep": {"index": self._next, **nxt.to_json()} if nxt else None,
            "steps": [step.to_json() for step in s.steps],
        }

    async def _run(self, s: Scenario) -> None:
        loop = asyncio.get_running_loop()
        self._cycle_start = loop.time()
        logs.event("scenario started", file=s.path, steps=len(s.steps), loop=s.loop)
        while True:
            for index, step in enumerate(s.steps):
                self._next = index
                await asyncio.sleep(max(0.0, self._cycle_start + step.at - loop.time()))
                if step.reset:
                    self._faults.clear(step.model)
                settings = self._faults.update(step.model, step.set) if step.set else self._faults.get(step.model)
                self._applied += 1
                logs.event(
                    "scenario step",
                    index=index,
                    iteration=self._iteration,
                    at=step.at,
                    model=step.model,
                    reset=step.reset,
                    set=step.set,
                    settings=settings.to_json(),
                )
            if not s.loop:
                self._state = "finished"
                logs.event("scenario finished", file=s.path)
                return
            self._next = len(s.steps)  # nothing left in this cycle
            await asyncio.sleep(max(0.0, self._cycle_start + s.period - loop.time()))
            self._cycle_start += s.period
            self._iteration += 1

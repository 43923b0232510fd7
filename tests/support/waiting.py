"""Waiting on a condition with a deadline: the one polling loop every suite and the bench use."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    what: str,
    check: Callable[[], T | None],
    *,
    timeout: float = 20.0,
    every: float = 0.05,
    retry_on: tuple[type[Exception], ...] = (),
    describe: Callable[[], str] | None = None,
) -> T:
    """Polls `check` until it returns something truthy, and returns that.

    Exceptions in `retry_on` count as "not yet" (the last one is reported); any other escapes at once.
    After `timeout` seconds, raises TimeoutError naming `what`, with `describe()` (the state that was
    seen) when given."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            value = check()
            if value:
                return value
        except retry_on as exc:
            last_error = exc
        if time.monotonic() >= deadline:
            break
        time.sleep(every)
    message = f"timed out after {timeout} s waiting for {what}"
    if last_error is not None:
        message += f" (last error: {last_error!r})"
    if describe is not None:
        try:
            message += "\nlast seen: " + describe()
        except Exception as exc:  # the diagnosis must not hide the timeout
            message += f"\n(could not describe the state: {exc!r})"
    raise TimeoutError(message)

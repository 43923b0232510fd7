"""Starting an interview from a launcher: the client side of Modelwatch's back-pressure.

Standard library only, so it can be copied into any launcher. What it does that a bare POST does not:
- one `Idempotency-Key` per interview, sent again on every retry: a retry after a lost answer or a
  refusal can never start a second interview;
- a retryable 503 (`details.retryable`: `overloaded`, `storage_busy`, `agent_unavailable`,
  `shutting_down`, ...) is retried after its `Retry-After`, stretched by up to half again at random so a
  crowd of refused launchers does not come back in the same instant;
- a connection that fails (a replica restarting) is retried with a growing wait;
- everything else (4xx naming the field, 503 with no model able to start it) is raised at once;
- it never waits past its deadline: a candidate is waiting, and the launcher must say something.

    .venv/bin/python examples/start_interview.py --url http://127.0.0.1:8080 --primary openai:gpt-4o
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# The wait when a retryable answer names no Retry-After, and the cap of the wait after a failed connection.
DEFAULT_RETRY_AFTER_S = 1.0
MAX_CONNECT_BACKOFF_S = 4.0


class InterviewNotStartedError(Exception):
    """The start did not happen: `status` and `error` are the service's last answer (status 0: no answer)."""

    def __init__(self, message: str, status: int, error: dict[str, Any], tries: int) -> None:
        super().__init__(message)
        self.status, self.error, self.tries = status, error, tries


@dataclass
class Started:
    interview: dict[str, Any]
    tries: int
    idempotency_key: str
    refusals: list[str] = field(default_factory=list)


def _post(url: str, body: dict[str, Any], headers: dict[str, str], timeout_s: float) -> tuple[int, dict[str, str], Any]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        raw = err.read()
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = {"error": {"code": "not_json", "message": raw[:200].decode(errors="replace")}}
        return err.code, dict(err.headers), payload


def _retry_after(headers: dict[str, str], error: dict[str, Any]) -> float:
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    try:
        return float(value) if value is not None else float(error["details"]["retryAfterSeconds"])
    except (KeyError, TypeError, ValueError):
        return DEFAULT_RETRY_AFTER_S


def start_interview(
    base_url: str,
    body: dict[str, Any],
    *,
    deadline_s: float = 10.0,
    token: str | None = None,
    idempotency_key: str | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Started:
    """POST /v1/interviews until it is started, refused for good, or `deadline_s` has passed."""
    key = idempotency_key or str(uuid.uuid4())
    headers = {"Content-Type": "application/json", "Idempotency-Key": key}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    give_up_at = clock() + deadline_s
    refusals: list[str] = []
    tries, connect_wait = 0, 0.25
    while True:
        tries += 1
        left = give_up_at - clock()
        try:
            status, answer_headers, payload = _post(f"{base_url}/v1/interviews", body, headers, max(left, 0.1))
        except (urllib.error.URLError, OSError) as err:
            status, answer_headers, payload = 0, {}, {"error": {"code": "unreachable", "message": str(err)}}
        if status == 201:
            return Started(interview=payload, tries=tries, idempotency_key=key, refusals=refusals)
        error = (payload or {}).get("error") or {}
        details = error.get("details") or {}
        if status == 0:
            wait, connect_wait = connect_wait, min(connect_wait * 2, MAX_CONNECT_BACKOFF_S)
        elif status == 503 and details.get("retryable"):
            wait = _retry_after(answer_headers, error) * (1 + random.random() / 2)
        else:
            raise InterviewNotStartedError(
                f"{status} {error.get('code')}: {error.get('message')}", status, error, tries
            )
        refusals.append(str(details.get("reason") or error.get("code")))
        if clock() + wait >= give_up_at:
            raise InterviewNotStartedError(
                f"not started within {deadline_s:g} s; last answer {status} {error.get('code')}", status, error, tries
            )
        sleep(wait)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default="http://127.0.0.1:8080")
    ap.add_argument("--primary", required=True)
    ap.add_argument("--fallback", action="append", default=[])
    ap.add_argument("--deadline", type=float, default=10.0)
    args = ap.parse_args()
    body = {"primary": args.primary, "fallbacks": args.fallback}
    try:
        started = start_interview(
            args.url, body, deadline_s=args.deadline, token=os.environ.get("MODELWATCH_API_TOKEN")
        )
    except InterviewNotStartedError as failed:
        print(f"not started after {failed.tries} tries: {failed}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps({"tries": started.tries, "refusals": started.refusals, **started.interview}, indent=2))


if __name__ == "__main__":
    main()

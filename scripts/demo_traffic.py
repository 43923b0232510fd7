"""Demo traffic for `make run` with the simulator and config/demo.yaml: starts an interview every few
seconds, so fallbacks show up as the scenario breaks models. Runs until `make run` stops;
DEMO_TRAFFIC=0 turns it off. Logs JSON lines in the shape of the other processes: each start at
debug (shown with LOG_LEVEL=debug), a start that fails at warn."""

import json
import os
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import Any

INTERVAL_SECONDS = 5
PRIMARIES = ["anthropic:claude-sonnet-4", "openai:gpt-4o"]
SHOW_DEBUG = os.environ.get("LOG_LEVEL", "info").lower() == "debug"


def log(level: str, msg: str, **fields: Any) -> None:
    if level == "debug" and not SHOW_DEBUG:
        return
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    line = {"time": now, "level": level, "logger": "demo-traffic", "msg": msg, **fields}
    print(json.dumps(line), file=sys.stderr, flush=True)


def start_interview(base: str, primary: str) -> None:
    body = json.dumps(
        {
            "simulationId": "demo-traffic",
            "primary": primary,
            "config": {"role": "Backend engineer", "candidate": "Demo Candidate"},
        }
    ).encode()
    req = urllib.request.Request(f"{base}/v1/interviews", data=body, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=40) as res:
            answer = json.load(res)
    except urllib.error.HTTPError as err:
        log("warn", "demo interview not started", primary=primary, http_status=err.code)
        return
    except (urllib.error.URLError, TimeoutError) as err:
        log("warn", "demo interview not started", primary=primary, error=str(err))
        return
    fallback = answer["fallback"]["reason"] if answer["fallback"] else None
    log("debug", "demo interview started", primary=primary, model=answer["model"], fallback=fallback)


def main() -> None:
    base = sys.argv[1]
    n = 0
    while True:
        start_interview(base, PRIMARIES[n % len(PRIMARIES)])
        n += 1
        time.sleep(INTERVAL_SECONDS)


if __name__ == "__main__":
    main()

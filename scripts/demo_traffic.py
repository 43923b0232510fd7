"""Demo traffic for `make run`: starts an interview every few seconds, so fallbacks show up as the
scenario breaks models. Runs until `make run` stops; DEMO_TRAFFIC=0 turns it off."""

import json
import sys
import time
import urllib.error
import urllib.request

INTERVAL_SECONDS = 5
PRIMARIES = ["anthropic:claude-sonnet-4", "openai:gpt-4o"]


def start_interview(base: str, primary: str) -> str:
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
            return f"{primary} -> {answer['model']}" + (
                f" (fallback: {answer['fallback']['reason']})" if answer["fallback"] else ""
            )
    except urllib.error.HTTPError as err:
        return f"{primary} -> HTTP {err.code}"
    except (urllib.error.URLError, TimeoutError) as err:
        return f"{primary} -> {err}"


def main() -> None:
    base = sys.argv[1]
    n = 0
    while True:
        primary = PRIMARIES[n % len(PRIMARIES)]
        print(json.dumps({"demo_traffic": start_interview(base, primary)}), file=sys.stderr, flush=True)
        n += 1
        time.sleep(INTERVAL_SECONDS)


if __name__ == "__main__":
    main()

"""Human log lines for `make run` on a terminal: reads one process's JSON log lines on stdin and writes
one line per event, in one shape for the service (pino), the agent and the simulator:

    14:02:07.113 service   WARN  openai:gpt-4o: healthy -> degraded  model=openai:gpt-4o reason="p95 3.8 s …"

time (local, milliseconds), process, level, message, then the remaining fields as key=value. Lines that
are not JSON (a start-up failure, a traceback) pass through unchanged. Standard library only: it runs
beside the processes it formats, with nothing to install.
"""

from __future__ import annotations

import json
import signal
import sys
from datetime import datetime
from typing import Any, TextIO

# Fields every line has, shown in the fixed columns or not at all (trace ids are for Jaeger, not eyes).
_SHOWN_IN_COLUMNS = ("time", "level", "msg", "message")
_HIDDEN = frozenset({"service", "logger", "pid", "hostname", "trace_id", "span_id"})
# Tracebacks and stacks (agent, simulator, pino's serialised `err`) go on the lines below the event.
_MULTILINE = ("exception", "exc", "err")
# pino's numeric levels, in case a line carries a number rather than a label.
_PINO_LEVELS = {10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal"}
_LEVEL_NAMES = {"warning": "warn", "critical": "fatal"}
PROCESS_WIDTH = 9


def _clock(value: Any) -> str:
    """HH:MM:SS.mmm in local time, from an ISO 8601 string or epoch seconds."""
    try:
        if isinstance(value, (int, float)):
            moment = datetime.fromtimestamp(value)
        else:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone()
    except (TypeError, ValueError, OverflowError):
        return str(value)
    return moment.strftime("%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def _level(value: Any) -> str:
    name = _PINO_LEVELS.get(value, str(value)) if isinstance(value, int) else str(value).lower()
    return _LEVEL_NAMES.get(name, name).upper()


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(text, ensure_ascii=False) if (" " in text or text == "") else text


def format_line(process: str, line: str) -> str:
    """One raw log line as a human line (unchanged when it is not a JSON object)."""
    try:
        entry = json.loads(line)
    except ValueError:
        return line
    if not isinstance(entry, dict):
        return line
    message = entry.get("msg", entry.get("message", ""))
    fields = [
        f"{key}={_value(value)}"
        for key, value in entry.items()
        if key not in _SHOWN_IN_COLUMNS and key not in _HIDDEN and key not in _MULTILINE and value is not None
    ]
    level = _level(entry.get("level", "info"))
    head = f"{_clock(entry.get('time', ''))} {process:<{PROCESS_WIDTH}} {level:<5} {message}"
    below = [_stack(entry[key]) for key in _MULTILINE if entry.get(key)]
    return "\n".join([head + ("  " + " ".join(fields) if fields else ""), *below])


def _stack(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("stack") or value.get("message") or json.dumps(value)
    return "\n".join("    " + line for line in str(value).splitlines())


def run(process: str, source: TextIO, sink: TextIO) -> None:
    for raw in source:
        sink.write(format_line(process, raw.rstrip("\n")) + "\n")
        sink.flush()


if __name__ == "__main__":
    # Ctrl-C reaches the whole process group: keep formatting until the process's output ends, so
    # its last lines (shutting down) are shown too.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    run(sys.argv[1], sys.stdin, sys.stdout)

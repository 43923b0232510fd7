"""JSON-lines logging on stdout, with the current trace and span ids for log-to-trace correlation."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import format_span_id, format_trace_id

# Their DEBUG output describes requests (options, headers); never let LOG_LEVEL=DEBUG open that door.
_QUIET_LOGGERS = ("openai", "anthropic", "httpx", "httpx2", "httpcore", "httpcore2", "aiohttp")
# uvicorn's `color_message` duplicates `message` with terminal escapes.
_SKIPPED_FIELDS = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _iso_utc(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            entry["trace_id"] = format_trace_id(context.trace_id)
            entry["span_id"] = format_span_id(context.span_id)
        # Fields passed with `extra={...}` become top-level keys.
        for key, value in vars(record).items():
            if key not in _SKIPPED_FIELDS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def _iso_utc(created: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{int(created % 1 * 1000):03d}Z"


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        # uvicorn adds its own handlers unless told not to; ours on the root are the only ones.
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True

"""JSON-lines logging to stderr: one line per admin change and scenario step, not per request."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

LOGGER_NAME = "simulator"

# The `disconnect` fault ends a response on purpose without completing it; uvicorn reports
# that as an error each time, which would drown the log in expected noise.
_INTENTIONAL = "ASGI callable returned without completing response."


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _iso_utc(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def _iso_utc(created: float) -> str:
    """ISO 8601 in UTC with milliseconds, as the agent and the service write it."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{int(created % 1 * 1000):03d}Z"


class _DropIntentional(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != _INTENTIONAL


def setup(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter())
    handler.addFilter(_DropIntentional())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


def event(msg: str, level: int = logging.INFO, **fields: Any) -> None:
    """Logs one structured line; `fields` become top-level JSON keys."""
    logging.getLogger(LOGGER_NAME).log(level, msg, extra={"fields": fields})


def debug_enabled() -> bool:
    return logging.getLogger(LOGGER_NAME).isEnabledFor(logging.DEBUG)

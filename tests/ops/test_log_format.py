"""scripts/log_format.py: the one human shape `make run` shows on a terminal, from each logger's JSON."""

from __future__ import annotations

from datetime import datetime

import pytest

from scripts.log_format import format_line

ISO = "2026-12-01T06:00:32.162Z"
LOCAL = datetime.fromisoformat(ISO.replace("Z", "+00:00")).astimezone().strftime("%H:%M:%S.162")


@pytest.mark.parametrize(
    ("process", "line", "expected"),
    [
        (
            "service",
            f'{{"level":"warn","time":"{ISO}","service":"modelwatch-service","event":"health_transition",'
            '"model":"openai:gpt-4o","to":"unhealthy","reason":"3 consecutive failures",'
            '"msg":"openai:gpt-4o: healthy -> unhealthy"}',
            f"{LOCAL} service   WARN  openai:gpt-4o: healthy -> unhealthy  event=health_transition "
            'model=openai:gpt-4o to=unhealthy reason="3 consecutive failures"',
        ),
        (
            "agent",
            f'{{"time": "{ISO}", "level": "debug", "logger": "agent.calls", "message": "llm call", '
            '"outcome": "success", '
            '"trace_id": "0af7651916cd43dd8448eb211c80319c", "ttft_ms": null}',
            f"{LOCAL} agent     DEBUG llm call  outcome=success",
        ),
        (
            "simulator",
            f'{{"time": "{ISO}", "level": "warning", "logger": "simulator", "msg": "fault set", "model": "gpt-4o"}}',
            f"{LOCAL} simulator WARN  fault set  model=gpt-4o",
        ),
        ("service", f'{{"level":50,"time":"{ISO}","msg":"boom"}}', f"{LOCAL} service   ERROR boom"),
    ],
    ids=["service pino", "agent, trace ids and nulls left out", "simulator", "pino numeric level"],
)
def test_when_a_json_line_arrives_then_it_becomes_one_human_line(process, line, expected):
    assert format_line(process, line) == expected


def test_when_a_line_carries_a_stack_then_it_follows_indented():
    line = f'{{"level":"error","time":"{ISO}","msg":"probe failed","err":{{"stack":"Error: x\\n    at y"}}}}'
    assert format_line("service", line).splitlines()[1:] == ["    Error: x", "        at y"]


@pytest.mark.parametrize("line", ["modelwatch: invalid configuration x.yaml:", "  - models: bad", "[1, 2]", ""])
def test_when_a_line_is_not_a_json_object_then_it_passes_unchanged(line):
    assert format_line("service", line) == line

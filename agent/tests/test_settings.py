from __future__ import annotations

import pytest

from agent.settings import Settings, SettingsError, load_settings, read_api_key


def test_when_nothing_is_set_then_the_defaults_apply():
    assert load_settings({}) == Settings(
        host="127.0.0.1", port=8000, log_level="INFO", service_name="modelwatch-agent", export_traces=False
    )


def test_when_variables_are_set_then_they_are_used():
    settings = load_settings(
        {
            "AGENT_HOST": "0.0.0.0",
            "AGENT_PORT": "9001",
            "LOG_LEVEL": "debug",
            "OTEL_SERVICE_NAME": "agent-b",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
        }
    )
    assert settings == Settings(
        host="0.0.0.0", port=9001, log_level="DEBUG", service_name="agent-b", export_traces=True
    )


EXPORT_CASES = [
    ("no endpoint", {}, False),
    ("generic endpoint", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, True),
    ("traces endpoint", {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"}, True),
    ("exporter none", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "none"}, False),
    ("sdk disabled", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"}, False),
]


@pytest.mark.parametrize(("env", "exported"), [c[1:] for c in EXPORT_CASES], ids=[c[0] for c in EXPORT_CASES])
def test_traces_are_exported_only_with_an_otlp_endpoint(env, exported):
    assert load_settings(env).export_traces is exported


INVALID_CASES = [
    (
        "port not a number",
        {"AGENT_PORT": "http"},
        "AGENT_PORT must be an integer from 0 (any free port) to 65535, got 'http'",
    ),
    ("negative port", {"AGENT_PORT": "-1"}, "AGENT_PORT must be an integer from 0 (any free port) to 65535, got '-1'"),
    (
        "port too high",
        {"AGENT_PORT": "70000"},
        "AGENT_PORT must be an integer from 0 (any free port) to 65535, got '70000'",
    ),
    ("empty host", {"AGENT_HOST": "  "}, "AGENT_HOST must not be empty"),
    (
        "unknown log level",
        {"LOG_LEVEL": "verbose"},
        "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got 'VERBOSE'",
    ),
    (
        "console exporter",
        {"OTEL_TRACES_EXPORTER": "console"},
        "OTEL_TRACES_EXPORTER must be one of otlp, none, got 'console'",
    ),
]


@pytest.mark.parametrize(("env", "message"), [c[1:] for c in INVALID_CASES], ids=[c[0] for c in INVALID_CASES])
def test_when_a_variable_is_invalid_then_the_message_names_it(env, message):
    with pytest.raises(SettingsError) as raised:
        load_settings(env)
    assert str(raised.value) == message


def test_api_keys_are_read_at_call_time(monkeypatch):
    monkeypatch.delenv("AGENT_TEST_API_KEY", raising=False)
    assert read_api_key("AGENT_TEST_API_KEY") is None
    monkeypatch.setenv("AGENT_TEST_API_KEY", "value-1")
    assert read_api_key("AGENT_TEST_API_KEY") == "value-1"
    monkeypatch.setenv("AGENT_TEST_API_KEY", "")
    assert read_api_key("AGENT_TEST_API_KEY") is None


def test_api_key_variable_names_must_look_like_variables():
    with pytest.raises(ValueError, match="must match"):
        read_api_key("lower_case")

from __future__ import annotations

import pytest

from agent.settings import Settings, SettingsError, default_workers, load_settings, read_api_key

TOKEN = {"MODELWATCH_AGENT_TOKEN": "a-shared-secret-of-32-characters"}


def test_when_only_the_token_is_set_then_the_defaults_apply():
    settings = load_settings(TOKEN)
    assert settings == Settings(
        host="127.0.0.1", port=8000, log_level="INFO", service_name="modelwatch-agent", export_traces=False,
        config_file="config/demo.yaml", allowed_hosts=frozenset({"localhost", "127.0.0.1", "::1"}),
        token=TOKEN["MODELWATCH_AGENT_TOKEN"], workers=default_workers(), max_calls=512, max_calls_per_model=64,
    )  # fmt: skip
    assert TOKEN["MODELWATCH_AGENT_TOKEN"] not in repr(settings)


@pytest.mark.parametrize(("cores", "workers"), [(1, 1), (2, 1), (4, 2), (8, 4)])
def test_the_default_worker_count_is_half_the_cores_and_at_least_one(cores, workers):
    assert default_workers(cores) == workers


def test_when_workers_and_call_limits_are_set_then_they_are_used():
    env = {**TOKEN, "AGENT_WORKERS": "3", "AGENT_MAX_CALLS": "100", "AGENT_MAX_CALLS_PER_MODEL": "10"}
    settings = load_settings(env)
    assert (settings.workers, settings.max_calls, settings.max_calls_per_model) == (3, 100, 10)


@pytest.mark.parametrize("name", ["AGENT_WORKERS", "AGENT_MAX_CALLS", "AGENT_MAX_CALLS_PER_MODEL"])
@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_when_a_count_is_not_a_positive_integer_then_start_up_stops_naming_it(name, value):
    with pytest.raises(SettingsError, match=f"{name} must be an integer from 1 to"):
        load_settings({**TOKEN, name: value})


@pytest.mark.parametrize("token", [None, "", "short-secret"], ids=["unset", "empty", "too short"])
def test_when_the_token_is_missing_or_short_then_start_up_stops_naming_it(token):
    with pytest.raises(SettingsError, match="MODELWATCH_AGENT_TOKEN must be set to a shared secret of at least 16"):
        load_settings({} if token is None else {"MODELWATCH_AGENT_TOKEN": token})


def test_when_allowed_hosts_are_named_then_the_agent_answers_to_them_and_to_its_listen_address():
    env = {**TOKEN, "AGENT_HOST": "10.0.0.5", "AGENT_ALLOWED_HOSTS": "agent, Agent.internal", "CONFIG": "/etc/mw.yaml"}
    settings = load_settings(env)
    assert settings.allowed_hosts == {"localhost", "127.0.0.1", "::1", "10.0.0.5", "agent", "agent.internal"}
    assert settings.config_file == "/etc/mw.yaml"
    assert load_settings({**TOKEN, "AGENT_HOST": "0.0.0.0"}).allowed_hosts == {"localhost", "127.0.0.1", "::1"}


def test_when_variables_are_set_then_they_are_used():
    settings = load_settings(
        {
            **TOKEN,
            "AGENT_HOST": "0.0.0.0",
            "AGENT_PORT": "9001",
            "LOG_LEVEL": "debug",
            "OTEL_SERVICE_NAME": "agent-b",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
        }
    )
    assert (settings.host, settings.port, settings.log_level) == ("0.0.0.0", 9001, "DEBUG")
    assert (settings.service_name, settings.export_traces) == ("agent-b", True)


EXPORT_CASES = [
    ("no endpoint", {}, False),
    ("generic endpoint", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, True),
    ("traces endpoint", {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"}, True),
    ("exporter none", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "none"}, False),
    ("sdk disabled", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"}, False),
]


@pytest.mark.parametrize(("env", "exported"), [c[1:] for c in EXPORT_CASES], ids=[c[0] for c in EXPORT_CASES])
def test_traces_are_exported_only_with_an_otlp_endpoint(env, exported):
    assert load_settings({**TOKEN, **env}).export_traces is exported


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

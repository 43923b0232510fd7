"""The environment is read in one place and rejected with the variable name and the reason."""

from __future__ import annotations

import pytest

from simulator import settings
from simulator.tests.helpers import run_to_exit

pytestmark = pytest.mark.timeout(20)


def test_when_nothing_is_set_then_the_contract_defaults() -> None:
    config = settings.load({})
    assert (config.host, config.port, config.scenario, config.log_level, config.seed) == (
        "127.0.0.1",
        8010,
        None,
        "info",
        None,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SIMULATOR_PORT": "http"}, "SIMULATOR_PORT: not an integer: 'http'"),
        ({"SIMULATOR_PORT": "70000"}, "SIMULATOR_PORT: must be between 0 and 65535, got 70000"),
        ({"SCENARIO": "no/such/file.yaml"}, "SCENARIO: file not found: no/such/file.yaml"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL: must be one of debug, info, warning, error, got 'loud'"),
        ({"SIMULATOR_SEED": "x"}, "SIMULATOR_SEED: not an integer: 'x'"),
    ],
)
def test_when_a_variable_is_invalid_then_the_message_names_it(env, message) -> None:
    with pytest.raises(settings.ConfigError) as caught:
        settings.load(env)
    assert str(caught.value) == message


def test_when_scenario_is_none_then_no_scenario() -> None:
    assert settings.load({"SCENARIO": "none"}).scenario is None


def test_when_the_process_gets_a_bad_variable_then_it_exits_with_the_message() -> None:
    code, lines = run_to_exit({"SIMULATOR_PORT": "http"})
    assert code == 2
    assert lines[-1]["msg"] == "invalid configuration: SIMULATOR_PORT: not an integer: 'http'"

"""Scenario files: rejected up front with file, field and reason; applied on time when valid."""

from __future__ import annotations

import time
from pathlib import Path

import anthropic
import pytest

from simulator import scenario, settings
from simulator.tests.conftest import Admin
from simulator.tests.helpers import run_to_exit
from tests.support.stack import start_simulator
from tests.support.waiting import wait_until

pytestmark = pytest.mark.timeout(30)
FIXTURES = Path(__file__).parent / "fixtures" / "scenarios"
DURATION_HINT = "must be a duration like 90s, 500ms, 2m or a number of seconds"

# One fixture file per rule, each with the exact (field, reason) it must produce.
INVALID = {
    "not_a_mapping.yaml": ("file", "must be a mapping with a `steps` list"),
    "invalid_yaml.yaml": ("file", "invalid YAML at line 4: expected ',' or ']', but got '<stream end>'"),
    "unknown_top_key.yaml": ("repeat", "unknown key (known: steps, loop, period)"),
    "steps_missing.yaml": ("steps", "required"),
    "steps_empty.yaml": ("steps", "must be a non-empty list"),
    "step_not_a_mapping.yaml": ("steps[0]", "must be a mapping with at, model and set or reset"),
    "step_unknown_key.yaml": ("steps[0].when", "unknown key (known: at, model, set, reset)"),
    "at_missing.yaml": ("steps[0].at", "required"),
    "at_invalid.yaml": ("steps[0].at", DURATION_HINT),
    "model_missing.yaml": ("steps[0].model", "required: a provider model name such as gpt-4o"),
    "step_does_nothing.yaml": ("steps[0]", "needs `set` with at least one setting, or `reset: true`"),
    "set_invalid_value.yaml": ("steps[1].set.errorRate", "must be a number between 0 and 1"),
    "set_unknown_setting.yaml": (
        "steps[0].set.errorrate",
        "unknown setting (known: latencyMs, jitterMs, ttftMs, errorRate, status, hang, emptyResponse, garbage)",
    ),
    "reset_not_a_bool.yaml": ("steps[0].reset", "must be true or false"),
    "steps_out_of_order.yaml": ("steps[1].at", "must not be earlier than the previous step (60s)"),
    "loop_not_a_bool.yaml": ("loop", "must be true or false"),
    "period_without_loop.yaml": ("period", "only meaningful with `loop: true`"),
    "period_too_short.yaml": ("period", "must be longer than the last step's at (150s)"),
}


def test_every_fixture_has_an_expected_message() -> None:
    assert sorted(p.name for p in FIXTURES.glob("*.yaml")) == sorted(INVALID)


@pytest.mark.parametrize("name", sorted(INVALID))
def test_when_a_scenario_file_is_invalid_then_field_and_reason_are_exact(name: str) -> None:
    with pytest.raises(scenario.ScenarioError) as caught:
        scenario.load(FIXTURES / name)
    assert (caught.value.field, caught.value.reason) == INVALID[name]
    assert str(caught.value) == f"{FIXTURES / name}: {INVALID[name][0]}: {INVALID[name][1]}"


def test_when_the_file_cannot_be_read_then_the_reason_says_so(tmp_path: Path) -> None:
    with pytest.raises(scenario.ScenarioError) as caught:
        scenario.load(tmp_path)  # a directory
    assert (caught.value.field, caught.value.reason) == ("file", "cannot read: Is a directory")


def test_the_shipped_demo_scenario_is_valid_and_reachable_by_name() -> None:
    path = settings.load({"SCENARIO": "demo"}).scenario
    assert path is not None
    demo = scenario.load(path)
    assert demo.loop and [s.model for s in demo.steps] == ["claude-sonnet-4", "claude-sonnet-4", "gpt-4o", "gpt-4o"]
    assert demo.steps[0].set == {"errorRate": 1.0, "status": 529} and demo.steps[0].at == 60


def test_when_the_simulator_gets_a_bad_scenario_then_it_exits_naming_file_field_reason() -> None:
    path = FIXTURES / "set_invalid_value.yaml"
    code, lines = run_to_exit({"SCENARIO": str(path)})
    assert code == 2
    assert lines[-1]["file"] == str(path)
    assert (lines[-1]["field"], lines[-1]["reason"]) == INVALID["set_invalid_value.yaml"]
    assert "Traceback" not in str(lines)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    return path


@pytest.fixture()
def scenario_sim(request: pytest.FixtureRequest, tmp_path: Path):
    with start_simulator(tmp_path, SCENARIO=str(write(tmp_path, request.param))) as process:
        yield process, Admin(process.url)


TIMELINE = """
steps:
  - {at: 0.3s, model: flaky, set: {errorRate: 1.0, status: 529, ttftMs: 0}}
  - {at: 900ms, model: flaky, reset: true}
"""


@pytest.mark.parametrize("scenario_sim", [TIMELINE], indirect=True)
def test_when_a_scenario_runs_then_its_steps_apply_on_time(scenario_sim) -> None:
    process, admin = scenario_sim
    wait_until(
        "step 0",
        lambda: admin.get("/admin/models")["models"].get("flaky", {}).get("errorRate") == 1,
        timeout=3,
        every=0.02,
    )
    client = anthropic.Anthropic(base_url=process.url, api_key="k", max_retries=0, timeout=5)
    with pytest.raises(anthropic.OverloadedError):
        client.messages.create(model="flaky", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    wait_until(
        "the scenario to finish", lambda: admin.get("/admin/scenario")["state"] == "finished", timeout=3, every=0.02
    )
    assert admin.get("/admin/models")["models"] == {}
    status = admin.get("/admin/scenario")
    assert status["stepsApplied"] == 2 and status["nextStep"] is None
    steps = [line for line in process.log_entries() if line.get("msg") == "scenario step"]
    assert [(s["index"], s["model"], s["reset"]) for s in steps] == [(0, "flaky", False), (1, "flaky", True)]


LOOPING = """
steps:
  - {at: 0.1s, model: looped, set: {latencyMs: 5}}
  - {at: 0.2s, model: looped, reset: true}
loop: true
period: 0.3s
"""


@pytest.mark.parametrize("scenario_sim", [LOOPING], indirect=True)
def test_when_a_scenario_loops_then_it_starts_over_and_reset_stops_it(scenario_sim) -> None:
    _, admin = scenario_sim
    wait_until("two loops", lambda: admin.get("/admin/scenario")["iteration"] >= 2, timeout=5, every=0.02)
    admin.reset()
    assert admin.get("/admin/scenario")["state"] == "stopped"
    applied = admin.get("/admin/scenario")["stepsApplied"]
    time.sleep(0.4)  # checking that nothing happens needs one period of waiting, not a condition
    assert admin.get("/admin/models")["models"] == {}
    assert admin.get("/admin/scenario")["stepsApplied"] == applied

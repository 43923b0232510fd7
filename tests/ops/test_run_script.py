"""`make run`'s script with the real processes: the real-provider path sends no demo traffic and warns
about a missing key, and a service that cannot start ends the script with its message last."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.ops.run_script import RUN_SCRIPT, child_commands, start_run_script
from tests.support.processes import REPO_ROOT, RunningProcess
from tests.support.stack import SERVICE_MAIN, start_simulator
from tests.support.waiting import wait_until

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(not SERVICE_MAIN.exists(), reason="the service is not built: run `make build`"),
]

# What the demo traffic asks for: registered here, so old behaviour would start real interviews.
DEMO_PRIMARIES = ("openai:gpt-4o", "anthropic:claude-sonnet-4")
PROBE_ROUNDS = 3  # the demo starts an interview at once; by this many probe rounds it would have


def real_provider_config(simulator_url: str) -> str:
    """A non-demo config, as for real providers, whose providers are the test's simulator. `groq` names
    a key variable nobody sets."""
    return f"""
providers:
  openai: {{ kind: openai, baseUrl: "{simulator_url}/v1", apiKeyEnv: MW_OPS_TEST_API_KEY }}
  anthropic: {{ kind: anthropic, baseUrl: "{simulator_url}", apiKeyEnv: MW_OPS_TEST_API_KEY }}
  groq: {{ kind: openai_compatible, baseUrl: "{simulator_url}/v1", apiKeyEnv: MW_OPS_UNSET_API_KEY }}
probes: {{ intervalSeconds: 1, jitterSeconds: 0 }}
models:
  - {{ id: "openai:gpt-4o", tier: flagship }}
  - {{ id: "anthropic:claude-sonnet-4", tier: flagship }}
  - {{ id: "groq:llama-3.3-70b", model: llama-3.3-70b-versatile }}
"""


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[RunningProcess]:
    running = start_simulator(tmp_path)
    yield running
    running.stop()


@pytest.fixture(params=["0", "1"], ids=["SIMULATOR=0", "SIMULATOR=1"])
def real_provider_run(
    request: pytest.FixtureRequest, tmp_path: Path, simulator: RunningProcess
) -> Iterator[RunningProcess]:
    """The script on a non-demo config, without and with its own simulator (which the config does not use)."""
    config = tmp_path / "providers.yaml"
    config.write_text(real_provider_config(simulator.url))
    with start_run_script(tmp_path, config, SIMULATOR=request.param, MW_OPS_TEST_API_KEY="test-key") as run:
        wait_until("the run script's banner", lambda: "modelwatch is up" in run.logs(), timeout=60)
        yield run


def _metric_sum(metrics: str, name: str) -> float:
    return sum(float(m.group(1)) for m in re.finditer(rf"^{name}(?:{{[^}}]*}})? (\S+)$", metrics, re.M))


def test_when_the_simulator_is_off_and_the_config_is_not_the_demo_then_no_demo_traffic_runs(
    real_provider_run: RunningProcess,
):
    service = real_provider_run.url
    wait_until(
        f"{PROBE_ROUNDS} probe rounds",
        lambda: _metric_sum(httpx.get(f"{service}/metrics").text, "modelwatch_probes_total") >= 3 * PROBE_ROUNDS,
        timeout=30,
    )
    metrics = httpx.get(f"{service}/metrics").text
    assert _metric_sum(metrics, "modelwatch_interview_starts_total") == 0, "an interview was started"
    assert httpx.get(f"{service}/v1/fallbacks").json()["events"] == []
    assert not [c for c in child_commands(real_provider_run) if "demo_traffic" in c]
    banner = real_provider_run.logs().split("modelwatch is up", 1)[1]
    assert "demo traffic: off" in banner, banner
    if "simulator" in " ".join(child_commands(real_provider_run)):
        assert "scenario none" in banner, banner
    else:
        assert "simulator:  not started" in banner, banner


def test_when_a_key_variable_is_unset_then_start_up_warns_naming_it_and_its_models(real_provider_run: RunningProcess):
    warnings = [line for line in real_provider_run.logs().splitlines() if "missing_api_key" in line]
    assert len(warnings) == 1, real_provider_run.logs()
    assert '"level":"warn"' in warnings[0]
    assert "MW_OPS_UNSET_API_KEY" in warnings[0] and "groq:llama-3.3-70b" in warnings[0]
    assert "MW_OPS_TEST_API_KEY" not in warnings[0]


def test_when_the_service_cannot_start_then_the_script_exits_with_the_services_message_last(tmp_path: Path):
    # Providers the agent accepts (it reads the same file and would exit first), models only the service checks.
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "providers:\n  openai: { kind: openai, baseUrl: http://127.0.0.1:9/v1, apiKeyEnv: X_API_KEY }\n"
        "models:\n  - { id: gpt-4o }\n"
    )
    expected = subprocess.run(
        ["node", str(SERVICE_MAIN.with_name("check-config.js")), str(broken)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    ).stderr.strip()
    assert "models[0].id" in expected  # the loader's own words: file, field, reason
    with pytest.raises(RuntimeError, match=rf"^{RUN_SCRIPT.name} exited with [1-9]"):
        start_run_script(tmp_path, broken, timeout=90, SIMULATOR="0")
    output = (tmp_path / "run.out").read_text().rstrip()
    assert output.endswith(expected), output[-2000:]

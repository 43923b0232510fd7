"""prometheus/alertmanager/alertmanager.yml with a real Alertmanager (Debian's `prometheus-alertmanager`):
`amtool check-config` accepts it, and alerts labelled as our rules label them reach the receiver their
severity routes to, here a webhook server in the test.

The Alertmanager runs on a free port with its own storage and no cluster port, on a copy of our file
where only the receivers' URLs point at the test's webhook and the group waits are zero; the routes,
matchers and inhibit rules are the shipped ones.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support.processes import REPO_ROOT, RunningProcess, base_env, free_port, start_process
from tests.support.stack import (
    SERVICE_MAIN,
    Stack,
    providers_file,
    service_config,
    start_agent,
    start_service,
    start_simulator,
)
from tests.support.waiting import wait_until

ALERTMANAGER_CONFIG = REPO_ROOT / "prometheus" / "alertmanager" / "alertmanager.yml"
ALERT_RULES = REPO_ROOT / "prometheus" / "rules" / "modelwatch-alerts.yml"
ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
RECEIVER_OF_SEVERITY = {"page": "modelwatch-pager", "ticket": "modelwatch-tickets"}

pytestmark = [
    pytest.mark.timeout(90),
    pytest.mark.skipif(
        ALERTMANAGER is None or shutil.which("amtool") is None,
        reason="Alertmanager and amtool are not installed (Debian package prometheus-alertmanager)",
    ),
]


def alerting_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(ALERT_RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def alert_from_rule(rule: dict[str, Any], model: str) -> dict[str, Any]:
    """A firing alert as Prometheus would send it for this rule: its name, its labels, and the label
    its annotations name (`model` for model-level alerts, else `job`)."""
    labels = {"alertname": rule["alert"], **rule["labels"]}
    if "$labels.model" in json.dumps(rule["annotations"]):
        labels["model"] = model
    else:
        labels["job"] = "modelwatch-service"
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return {"labels": labels, "annotations": {"summary": rule["annotations"]["summary"]}, "startsAt": now}


class Webhook:
    """A webhook receiver: keeps every notification Alertmanager posts, by receiver."""

    def __init__(self) -> None:
        self.notifications: list[dict[str, Any]] = []
        received = self.notifications

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["content-length"])
                received.append({"path": self.path, **json.loads(self.rfile.read(length))})
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def receivers_of(self, alertname: str) -> set[str]:
        return {
            n["receiver"] for n in self.notifications if any(a["labels"]["alertname"] == alertname for a in n["alerts"])
        }


def test_amtool_check_config_accepts_the_alertmanager_config():
    result = subprocess.run(
        ["amtool", "check-config", str(ALERTMANAGER_CONFIG)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_severity_our_rules_use_has_a_route():
    assert {rule["labels"]["severity"] for rule in alerting_rules()} <= set(RECEIVER_OF_SEVERITY)


def config_for_test(webhook: Webhook) -> dict[str, Any]:
    config = yaml.safe_load(ALERTMANAGER_CONFIG.read_text())
    for receiver in config["receivers"]:
        for hook in receiver["webhook_configs"]:
            hook["url"] = f"{webhook.url}/{receiver['name']}"
    config["route"]["group_wait"] = "0s"
    for route in config["route"]["routes"]:
        route.pop("group_wait", None)  # inherit the zero
    return config


@pytest.fixture(scope="module")
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.server.shutdown()


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory: pytest.TempPathFactory, webhook: Webhook) -> Iterator[RunningProcess]:
    tmp = tmp_path_factory.mktemp("alertmanager")
    config = tmp / "alertmanager.yml"
    config.write_text(yaml.safe_dump(config_for_test(webhook)))
    port = free_port()
    argv = [
        str(ALERTMANAGER),
        f"--config.file={config}",
        f"--storage.path={tmp / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
    ]
    with start_process(
        "alertmanager",
        argv,
        tmp / "alertmanager.log",
        env=base_env(),
        url=f"http://127.0.0.1:{port}",
        ready_path="/-/ready",
    ) as running:
        yield running


def post_alerts(alertmanager: RunningProcess, alerts: list[dict[str, Any]]) -> None:
    httpx.post(f"{alertmanager.url}/api/v2/alerts", json=alerts, timeout=5).raise_for_status()


def test_when_our_alerts_fire_then_each_reaches_the_receiver_of_its_severity(
    alertmanager: RunningProcess, webhook: Webhook
):
    # ServiceDown inhibits the model alerts (tested below); a model per alert keeps them apart.
    rules = [r for r in alerting_rules() if r["alert"] != "ServiceDown"]
    post_alerts(alertmanager, [alert_from_rule(r, f"openai:model-{i}") for i, r in enumerate(rules)])
    expected = {r["alert"]: {RECEIVER_OF_SEVERITY[r["labels"]["severity"]]} for r in rules}
    wait_until(
        "every alert notified",
        lambda: all(webhook.receivers_of(name) for name in expected),
        timeout=30,
    )
    assert {name: webhook.receivers_of(name) for name in expected} == expected
    assert all(n["path"] == f"/{n['receiver']}" for n in webhook.notifications)


def test_when_the_service_is_down_then_its_model_alerts_are_inhibited_not_paged(alertmanager: RunningProcess):
    rules = {r["alert"]: r for r in alerting_rules()}
    post_alerts(
        alertmanager,
        [alert_from_rule(rules["ServiceDown"], ""), alert_from_rule(rules["ModelUnhealthy"], "anthropic:inhibited")],
    )

    def inhibited_by() -> list[str]:
        alerts = httpx.get(
            f"{alertmanager.url}/api/v2/alerts", params={"filter": 'model="anthropic:inhibited"'}, timeout=5
        ).json()
        return alerts[0]["status"]["inhibitedBy"] if alerts else []

    assert wait_until("ModelUnhealthy inhibited by ServiceDown", inhibited_by, timeout=30)


# ------------------------------------------------------------------------------------------------
# `make alerts` end to end: the real stack, Prometheus with our rules, Alertmanager with our routes.
MODELS_AT_THE_SIMULATOR = ("gpt-4o", "gpt-4o-mini", "claude-sonnet-4")


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with (
        start_simulator(tmp_path) as simulator,
        start_agent(tmp_path, providers_file(tmp_path, simulator.url)) as agent,
    ):
        config = service_config(simulator.url, "probes: { intervalSeconds: 1, unhealthyIntervalSeconds: 1 }")
        with start_service(tmp_path, agent.url, config) as service:
            yield Stack(simulator, agent, service)


def start_make_alerts(tmp: Path, stack: Stack, webhook: Webhook) -> RunningProcess:
    """scripts/local_alerts.py (what `make alerts` runs) on free ports, routing to the test's webhook;
    returned once its Prometheus is ready (its `url`)."""
    config = tmp / "alertmanager.yml"
    config.write_text(yaml.safe_dump(config_for_test(webhook)))
    prometheus_port = free_port()
    env = base_env(
        SERVICE_PORT=str(stack.service.port),
        AGENT_PORT=str(stack.agent.port),
        PROMETHEUS_PORT=str(prometheus_port),
        ALERTMANAGER_PORT=str(free_port()),
        ALERTMANAGER_CONFIG=str(config),
        DATA_DIR=str(tmp),
    )
    return start_process(
        "make alerts",
        [sys.executable, "scripts/local_alerts.py"],
        tmp / "alerts.log",
        env=env,
        url=f"http://127.0.0.1:{prometheus_port}",
        ready_path="/-/ready",
        timeout=60,
    )


def _unavailable_start(stack: Stack) -> None:
    """Every model failing and judged unhealthy, then a start: nothing usable (503 or no_healthy_model)."""
    for model in MODELS_AT_THE_SIMULATOR:
        httpx.put(f"{stack.simulator.url}/admin/models/{model}", json={"errorRate": 1}).raise_for_status()
    wait_until(
        "every model unhealthy",
        lambda: all(m["state"] == "unhealthy" for m in httpx.get(f"{stack.service.url}/v1/health").json()["models"]),
        timeout=30,
    )
    httpx.post(f"{stack.service.url}/v1/interviews", json={"primary": "openai:gpt-4o"}, timeout=40)


@pytest.mark.timeout(150)
@pytest.mark.skipif(shutil.which("prometheus") is None, reason="prometheus is not installed (Debian package)")
@pytest.mark.skipif(not SERVICE_MAIN.exists(), reason="the service is not built: run `make build`")
def test_when_make_alerts_runs_beside_the_stack_then_a_firing_rule_reaches_the_pager_receiver(
    tmp_path: Path, stack: Stack
):
    webhook = Webhook()
    try:
        with start_make_alerts(tmp_path, stack, webhook) as alerts:
            wait_until("Prometheus scraping the service", lambda: _up(alerts.url), timeout=60, describe=alerts.tail)
            _unavailable_start(stack)
            wait_until(
                "NoUsableModel notified",
                lambda: webhook.receivers_of("NoUsableModel"),
                timeout=90,
                describe=alerts.tail,
            )
        assert webhook.receivers_of("NoUsableModel") == {"modelwatch-pager"}
    finally:
        webhook.server.shutdown()


def _up(prometheus_url: str) -> bool:
    try:
        response = httpx.get(f"{prometheus_url}/api/v1/query", params={"query": 'up{job="modelwatch-service"}'})
    except httpx.TransportError:
        return False
    if response.status_code != 200:  # 503 while Prometheus starts
        return False
    return any(r["value"][1] == "1" for r in response.json()["data"]["result"])

"""Static checks of the observability stack: Prometheus config and rules, promtool unit tests,
runbooks, Grafana provisioning and dashboards (docker-compose.yml: tests/ops/test_compose.py).

Needs promtool (Debian package `prometheus`). No network, no running processes.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.observability import observability_helpers as oh

pytestmark = pytest.mark.skipif(oh.promtool() is None, reason="promtool is not installed (Debian package: prometheus)")

RUNBOOK_BASE = "https://github.com/modelwatch/modelwatch/blob/main/docs/runbooks.md#"
SEVERITIES = {"page", "ticket"}
RECORD_NAME = re.compile(r"^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*:[a-z0-9_]+$")


def _promtool_ok(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, f"promtool failed:\n{result.stdout}\n{result.stderr}"


def _dashboards() -> list[tuple[Path, dict]]:
    return [(p, json.loads(p.read_text())) for p in sorted(oh.DASHBOARDS_DIR.glob("*.json"))]


def _panels(dashboard: dict) -> list[dict]:
    out = []
    for panel in dashboard.get("panels", []):
        out.append(panel)
        out.extend(panel.get("panels", []))  # panels inside collapsed rows
    return out


def _dashboard_exprs() -> list[tuple[str, str]]:
    """(where, expr) for every panel target and every query variable of every dashboard."""
    exprs = []
    for path, dash in _dashboards():
        for panel in _panels(dash):
            for target in panel.get("targets", []):
                if "expr" in target:
                    exprs.append((f"{path.name} / {panel['title']} / {target['refId']}", target["expr"]))
    return exprs


def _variable_metrics() -> list[tuple[str, str]]:
    out = []
    for path, dash in _dashboards():
        for var in dash.get("templating", {}).get("list", []):
            if var.get("type") != "query":
                continue
            query = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
            m = re.match(r"label_values\(\s*([a-zA-Z_:][\w:]*)", query)
            assert m, f"{path.name} variable {var['name']}: expected label_values(metric..., label), got {query!r}"
            out.append((f"{path.name} variable {var['name']}", m.group(1)))
    return out


# ------------------------------------------------------------------------------------------------
# Prometheus configuration and rules
def test_promtool_check_config_accepts_the_compose_prometheus_yml():
    _promtool_ok(oh.run_promtool("check", "config", oh.PROMETHEUS_CONFIG))


def test_compose_prometheus_yml_scrapes_service_and_agent_under_the_contract_job_names():
    config = yaml.safe_load(oh.PROMETHEUS_CONFIG.read_text())
    targets = {
        job["job_name"]: [t for sc in job["static_configs"] for t in sc["targets"]] for job in config["scrape_configs"]
    }
    assert targets[oh.SERVICE_JOB] == ["service:3000"]
    assert targets[oh.AGENT_JOB] == ["agent:8000"]
    assert config["rule_files"] == ["rules/*.yml"]


def test_native_config_helper_writes_localhost_targets_that_promtool_accepts(tmp_path):
    path = oh.write_native_prometheus_config(
        tmp_path, service_port=13000, agent_port=18000, prometheus_port=19090, scrape_interval="1s"
    )
    config = yaml.safe_load(path.read_text())
    targets = {job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]}
    assert targets == {
        "prometheus": ["127.0.0.1:19090"],
        oh.SERVICE_JOB: ["127.0.0.1:13000"],
        oh.AGENT_JOB: ["127.0.0.1:18000"],
    }
    assert config["rule_files"] == [str(oh.RULES_DIR / "*.yml")]
    _promtool_ok(oh.run_promtool("check", "config", path))
    command = oh.prometheus_command(path, tmp_path / "data", 19090)
    assert f"--config.file={path}" in command and "--enable-feature=exemplar-storage" in command


def test_promtool_check_rules_accepts_every_rule_file():
    files = oh.rule_files()
    assert files, "no rule files in prometheus/rules"
    _promtool_ok(oh.run_promtool("check", "rules", *files))


def test_promtool_unit_tests_pass():
    files = oh.rule_test_files()
    assert files, "no promtool tests in prometheus/tests"
    _promtool_ok(oh.run_promtool("test", "rules", *files))


def test_installed_promtool_supports_keep_firing_for_when_rules_use_it():
    if any("keep_firing_for" in r for r in oh.alerting_rules()):
        assert oh.promtool_version() >= (2, 42, 0), "keep_firing_for needs Prometheus 2.42 or later"


def test_recording_rule_names_follow_level_metric_operations():
    bad = [r["record"] for r in oh.recording_rules() if not RECORD_NAME.match(r["record"])]
    assert not bad, f"recording rules not named level:metric:operations: {bad}"


def test_recording_rule_names_are_unique():
    names = [r["record"] for r in oh.recording_rules()]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("rule", oh.alerting_rules(), ids=lambda r: r["alert"])
def test_alert_has_severity_summary_description_and_runbook_url(rule):
    assert rule.get("labels", {}).get("severity") in SEVERITIES
    annotations = rule.get("annotations", {})
    for key in ("summary", "description", "runbook_url"):
        assert annotations.get(key, "").strip(), f"{rule['alert']}: annotation {key} is missing"
    assert annotations["runbook_url"] == RUNBOOK_BASE + rule["alert"].lower()


def test_every_runbook_url_anchor_exists_in_docs_runbooks():
    anchors = oh.runbook_anchors()
    missing = [
        r["alert"] for r in oh.alerting_rules() if r["annotations"]["runbook_url"].split("#", 1)[1] not in anchors
    ]
    assert not missing, f"docs/runbooks.md has no section for: {missing}"


def test_runbooks_document_the_runbook_url_base():
    assert RUNBOOK_BASE.rstrip("#") in oh.RUNBOOKS.read_text()


def test_alert_names_are_unique():
    names = [r["alert"] for r in oh.alerting_rules()]
    assert len(names) == len(set(names))


def _alert_rule_cases() -> dict[str, dict[str, int]]:
    """alertname -> {"firing": n, "quiet": n} over every alert_rule_test in prometheus/tests."""
    cases: dict[str, dict[str, int]] = {}
    for path in oh.rule_test_files():
        for test in yaml.safe_load(path.read_text())["tests"]:
            for case in test.get("alert_rule_test", []):
                kind = "firing" if case.get("exp_alerts") else "quiet"
                counts = cases.setdefault(case["alertname"], {"firing": 0, "quiet": 0})
                counts[kind] += 1
    return cases


@pytest.mark.parametrize("alert", [r["alert"] for r in oh.alerting_rules()])
def test_alert_has_a_firing_and_a_quiet_unit_test(alert):
    counts = _alert_rule_cases().get(alert, {"firing": 0, "quiet": 0})
    assert counts["firing"] >= 1, f"{alert}: no promtool case where it fires"
    assert counts["quiet"] >= 1, f"{alert}: no promtool case where it stays quiet"


def test_every_recording_rule_is_checked_by_a_promql_expr_test():
    tested = " ".join(
        case["expr"]
        for path in oh.rule_test_files()
        for test in yaml.safe_load(path.read_text())["tests"]
        for case in test.get("promql_expr_test", [])
    )
    untested = [
        r["record"] for r in oh.recording_rules() if not re.search(re.escape(r["record"]) + r"(?![\w:])", tested)
    ]
    assert not untested, f"recording rules without a promql_expr_test: {untested}"


def test_unit_tests_load_every_rule_file():
    expected = {p.resolve() for p in oh.rule_files()}
    for path in oh.rule_test_files():
        loaded = {(path.parent / f).resolve() for f in yaml.safe_load(path.read_text())["rule_files"]}
        assert loaded == expected, f"{path.name} does not load every rule file"


def test_metric_name_extraction_ignores_functions_labels_and_keywords():
    expr = (
        'sum by (model) (rate(a_total{outcome!="success"}[5m])) or 0 * b:c:d '
        '/ on (model) histogram_quantile(0.95, sum by (le) (rate(h_bucket[5m]))) > bool 1e3 '
        'and time() - (g > 0) unless label_replace(x, "model", "$1", "primary", "(.*)") offset 5m'
    )
    assert oh.metric_names_in_expr(expr) == {"a_total", "b:c:d", "h_bucket", "g", "x"}


def test_rules_only_name_exported_metrics_or_recorded_series():
    recorded = {r["record"] for r in oh.recording_rules()}
    unknown = {}
    for rule in oh.load_rules():
        names = oh.metric_names_in_expr(rule["expr"])
        bad = sorted(n for n in names if not oh.is_allowed_series(n, recorded))
        if bad:
            unknown[rule.get("alert") or rule.get("record")] = bad
    assert not unknown, f"rules name metrics nobody exports: {unknown}"


# ------------------------------------------------------------------------------------------------
# Grafana provisioning and dashboards
def _datasources() -> list[dict]:
    return yaml.safe_load(oh.DATASOURCES_FILE.read_text())["datasources"]


def test_datasources_have_fixed_uids_and_exemplars_link_trace_id_to_jaeger():
    by_uid = {d["uid"]: d for d in _datasources()}
    assert by_uid["prometheus"]["type"] == "prometheus"
    assert by_uid["jaeger"]["type"] == "jaeger"
    destinations = by_uid["prometheus"]["jsonData"]["exemplarTraceIdDestinations"]
    assert {"name": "trace_id", "datasourceUid": "jaeger"} in destinations


def test_dashboard_provider_loads_the_directory_compose_mounts():
    compose = yaml.safe_load(oh.COMPOSE_FILE.read_text())
    provider_paths = {
        p["options"]["path"] for p in yaml.safe_load(oh.DASHBOARD_PROVIDERS_FILE.read_text())["providers"]
    }
    mounts = {v.split(":")[1]: v.split(":")[0] for v in compose["services"]["grafana"]["volumes"]}
    assert "/var/lib/grafana/dashboards" in provider_paths
    assert mounts["/var/lib/grafana/dashboards"] == "./grafana/dashboards"
    assert mounts["/etc/grafana/provisioning"] == "./grafana/provisioning"


def test_each_expected_dashboard_exists_with_its_fixed_uid():
    uids = {dash["uid"]: path.stem for path, dash in _dashboards()}
    for uid in ("modelwatch-health", "modelwatch-fallbacks", "modelwatch-agent"):
        assert uids.get(uid) == uid, f"dashboard {uid} missing (or its file is not named {uid}.json)"
    assert len(uids) == len(_dashboards()), "two dashboards share a uid"


@pytest.mark.parametrize("path", sorted(oh.DASHBOARDS_DIR.glob("*.json")), ids=lambda p: p.name)
def test_dashboard_panels_have_targets_and_only_provisioned_datasources(path):
    dash = json.loads(path.read_text())
    provisioned = {d["uid"] for d in _datasources()}
    panel_ids = [p["id"] for p in _panels(dash)]
    assert len(panel_ids) == len(set(panel_ids)), "duplicate panel ids"
    for panel in _panels(dash):
        if panel["type"] in ("row", "text"):
            continue
        assert panel.get("targets"), f"panel {panel['title']!r} has no targets"
        for ds in [panel.get("datasource")] + [t.get("datasource") for t in panel["targets"]]:
            assert ds and ds["uid"] in provisioned, f"panel {panel['title']!r}: datasource {ds} is not provisioned"
        for target in panel["targets"]:
            assert target.get("expr", "").strip(), f"panel {panel['title']!r} target {target['refId']} has no expr"
    for var in dash.get("templating", {}).get("list", []):
        if "datasource" in var:
            assert var["datasource"]["uid"] in provisioned


@pytest.mark.parametrize("uid", ["modelwatch-health", "modelwatch-fallbacks"])
def test_model_dashboards_have_a_model_variable_from_the_health_state_metric(uid):
    dash = json.loads((oh.DASHBOARDS_DIR / f"{uid}.json").read_text())
    model = next(v for v in dash["templating"]["list"] if v["name"] == "model")
    query = model["query"]["query"] if isinstance(model["query"], dict) else model["query"]
    assert query == "label_values(modelwatch_model_health_state, model)"
    assert model["includeAll"] and model["multi"]


def test_latency_histogram_panels_request_exemplars():
    missing = []
    for path, dash in _dashboards():
        for panel in _panels(dash):
            for target in panel.get("targets", []):
                expr = target.get("expr", "")
                if "histogram_quantile" in expr and "_seconds_bucket" in expr and not target.get("exemplar"):
                    missing.append(f"{path.name} / {panel['title']} / {target['refId']}")
    assert not missing, f"latency panels without exemplars: {missing}"


def test_every_dashboard_expression_parses(tmp_path):
    # promtool has no "parse this expression" command; a rules file whose records are the
    # dashboard expressions (variables substituted) makes `promtool check rules` parse them all.
    exprs = _dashboard_exprs()
    assert exprs
    rules = [
        {"record": f"dashboard:expr_{i}:check", "expr": oh.substitute_grafana_variables(expr)}
        for i, (_, expr) in enumerate(exprs)
    ]
    path = tmp_path / "dashboard_exprs.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    result = oh.run_promtool("check", "rules", path)
    if result.returncode != 0:
        index = {f"dashboard:expr_{i}:check": where for i, (where, _) in enumerate(exprs)}
        pytest.fail(
            f"a dashboard expression does not parse:\n{result.stdout}{result.stderr}\n"
            + "\n".join(f"{k} = {v}" for k, v in index.items())
        )


def test_dashboards_only_name_exported_metrics_or_recorded_series():
    recorded = {r["record"] for r in oh.recording_rules()}
    unknown = {}
    for where, expr in _dashboard_exprs():
        bad = sorted(
            n
            for n in oh.metric_names_in_expr(oh.substitute_grafana_variables(expr))
            if not oh.is_allowed_series(n, recorded)
        )
        if bad:
            unknown[where] = bad
    for where, metric in _variable_metrics():
        if not oh.is_allowed_series(metric, recorded):
            unknown[where] = [metric]
    assert not unknown, f"dashboards name metrics nobody exports: {unknown}"

"""Shared knowledge for the observability tests: paths, the exported-metrics contract, and helpers.

- EXPORTED_METRICS is the metrics contract (what service and agent promise to export). The static
  tests check that every rule and dashboard only names these; a stack test can check them against
  a real /metrics scrape (`exported_series_names(job)`).
- write_native_prometheus_config() turns prometheus/prometheus.yml (written for docker compose)
  into one for processes on 127.0.0.1, with the same jobs and the same rule files, so a stack test
  can run the Debian `prometheus` binary against locally started processes.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
from scripts.local_alerts import native_prometheus_config  # noqa: E402  (one home: `make alerts` uses it too)

PROMETHEUS_DIR = REPO / "prometheus"
PROMETHEUS_CONFIG = PROMETHEUS_DIR / "prometheus.yml"
RULES_DIR = PROMETHEUS_DIR / "rules"
RULE_TESTS_DIR = PROMETHEUS_DIR / "tests"
GRAFANA_DIR = REPO / "grafana"
DASHBOARDS_DIR = GRAFANA_DIR / "dashboards"
DATASOURCES_FILE = GRAFANA_DIR / "provisioning" / "datasources" / "datasources.yml"
DASHBOARD_PROVIDERS_FILE = GRAFANA_DIR / "provisioning" / "dashboards" / "dashboards.yml"
COMPOSE_FILE = REPO / "docker-compose.yml"
RUNBOOKS = REPO / "docs" / "runbooks.md"

SERVICE_JOB = "modelwatch-service"
AGENT_JOB = "modelwatch-agent"

# --------------------------------------------------------------------------------------------
# The metrics contract: name -> type, per scrape job.
EXPORTED_METRICS: dict[str, dict[str, str]] = {
    SERVICE_JOB: {
        "modelwatch_probes_total": "counter",
        "modelwatch_probe_duration_seconds": "histogram",
        "modelwatch_probe_ttft_seconds": "histogram",
        "modelwatch_probe_last_success_timestamp_seconds": "gauge",
        "modelwatch_model_health_state": "gauge",
        "modelwatch_model_latency_seconds": "gauge",
        "modelwatch_model_ttft_seconds": "gauge",
        "modelwatch_model_error_ratio": "gauge",
        "modelwatch_health_transitions_total": "counter",
        "modelwatch_interview_starts_total": "counter",
        "modelwatch_interview_start_duration_seconds": "histogram",
        "modelwatch_fallbacks_total": "counter",
        "modelwatch_interview_starts_refused_total": "counter",
        "modelwatch_interview_starts_in_flight": "gauge",
        "modelwatch_probe_tokens_total": "counter",
        "modelwatch_probe_cost_usd_total": "counter",
        "modelwatch_probe_lateness_seconds": "histogram",
        "modelwatch_probes_skipped_total": "counter",
        "modelwatch_agent_up": "gauge",
        "modelwatch_storage_healthy": "gauge",
        "modelwatch_model_drained": "gauge",
        "modelwatch_config_reloads_total": "counter",
        "modelwatch_event_stream_clients": "gauge",
        "modelwatch_event_stream_dropped_clients_total": "counter",
    },
    AGENT_JOB: {
        "gen_ai_client_operation_duration_seconds": "histogram",
        "gen_ai_client_token_usage": "histogram",
        "gen_ai_client_time_to_first_chunk_seconds": "histogram",
        "modelwatch_agent_calls_total": "counter",
        "modelwatch_agent_calls_refused_total": "counter",
        "modelwatch_agent_calls_dropped_total": "counter",
        "modelwatch_agent_calls_in_flight": "gauge",
        "modelwatch_agent_queue_seconds": "histogram",
    },
}
# Default process metrics of prom-client in the service (process_start_time_seconds, ...).
DEFAULT_METRIC_PREFIXES: dict[str, tuple[str, ...]] = {SERVICE_JOB: ("process_", "nodejs_"), AGENT_JOB: ()}
# Series Prometheus creates itself for every target.
SYNTHETIC_SERIES = frozenset({"up"})
HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")


def exported_series_names(job: str | None = None) -> set[str]:
    """Series names a query may use: counters and gauges as is, histograms only with their suffixes."""
    jobs = [job] if job else list(EXPORTED_METRICS)
    names: set[str] = set()
    for j in jobs:
        for name, kind in EXPORTED_METRICS[j].items():
            if kind == "histogram":
                names.update(name + suffix for suffix in HISTOGRAM_SUFFIXES)
            else:
                names.add(name)
    return names


def is_allowed_series(name: str, recorded: set[str]) -> bool:
    if name in SYNTHETIC_SERIES or name in recorded or name in exported_series_names():
        return True
    return any(name.startswith(p) for prefixes in DEFAULT_METRIC_PREFIXES.values() for p in prefixes)


# --------------------------------------------------------------------------------------------
# Rule files.
def rule_files() -> list[Path]:
    return sorted(RULES_DIR.glob("*.yml"))


def rule_test_files() -> list[Path]:
    return sorted(RULE_TESTS_DIR.glob("*.yml"))


def load_rules() -> list[dict]:
    rules = []
    for path in rule_files():
        for group in yaml.safe_load(path.read_text())["groups"]:
            rules.extend(group["rules"])
    return rules


def alerting_rules() -> list[dict]:
    return [r for r in load_rules() if "alert" in r]


def recording_rules() -> list[dict]:
    return [r for r in load_rules() if "record" in r]


# --------------------------------------------------------------------------------------------
# PromQL: a deliberately small lexer, enough to list the series names an expression selects.
_KEYWORDS = frozenset(
    {
        "and",
        "or",
        "unless",
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "bool",
        "offset",
        "inf",
        "nan",
        "atan2",
    }
)


def metric_names_in_expr(expr: str) -> set[str]:
    """Series names selected by a PromQL expression (function and aggregation names excluded)."""
    s = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # string literals
    s = re.sub(r"'(?:[^'\\]|\\.)*'", "''", s)
    s = re.sub(r"\{[^}]*\}", " ", s)  # label matchers
    s = re.sub(r"\[[^\]]*\]", " ", s)  # ranges and subqueries
    s = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", s)
    names = set()
    for m in re.finditer(r"(?<![\w:.])([a-zA-Z_:][a-zA-Z0-9_:]*)", s):
        name = m.group(1)
        if s[m.end() :].lstrip().startswith("(") or name.lower() in _KEYWORDS:
            continue  # a function or aggregation call, or a keyword
        names.add(name)
    return names


# Grafana's built-in interval variables, replaced with durations so the expression parses.
_GRAFANA_DURATIONS = {"__rate_interval": "5m", "__interval": "1m", "__range": "1h", "__range_s": "3600"}


def substitute_grafana_variables(
    expr: str, variables: dict[str, str] | None = None, durations: dict[str, str] | None = None
) -> str:
    """Replace $var / ${var} / ${var:fmt}: built-in intervals by durations (`durations` overrides
    the defaults), dashboard variables by their value in `variables`, else by `.*` (they are only
    valid inside =~ matchers, so a misplaced variable fails to parse)."""
    builtins = {**_GRAFANA_DURATIONS, **(durations or {})}

    def repl(m: re.Match) -> str:
        name = m.group(1) or m.group(2)
        if name in builtins:
            return builtins[name]
        return (variables or {}).get(name, ".*")

    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)", repl, expr)


# --------------------------------------------------------------------------------------------
# Dashboards: panels, targets and query variables, as the stack and static tests read them.
def dashboards() -> list[tuple[Path, dict]]:
    return [(p, json.loads(p.read_text())) for p in sorted(DASHBOARDS_DIR.glob("*.json"))]


def dashboard_panels(dashboard: dict) -> list[dict]:
    """Every panel, including those inside collapsed rows."""
    out = []
    for panel in dashboard.get("panels", []):
        out.append(panel)
        out.extend(panel.get("panels", []))
    return out


def dashboard_targets(dashboard: dict) -> list[tuple[dict, dict]]:
    """(panel, target) for every PromQL target of the dashboard."""
    return [
        (panel, target)
        for panel in dashboard_panels(dashboard)
        for target in panel.get("targets", [])
        if "expr" in target
    ]


_LABEL_VALUES = re.compile(r"^\s*label_values\(\s*(?P<selector>.+?)\s*,\s*(?P<label>\w+)\s*\)\s*$", re.S)


def query_variables(dashboard: dict) -> list[tuple[str, str, str]]:
    """(name, selector, label) of each `label_values(selector, label)` query variable, in order."""
    out = []
    for var in dashboard.get("templating", {}).get("list", []):
        if var.get("type") != "query":
            continue
        query = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
        m = _LABEL_VALUES.match(query)
        if not m:
            raise ValueError(f"variable {var['name']}: expected label_values(selector, label), got {query!r}")
        out.append((var["name"], m.group("selector"), m.group("label")))
    return out


# --------------------------------------------------------------------------------------------
# Markdown anchors as GitHub generates them.
def github_anchor(heading: str) -> str:
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def runbook_anchors() -> set[str]:
    anchors = set()
    for line in RUNBOOKS.read_text().splitlines():
        m = re.match(r"^#{1,6}\s+(.*)$", line)
        if m:
            anchors.add(github_anchor(m.group(1)))
    return anchors


# --------------------------------------------------------------------------------------------
# promtool and a native (non-docker) Prometheus configuration.
def promtool() -> str | None:
    return shutil.which("promtool")


def run_promtool(*args: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run(
        [promtool() or "promtool", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def promtool_version() -> tuple[int, int, int]:
    out = run_promtool("--version")
    m = re.search(r"version (\d+)\.(\d+)\.(\d+)", out.stdout + out.stderr)
    if not m:
        raise RuntimeError(f"cannot read the promtool version from: {out.stdout!r}")
    major, minor, patch = (int(x) for x in m.groups())
    return major, minor, patch


def write_native_prometheus_config(
    dest_dir: Path,
    *,
    service_port: int,
    agent_port: int,
    prometheus_port: int | None = None,
    host: str = "127.0.0.1",
    scrape_interval: str | None = None,
    alertmanager_port: int | None = None,
) -> Path:
    """Write dest_dir/prometheus.yml: the compose configuration with its targets moved to
    host:port and rule_files pointing at this repository's prometheus/rules/*.yml.

    prometheus_port: the port Prometheus itself listens on (its self-scrape job); None drops that job.
    scrape_interval: overrides the interval of every job and of rule evaluation (e.g. "1s" in a
    stack test that cannot wait 15 s).
    alertmanager_port: where alerts go (an Alertmanager on host); None drops the alerting section.
    """
    targets = {SERVICE_JOB: f"{host}:{service_port}", AGENT_JOB: f"{host}:{agent_port}"}
    if prometheus_port is not None:
        targets["prometheus"] = f"{host}:{prometheus_port}"
    alertmanager = None if alertmanager_port is None else f"{host}:{alertmanager_port}"
    config = native_prometheus_config(
        yaml.safe_load(PROMETHEUS_CONFIG.read_text()), targets, alertmanager, scrape_interval
    )
    dest_dir.mkdir(parents=True, exist_ok=True)
    path = dest_dir / "prometheus.yml"
    path.write_text(
        "# Generated by tests/observability/observability_helpers.py from prometheus/prometheus.yml\n"
        + yaml.safe_dump(config, sort_keys=False)
    )
    return path


def prometheus_command(config_path: Path, data_dir: Path, port: int, host: str = "127.0.0.1") -> list[str]:
    """The command line to run a native Prometheus with that configuration (as in docker compose:
    exemplar storage on; no lifecycle API: it reloads on SIGHUP)."""
    return [
        shutil.which("prometheus") or "prometheus",
        f"--config.file={config_path}",
        f"--storage.tsdb.path={data_dir}",
        f"--web.listen-address={host}:{port}",
        "--enable-feature=exemplar-storage",
    ]

"""docker-compose.yml as an operator runs it: config and keys from the operator, no default secrets,
the simulator only under the demo profile, no admin or lifecycle API published, Alertmanager wired.

Parses the file, and validates it with Debian's `docker-compose config` (no engine needed) in the
default and the demo profile; that part is skipped with the reason when docker-compose is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.processes import REPO_ROOT

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
ENV_TEMPLATE = "./config/modelwatch.env.example"
EXAMPLE_CONFIGS = ("config/demo.yaml", "config/real-providers.example.yaml")
# What the operator must supply; compose has no default for any of them.
OPERATOR_ENV = {
    "MODELWATCH_CONFIG": "./config/real-providers.example.yaml",
    "MODELWATCH_ENV_FILE": ENV_TEMPLATE,
    "MODELWATCH_API_TOKEN": "a-test-token-of-32-characters-xx",
    "GRAFANA_ADMIN_PASSWORD": "a-test-password",
    "MODELWATCH_AGENT_TOKEN": "an-agent-token-of-32-characters-",
    "POSTGRES_PASSWORD": "a-test-database-password",
}
# Services whose API changes state without authentication (faults, silences, reloads, paid calls).
ADMIN_APIS = {"simulator", "agent", "alertmanager"}
ALL_SERVICES = {"simulator", "agent", "service", "prometheus", "alertmanager", "grafana", "jaeger"}
# Profile "replicas": PostgreSQL, two service replicas on it, nginx in front.
REPLICA_SERVICES = {"postgres", "service-a", "service-b", "lb"}

needs_docker_compose = pytest.mark.skipif(
    shutil.which("docker-compose") is None, reason="docker-compose is not installed (Debian package docker-compose)"
)


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def docker_compose(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """docker-compose on our file with only `env` (and PATH) as the environment, so nothing leaks in."""
    return subprocess.run(
        ["docker-compose", "-f", str(COMPOSE_FILE), *args],
        cwd=REPO_ROOT,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def key_variables(config: str) -> set[str]:
    return {p["apiKeyEnv"] for p in yaml.safe_load((REPO_ROOT / config).read_text())["providers"].values()}


@needs_docker_compose
@pytest.mark.parametrize(
    "profile", [[], ["--profile", "demo"], ["--profile", "replicas"]], ids=["default", "demo", "replicas"]
)
def test_when_the_operator_supplies_config_keys_token_and_password_then_compose_validates(profile):
    result = docker_compose(*profile, "config", "-q", env=OPERATOR_ENV)
    assert result.returncode == 0, result.stderr


@needs_docker_compose
@pytest.mark.parametrize("missing", sorted(OPERATOR_ENV))
def test_when_a_required_variable_is_missing_then_compose_refuses_naming_it(missing):
    env = {k: v for k, v in OPERATOR_ENV.items() if k != missing}
    result = docker_compose("config", "-q", env=env)
    assert result.returncode != 0
    assert f"set {missing}" in result.stderr, result.stderr


@needs_docker_compose
def test_every_key_variable_the_example_configs_name_reaches_the_agent_and_the_service():
    result = docker_compose("--profile", "demo", "config", env=OPERATOR_ENV)
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    needed = set().union(*(key_variables(c) for c in EXAMPLE_CONFIGS))
    for name in ("agent", "service"):
        assert needed <= set(services[name]["environment"]), (
            f"{name} lacks {needed - set(services[name]['environment'])}"
        )


def test_no_admin_or_lifecycle_api_is_published():
    services = compose()["services"]
    published = {name for name, spec in services.items() if spec.get("ports")}
    assert not published & ADMIN_APIS, f"published: {published & ADMIN_APIS}"
    command = services["prometheus"]["command"]
    assert "--web.enable-lifecycle" not in command and "--web.enable-admin-api" not in command


def test_the_simulator_runs_only_under_the_demo_profile_and_nothing_else_needs_it():
    services = compose()["services"]
    assert services["simulator"]["profiles"] == ["demo"]
    in_demo = [name for name, spec in services.items() if "demo" in spec.get("profiles", [])]
    assert in_demo == ["simulator"]
    # The only other profile is the replicas' (PostgreSQL, two services and their load balancer).
    assert {p for spec in services.values() for p in spec.get("profiles", [])} == {"demo", "replicas"}
    assert not [name for name, spec in services.items() if "simulator" in (spec.get("depends_on") or {})]


def test_config_keys_token_and_grafana_password_come_from_the_operator_with_no_default():
    services = compose()["services"]
    required = re.compile(r"^\$\{(?P<name>[A-Z_]+):\?[^}]+\}")
    assert required.match(services["service"]["environment"]["MODELWATCH_API_TOKEN"])
    assert required.match(services["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD"])
    assert required.match(services["postgres"]["environment"]["POSTGRES_PASSWORD"])["name"] == "POSTGRES_PASSWORD"  # type: ignore[index]
    config_mount = next(v for v in services["service"]["volumes"] if v.endswith(":/config/modelwatch.yaml:ro"))
    assert required.match(config_mount)
    assert services["service"]["environment"]["CONFIG"] == "/config/modelwatch.yaml"
    for name in ("agent", "service"):
        (env_file,) = services[name]["env_file"]
        assert required.match(env_file)["name"] == "MODELWATCH_ENV_FILE"  # type: ignore[index]


def test_the_env_template_names_every_key_variable_of_the_example_configs():
    template = (REPO_ROOT / ENV_TEMPLATE).read_text()
    named = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", template, re.M))
    needed = set().union(*(key_variables(c) for c in EXAMPLE_CONFIGS))
    assert needed <= named, needed - named


def test_prometheus_sends_alerts_to_the_pinned_alertmanager_with_our_routes():
    services = compose()["services"]
    prometheus = yaml.safe_load((REPO_ROOT / "prometheus" / "prometheus.yml").read_text())
    targets = [
        t for am in prometheus["alerting"]["alertmanagers"] for sc in am["static_configs"] for t in sc["targets"]
    ]
    assert targets == ["alertmanager:9093"]
    alertmanager = services["alertmanager"]
    assert "./prometheus/alertmanager:/etc/alertmanager:ro" in alertmanager["volumes"]
    assert "--config.file=/etc/alertmanager/alertmanager.yml" in alertmanager["command"]
    assert (REPO_ROOT / "prometheus" / "alertmanager" / "alertmanager.yml").is_file()


# ------------------------------------------------------------------------------------------------
# The stack's shape (moved from tests/observability).
def test_compose_has_the_whole_stack():
    assert set(compose()["services"]) == ALL_SERVICES | REPLICA_SERVICES


@pytest.mark.parametrize("name", sorted(ALL_SERVICES | REPLICA_SERVICES))
def test_compose_service_has_a_healthcheck_and_waits_for_healthy_dependencies(name):
    service = compose()["services"][name]
    assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    for dep, spec in (service.get("depends_on") or {}).items():
        assert spec == {"condition": "service_healthy"}, f"{name} -> {dep} does not wait for healthy"


def test_compose_images_are_pinned_in_variables_with_versioned_defaults():
    services = compose()["services"]
    for name in ("prometheus", "alertmanager", "grafana", "jaeger", "postgres", "lb"):
        image = services[name]["image"]
        m = re.fullmatch(r"\$\{[A-Z_]+_IMAGE:-([^}]+)\}", image)
        assert m, f"{name}: image {image!r} is not a ${{X_IMAGE:-default}} variable"
        default = m.group(1)
        assert ":" in default.rsplit("/", 1)[-1] and not default.endswith(":latest"), f"{name}: {default} is not pinned"
    for name in ("simulator", "agent", "service"):
        args = services[name]["build"]["args"]
        assert all(re.fullmatch(r"\$\{[A-Z_]+_IMAGE:-[^}]+:[^}]+\}", v) for v in args.values()), f"{name}: {args}"


def test_compose_wires_the_processes_together():
    services = compose()["services"]
    service_env = services["service"]["environment"]
    assert service_env["AGENT_URL"] == "http://agent:8000"
    assert service_env["SIMULATOR_ADDR"] == "simulator"
    assert service_env["DATA_DIR"] == "/data"
    assert service_env["SERVICE_HOST"] == "0.0.0.0"
    assert services["agent"]["environment"]["AGENT_HOST"] == "0.0.0.0"
    assert services["simulator"]["environment"]["SIMULATOR_HOST"] == "0.0.0.0"
    for name in ("service", "agent"):
        assert services[name]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://jaeger:4318"
    assert "service-data:/data" in services["service"]["volumes"]
    assert "--enable-feature=exemplar-storage" in services["prometheus"]["command"]
    assert "./prometheus:/etc/prometheus:ro" in services["prometheus"]["volumes"]


def test_compose_builds_use_dockerfiles_that_exist():
    for name, service in compose()["services"].items():
        build = service.get("build")
        if not build:
            continue
        dockerfile = Path(REPO_ROOT / build["context"] / build.get("dockerfile", "Dockerfile"))
        assert dockerfile.is_file(), f"{name}: {dockerfile} does not exist"


def test_compose_replicas_share_one_postgres_behind_the_load_balancer():
    services = compose()["services"]
    replicas = [n for n in ("service-a", "service-b") if "replicas" in services[n]["profiles"]]
    assert len(replicas) == 2
    for name in replicas:
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in env["DATABASE_URL"]
        # The replicas log in with the password PostgreSQL was given: the same required variable, no default.
        assert re.search(r":\$\{POSTGRES_PASSWORD:\?[^}]+\}@", env["DATABASE_URL"]), env["DATABASE_URL"]
        assert "DATA_DIR" not in env, f"{name} must not fall back to SQLite"
        assert services[name]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    conf_mount = next(v for v in services["lb"]["volumes"] if v.endswith("/etc/nginx/conf.d/default.conf:ro"))
    conf = (REPO_ROOT / conf_mount.split(":")[0]).read_text()
    assert re.findall(r"^\s*server (service-[ab]):3000", conf, re.M) == replicas

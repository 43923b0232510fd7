"""`make alerts`: Debian's Prometheus and Alertmanager beside `make run`, so alerts can be seen without
Docker. Prometheus loads prometheus/rules/ and scrapes the service and the agent on 127.0.0.1; firing
alerts go to Alertmanager with the routes of prometheus/alertmanager/alertmanager.yml. Both listen on
127.0.0.1 only. Ctrl-C stops both.

    SERVICE_PORT, AGENT_PORT        where `make run` listens (3000, 8000)
    PROMETHEUS_PORT                 Prometheus UI and API (9090): alerts on /alerts
    ALERTMANAGER_PORT               Alertmanager UI and API (9093)
    ALERTMANAGER_CONFIG             another Alertmanager file (one with your real receivers)
    DATA_DIR                        state goes to DATA_DIR/alerts (data/alerts)
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
PROMETHEUS_CONFIG = REPO / "prometheus" / "prometheus.yml"
RULES_DIR = REPO / "prometheus" / "rules"
ALERTMANAGER_CONFIG = REPO / "prometheus" / "alertmanager" / "alertmanager.yml"


def native_prometheus_config(
    config: dict[str, Any], targets: dict[str, str], alertmanager: str | None, interval: str | None = None
) -> dict[str, Any]:
    """The compose Prometheus configuration for local processes: only the jobs in `targets` (job name ->
    host:port), the rule files by absolute path, alerts to `alertmanager` (host:port; None: nowhere), and
    every scrape and evaluation interval set to `interval` when given."""
    jobs = []
    for job in config["scrape_configs"]:
        if job["job_name"] not in targets:
            continue
        job["static_configs"] = [{"targets": [targets[job["job_name"]]]}]
        if interval:
            job["scrape_interval"] = job["scrape_timeout"] = interval
        jobs.append(job)
    missing = set(targets) - {j["job_name"] for j in jobs}
    if missing:
        raise ValueError(f"prometheus.yml has no scrape job named {sorted(missing)}")
    config["scrape_configs"] = jobs
    config["rule_files"] = [str(RULES_DIR / "*.yml")]
    if alertmanager is None:
        config.pop("alerting", None)
    else:
        config["alerting"]["alertmanagers"][0]["static_configs"] = [{"targets": [alertmanager]}]
    if interval:
        config["global"]["scrape_interval"] = config["global"]["evaluation_interval"] = interval
    return config


def _binary(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    sys.exit(f"modelwatch: {names[0]} is not installed (Debian: apt-get install prometheus prometheus-alertmanager)")


def main() -> None:
    env = os.environ
    prometheus_port, alertmanager_port = env.get("PROMETHEUS_PORT", "9090"), env.get("ALERTMANAGER_PORT", "9093")
    state = Path(env.get("DATA_DIR", "data")) / "alerts"
    state.mkdir(parents=True, exist_ok=True)
    targets = {
        "prometheus": f"127.0.0.1:{prometheus_port}",
        "modelwatch-service": f"127.0.0.1:{env.get('SERVICE_PORT', '3000')}",
        "modelwatch-agent": f"127.0.0.1:{env.get('AGENT_PORT', '8000')}",
    }
    config = native_prometheus_config(
        yaml.safe_load(PROMETHEUS_CONFIG.read_text()), targets, f"127.0.0.1:{alertmanager_port}"
    )
    (state / "prometheus.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    commands = [
        [
            _binary("prometheus-alertmanager", "alertmanager"),
            f"--config.file={env.get('ALERTMANAGER_CONFIG', ALERTMANAGER_CONFIG)}",
            f"--storage.path={state / 'alertmanager'}",
            f"--web.listen-address=127.0.0.1:{alertmanager_port}",
            "--cluster.listen-address=",
        ],
        [
            _binary("prometheus"),
            f"--config.file={state / 'prometheus.yml'}",
            f"--storage.tsdb.path={state / 'prometheus'}",
            f"--web.listen-address=127.0.0.1:{prometheus_port}",
        ],
    ]
    processes = [subprocess.Popen(command) for command in commands]
    print(
        f"modelwatch: alerts on http://127.0.0.1:{prometheus_port}/alerts, "
        f"routed by Alertmanager on http://127.0.0.1:{alertmanager_port} (Ctrl-C stops both)",
        file=sys.stderr,
        flush=True,
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        os.wait()  # until either exits, or Ctrl-C / SIGTERM
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            p.wait(timeout=30)


if __name__ == "__main__":
    main()

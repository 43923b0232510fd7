"""`python -m agent`: the composition root. Settings, logging, tracing, metrics, app, server, in that order.

With AGENT_WORKERS > 1 the main process binds the socket, logs the port, and runs uvicorn's supervisor,
which starts the workers (each builds its app through `worker_app`) on that one socket and restarts a
worker that dies. The workers share their metrics through prometheus-client's multiprocess mode, in a
fresh directory per start that is removed when the agent stops.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Mapping
from typing import Any

import uvicorn
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from uvicorn.supervisors import Multiprocess

from agent.admission import CallLimits
from agent.app import Access, create_app
from agent.config_file import ConfigFileError, load_providers
from agent.logging_json import configure_logging
from agent.schemas import Endpoint
from agent.settings import RETRY_AFTER_S, Settings, SettingsError, load_settings
from agent.tracing import build_tracer_provider

log = logging.getLogger("agent")
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
# uvloop and httptools are in the lock file; naming them fails loudly if they go missing.
_SERVER: dict[str, Any] = {
    "log_config": None, "lifespan": "on", "access_log": False, "loop": "uvloop", "http": "httptools",
}  # fmt: skip


def main() -> int:
    try:
        settings, providers = _configuration()
    except (SettingsError, ConfigFileError) as error:
        print(f"agent: invalid configuration: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        listener = _listen(settings)
    except OSError as error:
        log.error("cannot listen", extra={"host": settings.host, "port": settings.port, "reason": error.strerror})
        return 2
    if settings.workers == 1:
        # uvicorn handles SIGTERM/SIGINT: stops accepting, finishes in-flight requests, runs the lifespan
        # shutdown (where the traces are flushed), then re-raises the signal to end the process.
        uvicorn.Server(uvicorn.Config(build_app(settings, providers), **_SERVER)).run(sockets=[listener])
        return 0
    return _supervise(settings, listener)


def _configuration() -> tuple[Settings, Mapping[str, Endpoint]]:
    settings = load_settings()
    return settings, load_providers(settings.config_file, os.environ)


def _supervise(settings: Settings, listener: socket.socket) -> int:
    """Runs AGENT_WORKERS workers on `listener` until SIGTERM/SIGINT, which each worker also gets (it
    finishes its calls and flushes its traces); then removes the metrics directory."""
    metrics_dir = tempfile.mkdtemp(prefix="modelwatch-agent-metrics-")
    os.environ[MULTIPROC_DIR] = metrics_dir  # inherited by the workers, read when they import prometheus_client
    log.info("starting workers", extra={"workers": settings.workers, "metrics_dir": metrics_dir})
    config = uvicorn.Config("agent.__main__:worker_app", factory=True, workers=settings.workers, **_SERVER)
    try:
        Multiprocess(config, sockets=[listener]).run()
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
    log.info("stopped")
    return 0


def worker_app() -> FastAPI:
    """One worker's app (uvicorn calls this in each worker process): the environment is the parent's."""
    settings, providers = _configuration()
    configure_logging(settings.log_level)
    return build_app(settings, providers, multiprocess_dir=os.environ[MULTIPROC_DIR])


def build_app(settings: Settings, providers: Mapping[str, Endpoint], multiprocess_dir: str | None = None) -> FastAPI:
    tracer_provider = build_tracer_provider(settings)
    exposed = registry = CollectorRegistry()
    workers = 1
    if multiprocess_dir is not None:
        from prometheus_client import multiprocess

        workers = settings.workers
        exposed = CollectorRegistry()
        multiprocess.MultiProcessCollector(exposed, path=multiprocess_dir)

    def flush_and_stop() -> None:
        tracer_provider.shutdown()  # flushes spans still queued in the batch processor
        if multiprocess_dir is not None:
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(os.getpid(), multiprocess_dir)  # its livesum gauges leave the sum
        log.info("stopped" if multiprocess_dir is None else "worker stopped")

    access = Access(providers, settings.token, settings.allowed_hosts)
    limits = CallLimits(settings.max_calls, settings.max_calls_per_model, RETRY_AFTER_S).per_worker(workers)
    return create_app(registry, tracer_provider, access, on_shutdown=flush_and_stop, limits=limits, exposed=exposed)


def _listen(settings: Settings) -> socket.socket:
    """Binds before serving so AGENT_PORT=0 works: the port the OS chose is logged (tests rely on it)."""
    listener = socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((settings.host, settings.port))
    log.info("listening", extra={"host": settings.host, "port": listener.getsockname()[1]})
    return listener


if __name__ == "__main__":
    sys.exit(main())

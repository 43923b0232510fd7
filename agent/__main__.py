"""`python -m agent`: the composition root. Settings, logging, tracing, metrics, app, server, in that order."""

from __future__ import annotations

import logging
import os
import socket
import sys

import uvicorn
from prometheus_client import CollectorRegistry

from agent.app import Access, create_app
from agent.config_file import ConfigFileError, load_providers
from agent.logging_json import configure_logging
from agent.settings import Settings, SettingsError, load_settings
from agent.tracing import build_tracer_provider

log = logging.getLogger("agent")


def main() -> int:
    try:
        settings = load_settings()
        providers = load_providers(settings.config_file, os.environ)
    except (SettingsError, ConfigFileError) as error:
        print(f"agent: invalid configuration: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        listener = _listen(settings)
    except OSError as error:
        log.error("cannot listen", extra={"host": settings.host, "port": settings.port, "reason": error.strerror})
        return 2
    tracer_provider = build_tracer_provider(settings)

    def flush_and_stop() -> None:
        tracer_provider.shutdown()  # flushes spans still queued in the batch processor
        log.info("stopped")

    access = Access(providers, settings.token, settings.allowed_hosts)
    app = create_app(CollectorRegistry(), tracer_provider, access, on_shutdown=flush_and_stop)
    # uvicorn handles SIGTERM/SIGINT: stops accepting, finishes in-flight requests, runs the lifespan
    # shutdown (where flush_and_stop runs), then re-raises the signal to end the process.
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="on", access_log=False))
    server.run(sockets=[listener])
    return 0


def _listen(settings: Settings) -> socket.socket:
    """Binds before serving so AGENT_PORT=0 works: the port the OS chose is logged (tests rely on it)."""
    listener = socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((settings.host, settings.port))
    log.info("listening", extra={"host": settings.host, "port": listener.getsockname()[1]})
    return listener


if __name__ == "__main__":
    sys.exit(main())

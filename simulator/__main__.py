"""`python -m simulator`: read the config, validate the scenario, then serve until stopped."""

from __future__ import annotations

import logging
import socket
import sys

import uvicorn

from . import app, logs, scenario, settings

# Hung requests would otherwise hold shutdown open forever: give in-flight work this long.
GRACEFUL_SHUTDOWN_S = 2


def _fail(msg: str, **fields: object) -> None:
    logs.event(msg, logging.ERROR, **fields)
    sys.exit(2)


def main() -> None:
    logs.setup("info")
    try:
        config = settings.load()
    except settings.ConfigError as exc:
        return _fail(f"invalid configuration: {exc}")
    logs.setup(config.log_level)
    loaded = None
    if config.scenario is not None:
        try:
            loaded = scenario.load(config.scenario)
        except scenario.ScenarioError as exc:
            return _fail(f"invalid scenario: {exc}", file=exc.path, field=exc.field, reason=exc.reason)
    # Binding here (not in uvicorn) lets SIMULATOR_PORT=0 work: the chosen port is logged below.
    sock = socket.socket(socket.AF_INET6 if ":" in config.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((config.host, config.port))
    except OSError as exc:
        return _fail(f"cannot listen on {config.host}:{config.port}: {exc.strerror}")
    port = sock.getsockname()[1]
    logs.event("listening", host=config.host, port=port, scenario=loaded.path if loaded else None)
    server = uvicorn.Server(
        uvicorn.Config(
            app.build(loaded, config.seed),
            log_config=None,  # keep our JSON handler on the root logger
            access_log=False,  # a line per request would cost more than the request itself
            server_header=False,
            ws="none",  # no websockets here: do not load a websocket stack
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        )
    )
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()

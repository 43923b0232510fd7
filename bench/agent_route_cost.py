"""The agent's own layers per call, alone (issue 15): CPU per request through the app, no network.

    .venv/bin/python bench/agent_route_cost.py [--requests 3000] [--rounds 5]

Each request is played to the app in-process as raw ASGI messages (agent/tests/asgi_exchange.py, on
uvloop), for a provider whose key variable is unset: the request passes the Host and token check, the
SERVER span, routing and body validation, admission, the deadline and hang-up checks, the chat span,
the metrics and the response, and stops where the SDK would be called. So the figure is the part of a
call's CPU that is the agent's (not the SDK's, the sockets' or uvicorn's), and it is measured with
the fast path (agent/fast_calls.py) and without it (FastAPI's own routes, as before), alternating
rounds. process_time per request; the machine's other load slows both the same way within a round.
Results: bench/results/agent-route-cost.json (the last run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import loadgen
import resources
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry

from agent.app import Access, create_app
from agent.fast_calls import FastCalls
from agent.schemas import Endpoint, ProviderKind
from agent.tests.asgi_exchange import exchange

RESULTS = Path(__file__).with_name("results") / "agent-route-cost.json"
TOKEN = "route-cost-token"
UNSET_KEY = "MODELWATCH_ROUTE_COST_UNSET_API_KEY"
BODY = json.dumps({"modelId": "bench:m", "provider": "bench", "model": "m", "interview": {"topic": "tea"}}).encode()
HEADERS = [
    (b"content-type", b"application/json"),
    (b"authorization", f"Bearer {TOKEN}".encode()),
    (b"traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
]
PATHS = ["/v1/interviews/stream", "/v1/interviews", "/v1/probe"]


def app(*, fast: bool) -> Any:
    os.environ.pop(UNSET_KEY, None)
    endpoint = Endpoint(name="bench", kind=ProviderKind.OPENAI, base_url="http://127.0.0.1:9/v1", api_key_env=UNSET_KEY)
    built = create_app(
        CollectorRegistry(), TracerProvider(), Access({"bench": endpoint}, TOKEN, frozenset({"testserver"}))
    )
    if not fast:
        built.user_middleware = [entry for entry in built.user_middleware if entry.cls is not FastCalls]
    return built


async def per_request_us(application: Any, path: str, count: int) -> float:
    answer = await exchange(application, path, BODY, HEADERS)
    assert answer.status == 200 and b'"auth"' in answer.body, answer  # the whole path ran, up to the SDK
    started = time.process_time()
    for _ in range(count):
        await exchange(application, path, BODY, HEADERS)
    return (time.process_time() - started) / count * 1e6


async def run(requests: int, rounds: int) -> dict[str, Any]:
    apps = {"fast path": app(fast=True), "FastAPI routes": app(fast=False)}
    figures: dict[str, dict[str, list[float]]] = {name: {path: [] for path in PATHS} for name in apps}
    for _ in range(rounds):
        for path in PATHS:
            for name, application in apps.items():
                figures[name][path].append(round(await per_request_us(application, path, requests), 1))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    loadgen.install_uvloop()
    load_before = os.getloadavg()
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    figures = asyncio.run(run(args.requests, args.rounds))
    load_after = os.getloadavg()
    for name, by_path in figures.items():
        for path, values in by_path.items():
            median = sorted(values)[len(values) // 2]
            print(f"{name:15} {path:22} µs of CPU per request, per round: {values}, median {median}")
    entry = {
        "started": started,
        "requestsPerRound": args.requests,
        "environment": resources.environment(),
        "loadAverageBefore": [round(x, 2) for x in load_before],
        "loadAverageAfter": [round(x, 2) for x in load_after],
        "microsecondsOfCpuPerRequest": figures,
    }
    RESULTS.write_text(json.dumps(entry, indent=2) + "\n")
    print(f"load average before {entry['loadAverageBefore']} after {entry['loadAverageAfter']}; wrote {RESULTS}")


if __name__ == "__main__":
    main()

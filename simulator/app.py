"""Composition root: builds the stores, the provider routes, the admin API and the scenario runner."""

from __future__ import annotations

import contextlib
import random
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import admin, anthropic_api, flow, openai_api
from .faults import FaultStore
from .responses import TimedResponse
from .scenario import Scenario
from .scenario_runner import ScenarioRunner
from .stats import Stats


def build(scenario: Scenario | None, seed: int | None = None) -> Starlette:
    faults, stats = FaultStore(), Stats()
    ctx = flow.Context(faults=faults, stats=stats, rng=random.Random(seed))
    runner = ScenarioRunner(scenario, faults)
    openai, anthropic = openai_api.OpenAIProvider(), anthropic_api.AnthropicProvider()

    # Starlette sends whatever ASGI app an endpoint returns: a TimedResponse paces its own parts.
    async def chat_completions(request: Request) -> TimedResponse:
        return flow.handle(openai, ctx, request.headers, await request.body())

    async def messages(request: Request) -> TimedResponse:
        return flow.handle(anthropic, ctx, request.headers, await request.body())

    async def models(request: Request) -> Response:
        # Both SDKs list models at /v1/models; the Anthropic one always sends anthropic-version.
        provider: flow.Provider
        if "anthropic-version" in request.headers:
            provider, body = anthropic, anthropic_api.models_body()
        else:
            provider, body = openai, openai_api.models_body()
        if not provider.has_key(request.headers):
            headers, body = provider.error(401, "", provider.new_request_id(), provider.missing_key)
            return Response(body, 401, headers, media_type="application/json")
        return Response(body, media_type="application/json")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runner.start()
        yield
        runner.stop()

    routes = [
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/messages", messages, methods=["POST"]),
        Route("/v1/models", models, methods=["GET"]),
        *admin.routes(faults, stats, runner),
    ]
    return Starlette(routes=routes, lifespan=lifespan)

"""The FastAPI application: thin routes over `calls.perform_call`, plus /healthz and /metrics.

Registry and tracer provider are injected so each test gets fresh ones (client_python's and
blackbox_exporter's habit); `__main__` is the only place that builds the real ones.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from pydantic import BaseModel

from agent.access import RECEIVED_AT, InternalAccess
from agent.admission import Admission, CallLimits, OverloadedError
from agent.call_stream import StreamedCall
from agent.calls import (
    CallDeps,
    CallerGoneError,
    ChatCall,
    DeadlinePassedError,
    admit,
    interview_call,
    perform_call,
    probe_call,
)
from agent.clients import ClientCache
from agent.fast_calls import FastCalls, FastRoute
from agent.hang_up import request_gone
from agent.metrics import AgentMetrics
from agent.providers import CallResult
from agent.request_faults import unsendable_text
from agent.schemas import (
    Endpoint,
    InterviewRequest,
    InterviewResponse,
    OverloadedResponse,
    ProbeRequest,
    ProbeResponse,
    ProviderConfig,
)
from agent.server_span import ServerSpans
from agent.settings import DEFAULT_MAX_CALLS, DEFAULT_MAX_CALLS_PER_MODEL, LOOPBACK_HOSTS, RETRY_AFTER_S
from agent.taxonomy import Outcome
from agent.tracing import TRACER_NAME
from agent.warmup import warm_up_sdks

UNTRACED_PATHS = frozenset({"/healthz", "/metrics"})
DEFAULT_LIMITS = CallLimits(DEFAULT_MAX_CALLS, DEFAULT_MAX_CALLS_PER_MODEL, RETRY_AFTER_S)
# The refusal in the OpenAPI contract, so the service's generated client knows its shape.
OVERLOADED: dict[int | str, dict[str, Any]] = {503: {"model": OverloadedResponse, "description": "Overloaded"}}


@dataclass(frozen=True)
class Access:
    """What the agent may call and for whom: the configured providers, the shared token, the Host names."""

    providers: Mapping[str, Endpoint]
    token: str = field(repr=False)
    allowed_hosts: frozenset[str] = frozenset(LOOPBACK_HOSTS)


def create_app(
    registry: CollectorRegistry,
    tracer_provider: TracerProvider,
    access: Access,
    on_shutdown: Callable[[], None] | None = None,
    *,
    limits: CallLimits = DEFAULT_LIMITS,
    exposed: CollectorRegistry | None = None,
) -> FastAPI:
    """`on_shutdown` runs last in the lifespan shutdown: uvicorn re-raises SIGTERM once it has stopped,
    so code after `server.run()` never runs, and a flush of the trace exporter must happen here.
    Metrics are recorded on `registry` and served from `exposed` (the same unless several workers share
    their metrics through files); `limits` are this process's share of the agent's call limits."""
    # One client per configured provider endpoint; its connection pool is as large as the calls this
    # process admits, so no admitted call waits for a connection (admission is the bulkhead, clients.py).
    clients = ClientCache(max_clients=max(1, len(access.providers)), max_calls=limits.max_calls)
    agent_metrics = AgentMetrics(registry)
    deps = CallDeps(
        clients=clients,
        metrics=agent_metrics,
        tracer=tracer_provider.get_tracer(TRACER_NAME),
        admission=Admission(limits, on_change=agent_metrics.in_flight.set),
    )
    exposed = registry if exposed is None else exposed

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await warm_up_sdks()
        yield
        await clients.close_all()
        if on_shutdown is not None:
            on_shutdown()

    app = FastAPI(title="Modelwatch agent", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DeadlinePassedError, _deadline_passed)
    app.add_exception_handler(CallerGoneError, _caller_gone)
    app.add_exception_handler(OverloadedError, _overloaded)
    app.state.clients = clients  # visible to tests, which check that clients are reused
    app.openapi = _with_provider_config(app.openapi)  # type: ignore[method-assign]

    def configured(body: ProbeRequest) -> Endpoint:
        endpoint = access.providers.get(body.provider)
        if endpoint is None:
            names = ", ".join(sorted(access.providers))
            message = f"this provider is not configured (configured: {names})"
            raise RequestValidationError([{"loc": ("body", "provider"), "msg": message, "type": "value_error"}])
        return endpoint

    async def answered(call: ChatCall, request: Request) -> CallResult:
        """A plain route's call: admitted, then made unless its caller hung up meanwhile."""
        ticket = admit(deps, call)
        received_at = request.scope.get(RECEIVED_AT)
        return await perform_call(deps, call, ticket, received_at=received_at, caller_gone=request_gone(request))

    @app.post("/v1/probe", response_model=ProbeResponse, responses=OVERLOADED)
    async def probe(body: ProbeRequest, request: Request) -> Response:
        result = await answered(probe_call(body, configured(body)), request)
        return _json(ProbeResponse.model_validate(result, from_attributes=True))

    @app.post("/v1/interviews", response_model=InterviewResponse, responses=OVERLOADED)
    async def initiate_interview(body: InterviewRequest, request: Request) -> Response:
        fault = _request_fault(body)
        if fault is not None:
            return fault
        result = await answered(interview_call(body, configured(body)), request)
        return _json(_interview_response(result))

    @app.post("/v1/interviews/stream", response_model=None, responses=OVERLOADED)
    async def initiate_interview_streamed(body: InterviewRequest, request: Request) -> Response:
        """The same call, streamed as NDJSON (call_stream.py): a first_token event, then the result."""
        fault = _request_fault(body)
        if fault is not None:
            return fault
        call = interview_call(body, configured(body))
        ticket = admit(deps, call)  # before the 200 is sent: a refusal must still be a 503
        received_at = request.scope.get(RECEIVED_AT)
        return StreamedCall(
            lambda on_first_token, caller_gone: perform_call(
                deps, call, ticket, received_at=received_at, on_first_token=on_first_token, caller_gone=caller_gone
            ),
            lambda result: _interview_response(result).model_dump(by_alias=True),
            ticket.release,
        )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics")
    async def metrics(request: Request) -> Response:
        # OpenMetrics only when asked: it is the format that carries exemplars (trace ids).
        encoder, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encoder(exposed), media_type=content_type)

    # The call routes' own endpoints and models, without FastAPI's per-request layers (fast_calls.py).
    fast_routes = {
        "/v1/probe": FastRoute(ProbeRequest, probe),
        "/v1/interviews": FastRoute(InterviewRequest, initiate_interview),
        "/v1/interviews/stream": FastRoute(InterviewRequest, initiate_interview_streamed),
    }
    app.add_middleware(FastCalls, routes=fast_routes, handlers=app.exception_handlers)
    app.add_middleware(ServerSpans, tracer=deps.tracer, untraced=UNTRACED_PATHS)
    # Added last, so it runs first: a refused request reaches neither tracing nor a route.
    app.add_middleware(InternalAccess, token=access.token, allowed_hosts=access.allowed_hosts)
    return app


def _with_provider_config(openapi: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    """Adds `ProviderConfig` to the OpenAPI document: the service checks its config file with the same limits."""

    def document() -> dict[str, Any]:
        schemas = openapi()["components"]["schemas"]  # FastAPI builds the document once and caches it
        if "ProviderConfig" not in schemas:
            schema = ProviderConfig.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
            schemas.update(schema.pop("$defs", {}))
            schemas["ProviderConfig"] = schema
        return openapi()

    return document


async def _deadline_passed(_: Request, __: Exception) -> JSONResponse:
    return JSONResponse(status_code=504, content={"detail": "the caller's deadline passed before the call was made"})


async def _caller_gone(_: Request, __: Exception) -> JSONResponse:
    # Nobody reads it (the connection is closed); 499 is the "client closed request" of proxies' logs.
    return JSONResponse(status_code=499, content={"detail": "the caller hung up before the call was made"})


def _json(body: BaseModel) -> Response:
    """The model serialized once, by pydantic's own serializer: FastAPI would validate the returned model
    against `response_model` again and then encode it (the model is already valid; OpenAPI keeps it)."""
    return Response(body.model_dump_json(by_alias=True), media_type="application/json")


async def _overloaded(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OverloadedError)
    body = OverloadedResponse(limit=exc.scope, detail=str(exc), retry_after_s=exc.retry_after_s)
    return JSONResponse(
        status_code=503, content=body.model_dump(by_alias=True), headers={"retry-after": str(exc.retry_after_s)}
    )


def _interview_response(result: CallResult) -> InterviewResponse:
    # A cut-off opening line must not be mistaken for one: text only comes with success.
    if result.outcome != Outcome.SUCCESS:
        result = replace(result, text="")
    return InterviewResponse.model_validate(result, from_attributes=True)


def _request_fault(body: InterviewRequest) -> JSONResponse | None:
    """422 naming the field when the interview holds text no provider can take: no call is made."""
    found = unsendable_text(body.interview, ("interview",))
    if found is None:
        return None
    path, reason = found
    detail = [{"loc": ["body", *path], "msg": reason, "type": "request_error"}]
    return JSONResponse(status_code=422, content={"detail": detail})


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    """422 naming each bad field, without echoing the submitted values (a key pasted by mistake)."""
    assert isinstance(exc, RequestValidationError)
    detail = [{"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]} for error in exc.errors()]
    return JSONResponse(status_code=422, content={"detail": detail})

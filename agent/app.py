"""The FastAPI application: thin routes over `calls.perform_call`, plus /healthz and /metrics.

Registry and tracer provider are injected so each test gets fresh ones (client_python's and
blackbox_exporter's habit); `__main__` is the only place that builds the real ones.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from agent.call_stream import StreamedCall
from agent.calls import CallDeps, interview_call, perform_call, probe_call
from agent.clients import ClientCache
from agent.metrics import AgentMetrics
from agent.providers import CallResult
from agent.request_faults import unsendable_text
from agent.schemas import InterviewRequest, InterviewResponse, ProbeRequest, ProbeResponse, UsageBody
from agent.taxonomy import Outcome
from agent.tracing import TRACER_NAME
from agent.warmup import warm_up_sdks

UNTRACED_URLS = "/healthz,/metrics"


def create_app(
    registry: CollectorRegistry, tracer_provider: TracerProvider, on_shutdown: Callable[[], None] | None = None
) -> FastAPI:
    """`on_shutdown` runs last in the lifespan shutdown: uvicorn re-raises SIGTERM once it has stopped,
    so code after `server.run()` never runs, and a flush of the trace exporter must happen here."""
    clients = ClientCache()
    deps = CallDeps(clients=clients, metrics=AgentMetrics(registry), tracer=tracer_provider.get_tracer(TRACER_NAME))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await warm_up_sdks()
        yield
        await clients.close_all()
        if on_shutdown is not None:
            on_shutdown()

    app = FastAPI(title="Modelwatch agent", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.state.clients = clients  # visible to tests, which check that clients are reused

    @app.post("/v1/probe", response_model=ProbeResponse)
    async def probe(body: ProbeRequest) -> ProbeResponse:
        return ProbeResponse(**_response_fields(await perform_call(deps, probe_call(body))))

    @app.post("/v1/interviews", response_model=InterviewResponse)
    async def initiate_interview(body: InterviewRequest) -> InterviewResponse | JSONResponse:
        fault = _request_fault(body)
        if fault is not None:
            return fault
        return _interview_response(await perform_call(deps, interview_call(body)))

    @app.post("/v1/interviews/stream", response_model=None)
    async def initiate_interview_streamed(body: InterviewRequest) -> Response:
        """The same call, streamed as NDJSON (call_stream.py): a first_token event, then the result."""
        fault = _request_fault(body)
        if fault is not None:
            return fault
        call = interview_call(body)
        return StreamedCall(
            lambda on_first_token: perform_call(deps, call, on_first_token),
            lambda result: _interview_response(result).model_dump(by_alias=True),
        )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics")
    async def metrics(request: Request) -> Response:
        # OpenMetrics only when asked: it is the format that carries exemplars (trace ids).
        encoder, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encoder(registry), media_type=content_type)

    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=tracer_provider, excluded_urls=UNTRACED_URLS, exclude_spans=["receive", "send"]
    )
    return app


def _interview_response(result: CallResult) -> InterviewResponse:
    # A cut-off opening line must not be mistaken for one: text only comes with success.
    text = result.text if result.outcome == Outcome.SUCCESS else ""
    return InterviewResponse(**_response_fields(result), text=text, request_fault=result.request_fault)


def _request_fault(body: InterviewRequest) -> JSONResponse | None:
    """422 naming the field when the interview holds text no provider can take: no call is made."""
    found = unsendable_text(body.interview, ("interview",))
    if found is None:
        return None
    path, reason = found
    detail = [{"loc": ["body", *path], "msg": reason, "type": "request_error"}]
    return JSONResponse(status_code=422, content={"detail": detail})


def _response_fields(result: CallResult) -> dict[str, Any]:  # the response model it fills checks each field
    usage = result.usage
    return {
        "outcome": result.outcome.value,
        "latency_ms": result.latency_ms,
        "ttft_ms": result.ttft_ms,
        "http_status": result.http_status,
        "usage": UsageBody(input_tokens=usage.input_tokens, output_tokens=usage.output_tokens) if usage else None,
        "request_id": result.request_id,
        "response_model": result.response_model,
        "error_message": result.error_message,
    }


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    """422 naming each bad field, without echoing the submitted values (a key pasted by mistake)."""
    assert isinstance(exc, RequestValidationError)
    detail = [{"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]} for error in exc.errors()]
    return JSONResponse(status_code=422, content={"detail": detail})

"""OpenTelemetry traces: the tracer provider, and the GenAI CLIENT span around each SDK call.

No prompt text, no key and no request header ever becomes an attribute: spans leave the process.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, SpanKind, StatusCode, Tracer, format_trace_id
from opentelemetry.util.types import AttributeValue

from agent.providers.result import CallResult
from agent.settings import Settings
from agent.taxonomy import Outcome

TRACER_NAME = "modelwatch.agent"


def build_tracer_provider(settings: Settings) -> TracerProvider:
    """A provider that exports over OTLP/HTTP only when an endpoint is configured; silent otherwise."""
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: settings.service_name}))
    if settings.export_traces:
        # Imported here so an agent without an endpoint never loads the exporter; it reads the
        # standard OTEL_EXPORTER_OTLP_* variables itself (endpoint, headers, timeout, /v1/traces suffix).
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


def server_address(base_url: str) -> tuple[str, int]:
    parts = urlsplit(base_url)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


@contextmanager
def chat_span(
    tracer: Tracer, *, purpose: str, provider: str, model: str, max_tokens: int, base_url: str
) -> Iterator[Span]:
    """The `chat {model}` CLIENT span, current for the duration of the call."""
    address, port = server_address(base_url)
    attributes: dict[str, AttributeValue] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": provider,
        "gen_ai.request.model": model,
        "gen_ai.request.max_tokens": max_tokens,
        "server.address": address,
        "server.port": port,
        "modelwatch.purpose": purpose,
    }
    # Exceptions are not recorded: their text is not scrubbed, and the adapters turn failures into results.
    with tracer.start_as_current_span(
        f"chat {model}",
        kind=SpanKind.CLIENT,
        attributes=attributes,
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        yield span


def annotate_chat_span(span: Span, result: CallResult) -> None:
    """Adds what the call measured; `result.error_message` must already be scrubbed."""
    optional = {
        "gen_ai.response.model": result.response_model,
        "gen_ai.usage.input_tokens": result.usage.input_tokens if result.usage else None,
        "gen_ai.usage.output_tokens": result.usage.output_tokens if result.usage else None,
        "http.response.status_code": result.http_status,
        "modelwatch.ttft_ms": result.ttft_ms,
        "modelwatch.provider_request_id": result.request_id,
    }
    for name, value in optional.items():
        if value is not None:
            span.set_attribute(name, value)
    span.set_attribute("modelwatch.outcome", result.outcome.value)
    if result.outcome != Outcome.SUCCESS:
        span.set_attribute("error.type", result.outcome.value)
        span.set_status(StatusCode.ERROR, result.error_message or result.outcome.value)


def sampled_trace_id(span: Span) -> str | None:
    """The span's trace id in hex when the trace is recorded, for exemplars that must lead somewhere."""
    context = span.get_span_context()
    if not context.is_valid or not context.trace_flags.sampled:
        return None
    return format_trace_id(context.trace_id)

"""Prometheus metrics named after the OpenTelemetry GenAI client conventions, on an injected registry.

Label values come only from the request's provider (endpoint) name and model name. The service sends only
registered models, but a label set that grows with input is how a metrics backend falls over, so both are
capped: past the cap, new values are folded into `_other`.
"""

from __future__ import annotations

import threading
from typing import get_args

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from agent.admission import Scope
from agent.providers.result import CallResult

# OpenTelemetry GenAI semantic-convention bucket boundaries.
DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536)
# The agent's own wait before sending: ~1 ms when idle, tens of ms when its CPU is saturated.
QUEUE_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
OPERATION_NAME = "chat"
DROP_REASONS = ("deadline_passed", "caller_gone")
MAX_MODEL_LABELS = 200
MAX_PROVIDER_LABELS = 50
OTHER_LABEL = "_other"


class LabelCap:
    """Admits the first `limit` distinct values; later new values become OTHER_LABEL."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, value: str) -> str:
        with self._lock:
            if value in self._seen:
                return value
            if len(self._seen) < self._limit:
                self._seen.add(value)
                return value
            return OTHER_LABEL


class AgentMetrics:
    def __init__(self, registry: CollectorRegistry, max_models: int = MAX_MODEL_LABELS) -> None:
        model_labels = ["gen_ai_operation_name", "gen_ai_provider_name", "gen_ai_request_model"]
        self.operation_duration = Histogram(
            "gen_ai_client_operation_duration_seconds",
            "Duration of GenAI client operations, from sending the request to the end of the stream or the error.",
            [*model_labels, "error_type", "modelwatch_purpose"],
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        self.token_usage = Histogram(
            "gen_ai_client_token_usage",
            "Tokens used per GenAI client operation, as reported by the provider.",
            [*model_labels, "gen_ai_token_type"],
            buckets=TOKEN_BUCKETS,
            registry=registry,
        )
        self.time_to_first_chunk = Histogram(
            "gen_ai_client_time_to_first_chunk_seconds",
            "Time from sending the request to the first content chunk of the streamed answer.",
            [*model_labels, "modelwatch_purpose"],
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        self.calls = Counter(
            "modelwatch_agent_calls_total",
            "LLM calls made (or refused before sending) by the agent, by outcome class.",
            ["purpose", "provider", "outcome"],
            registry=registry,
        )
        self.queue_time = Histogram(
            "modelwatch_agent_queue_seconds",
            "Time from the agent receiving a call request to sending it to the provider: the agent's own "
            "queueing (event loop, admission, client set-up), never part of the GenAI durations.",
            ["purpose"],
            buckets=QUEUE_BUCKETS,
            registry=registry,
        )
        self.refused = Counter(
            "modelwatch_agent_calls_refused_total",
            "Calls refused at once (HTTP 503 overloaded) because a concurrency limit was reached; no provider call.",
            ["purpose", "limit"],
            registry=registry,
        )
        self.dropped = Counter(
            "modelwatch_agent_calls_dropped_total",
            "Calls dropped before any provider call because nobody waits for the answer any more: the caller's "
            "deadline passed (HTTP 504) or the caller hung up (e.g. while the agent was frozen).",
            ["purpose", "reason"],
            registry=registry,
        )
        for purpose in ("probe", "interview"):  # every series exists at 0, so a rate over it is never empty
            for reason in DROP_REASONS:
                self.dropped.labels(purpose, reason)
            for limit in get_args(Scope):
                self.refused.labels(purpose, limit)
        # livesum: with several workers, the sum over the workers alive now (a dead worker's calls are gone).
        self.in_flight = Gauge(
            "modelwatch_agent_calls_in_flight",
            "Calls admitted and not finished yet, over all worker processes.",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self._cap_model = LabelCap(max_models)
        self._cap_provider = LabelCap(MAX_PROVIDER_LABELS)

    def record_queue(self, purpose: str, queue_ms: float | None) -> None:
        if queue_ms is not None:
            self.queue_time.labels(purpose).observe(queue_ms / 1000.0)

    def record(self, purpose: str, provider: str, model: str, result: CallResult, trace_id: str | None) -> None:
        provider = self._cap_provider(provider)
        model = self._cap_model(model)
        exemplar = {"trace_id": trace_id} if trace_id else None
        self.calls.labels(purpose=purpose, provider=provider, outcome=result.outcome.value).inc()
        if not result.attempted:
            return  # nothing was sent: there is no duration to observe
        error_type = "" if result.outcome == "success" else result.outcome.value
        self.operation_duration.labels(OPERATION_NAME, provider, model, error_type, purpose).observe(
            result.latency_ms / 1000.0, exemplar=exemplar
        )
        if result.ttft_ms is not None:
            self.time_to_first_chunk.labels(OPERATION_NAME, provider, model, purpose).observe(
                result.ttft_ms / 1000.0, exemplar=exemplar
            )
        if result.usage is not None:
            for token_type, count in (("input", result.usage.input_tokens), ("output", result.usage.output_tokens)):
                if count is not None:
                    self.token_usage.labels(OPERATION_NAME, provider, model, token_type).observe(count)

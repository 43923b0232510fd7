"""Metrics on a fresh registry per test, asserted with get_sample_value (client_python's habit)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics

from agent.metrics import OTHER_LABEL, AgentMetrics
from agent.providers.result import CallResult, Usage
from agent.taxonomy import Outcome

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
MODEL_LABELS = {"gen_ai_operation_name": "chat", "gen_ai_provider_name": "openai", "gen_ai_request_model": "gpt-4o"}


def success() -> CallResult:
    return CallResult(Outcome.SUCCESS, latency_ms=150.0, ttft_ms=60.0, usage=Usage(9, 1))


def test_when_a_call_succeeds_then_duration_ttft_tokens_and_count_are_recorded():
    registry = CollectorRegistry()
    AgentMetrics(registry).record("probe", "openai", "gpt-4o", success(), TRACE_ID)
    duration = {**MODEL_LABELS, "error_type": "", "modelwatch_purpose": "probe"}
    assert registry.get_sample_value("gen_ai_client_operation_duration_seconds_count", duration) == 1
    assert registry.get_sample_value("gen_ai_client_operation_duration_seconds_sum", duration) == 0.15
    assert registry.get_sample_value("gen_ai_client_operation_duration_seconds_bucket", {**duration, "le": "0.16"}) == 1
    ttft = {**MODEL_LABELS, "modelwatch_purpose": "probe"}
    assert registry.get_sample_value("gen_ai_client_time_to_first_chunk_seconds_sum", ttft) == 0.06
    for token_type, count in (("input", 9), ("output", 1)):
        tokens = {**MODEL_LABELS, "gen_ai_token_type": token_type}
        assert registry.get_sample_value("gen_ai_client_token_usage_sum", tokens) == count
    calls = {"purpose": "probe", "provider": "openai", "outcome": "success"}
    assert registry.get_sample_value("modelwatch_agent_calls_total", calls) == 1


def test_when_a_call_fails_then_error_type_is_the_outcome_class():
    registry = CollectorRegistry()
    AgentMetrics(registry).record("interview", "openai", "gpt-4o", CallResult(Outcome.RATE_LIMITED, 12.0), None)
    labels = {**MODEL_LABELS, "error_type": "rate_limited", "modelwatch_purpose": "interview"}
    assert registry.get_sample_value("gen_ai_client_operation_duration_seconds_count", labels) == 1
    ttft = {**MODEL_LABELS, "modelwatch_purpose": "interview"}
    assert registry.get_sample_value("gen_ai_client_time_to_first_chunk_seconds_count", ttft) is None


def test_when_nothing_was_sent_then_only_the_call_is_counted():
    registry = CollectorRegistry()
    refused = CallResult(Outcome.AUTH, 0.0, error_message="environment variable X is not set", attempted=False)
    AgentMetrics(registry).record("probe", "openai", "gpt-4o", refused, None)
    calls = {"purpose": "probe", "provider": "openai", "outcome": "auth"}
    assert registry.get_sample_value("modelwatch_agent_calls_total", calls) == 1
    labels = {**MODEL_LABELS, "error_type": "auth", "modelwatch_purpose": "probe"}
    assert registry.get_sample_value("gen_ai_client_operation_duration_seconds_count", labels) is None


def test_when_too_many_models_are_seen_then_new_ones_fold_into_other():
    registry = CollectorRegistry()
    metrics = AgentMetrics(registry, max_models=2)
    for model in ("m1", "m2", "m3", "m4", "m1"):
        metrics.record("probe", "openai", model, success(), None)
    labels = {
        "gen_ai_operation_name": "chat",
        "gen_ai_provider_name": "openai",
        "error_type": "",
        "modelwatch_purpose": "probe",
    }
    count = "gen_ai_client_operation_duration_seconds_count"
    assert registry.get_sample_value(count, {**labels, "gen_ai_request_model": "m1"}) == 2
    assert registry.get_sample_value(count, {**labels, "gen_ai_request_model": "m2"}) == 1
    assert registry.get_sample_value(count, {**labels, "gen_ai_request_model": OTHER_LABEL}) == 2


def test_duration_exemplars_carry_the_trace_id_in_openmetrics():
    registry = CollectorRegistry()
    AgentMetrics(registry).record("probe", "openai", "gpt-4o", success(), TRACE_ID)
    text = generate_openmetrics(registry).decode()
    bucket_lines = [
        line for line in text.splitlines() if line.startswith("gen_ai_client_operation_duration_seconds_bucket")
    ]
    assert any(f'# {{trace_id="{TRACE_ID}"}} 0.15' in line for line in bucket_lines)

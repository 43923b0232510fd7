"""What counts as an answer: the contract's empty-completion and reasoning-model rules."""

from __future__ import annotations

from agent.providers.result import StreamProgress, Usage
from agent.taxonomy import Failure, Outcome


def progress(text: str = "", input_tokens: int | None = None, output_tokens: int | None = None) -> StreamProgress:
    p = StreamProgress(started=0.0)
    p.add_text(text)
    p.input_tokens, p.output_tokens = input_tokens, output_tokens
    return p


def test_when_text_arrived_then_the_call_succeeded_and_ttft_is_set():
    result = progress("ok", 9, 1).result(require_text=False)
    assert result.outcome == Outcome.SUCCESS
    assert result.text == "ok" and result.usage == Usage(9, 1)
    assert result.ttft_ms is not None and result.latency_ms >= result.ttft_ms


def test_when_neither_text_nor_usage_arrived_then_the_answer_is_invalid():
    result = progress().result(require_text=False)
    assert (result.outcome, result.ttft_ms, result.usage) == (Outcome.INVALID_RESPONSE, None, None)
    assert result.error_message == "the answer was empty"


def test_when_a_reasoning_model_spends_its_budget_without_text_then_it_is_still_a_success():
    assert progress("", 9, 1).result(require_text=False).outcome == Outcome.SUCCESS


def test_when_usage_reports_zero_output_and_no_text_then_the_answer_is_invalid():
    assert progress("", 0, 0).result(require_text=False).outcome == Outcome.INVALID_RESPONSE


def test_when_text_is_required_then_usage_alone_is_not_enough():
    assert progress("", 9, 1).result(require_text=True).outcome == Outcome.INVALID_RESPONSE


def test_when_the_stream_fails_then_what_was_measured_is_kept():
    p = progress("par", 9, None)
    p.http_status, p.request_id = 200, "req_1"
    result = p.failed(Failure(Outcome.CONNECTION, None, None, "connection failed"))
    assert (result.outcome, result.http_status, result.request_id) == (Outcome.CONNECTION, 200, "req_1")
    assert result.ttft_ms is not None and result.text == "par"

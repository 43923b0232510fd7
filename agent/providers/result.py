"""What one provider call measured, shared by every adapter, and the clock that measures it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from agent.taxonomy import Failure, Outcome


@dataclass(frozen=True)
class Usage:
    input_tokens: int | None
    output_tokens: int | None


@dataclass(frozen=True)
class CallResult:
    outcome: Outcome
    latency_ms: float
    ttft_ms: float | None = None
    http_status: int | None = None
    usage: Usage | None = None
    request_id: str | None = None
    response_model: str | None = None
    text: str = ""
    error_message: str | None = None
    # False when the call was refused before anything was sent (missing key): no latency to observe.
    attempted: bool = True
    # Set when the failure is the request's own fault (input the SDK cannot encode, context too long):
    # the request field to blame. Such a call says nothing about the model.
    request_fault: str | None = None
    # perf_counter() when the request was handed to the SDK to send; None when nothing was sent.
    sent_at: float | None = None
    # From the agent receiving the request to `sent_at` (set by calls.perform_call): the agent's own wait.
    queue_ms: float | None = None

    def with_error_message(self, message: str | None) -> CallResult:
        return replace(self, error_message=message)


@dataclass
class StreamProgress:
    """Accumulates a stream as it arrives; `perf_counter` marks are taken by the adapter's loop.

    The clock starts when the adapter is about to send the request, so TTFT and latency include
    connecting and the SDK's own request building, as the contract asks ("from sending the request").
    """

    started: float = field(default_factory=time.perf_counter)
    first_chunk_at: float | None = None
    ended_at: float | None = None
    http_status: int | None = None
    request_id: str | None = None
    response_model: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    text_parts: list[str] = field(default_factory=list)
    # Told the TTFT (ms) the moment the first content arrives: the service hedges on it.
    on_first_token: Callable[[float], None] | None = None

    def add_text(self, text: str) -> None:
        if not text:
            return
        if self.first_chunk_at is None:
            self.first_chunk_at = time.perf_counter()
            if self.on_first_token is not None:
                self.on_first_token(self._elapsed_ms(self.first_chunk_at) or 0.0)
        self.text_parts.append(text)

    def finish(self) -> None:
        self.ended_at = time.perf_counter()

    def _elapsed_ms(self, moment: float | None) -> float | None:
        return None if moment is None else round((moment - self.started) * 1000.0, 3)

    def _usage(self) -> Usage | None:
        if self.input_tokens is None and self.output_tokens is None:
            return None
        return Usage(self.input_tokens, self.output_tokens)

    def result(self, *, require_text: bool) -> CallResult:
        """The result of a stream that ended normally; empty answers are `invalid_response`."""
        if self.ended_at is None:
            self.finish()
        text = "".join(self.text_parts)
        usage = self._usage()
        # A reasoning model may spend a 1-token budget on reasoning: usage without text is still an answer.
        produced_tokens = usage is not None and (usage.output_tokens or 0) > 0
        empty = not text and (require_text or not produced_tokens)
        outcome = Outcome.INVALID_RESPONSE if empty else Outcome.SUCCESS
        message = "the answer was empty" if empty else None
        return self._build(outcome, message, text)

    def failed(self, failure: Failure) -> CallResult:
        """The result of a stream that raised; keeps whatever was measured before the failure."""
        if self.ended_at is None:
            self.finish()
        if failure.http_status is not None:
            self.http_status = failure.http_status
        self.request_id = failure.request_id or self.request_id
        result = self._build(failure.outcome, failure.message, "".join(self.text_parts))
        return replace(result, request_fault=failure.request_fault)

    def _build(self, outcome: Outcome, message: str | None, text: str) -> CallResult:
        return CallResult(
            outcome=outcome,
            latency_ms=self._elapsed_ms(self.ended_at) or 0.0,
            ttft_ms=self._elapsed_ms(self.first_chunk_at),
            http_status=self.http_status,
            usage=self._usage(),
            request_id=self.request_id,
            response_model=self.response_model,
            text=text,
            error_message=message,
            sent_at=self.started,
        )

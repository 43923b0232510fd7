"""The one use case: make an LLM call for a probe or an interview, and account for it.

Every call, whatever its outcome, gets the same treatment: a `chat {model}` span, metrics, and one log
line. The key is read here, at call time, and used for nothing but the client and scrubbing messages.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from opentelemetry.trace import Tracer

from agent.admission import Admission, OverloadedError, Ticket
from agent.clients import ClientCache
from agent.metrics import AgentMetrics
from agent.prompts import OPENING_REQUEST, PROBE_PROMPT, build_interviewer_system_prompt
from agent.providers import ADAPTERS, CallResult, StreamChat
from agent.schemas import Endpoint, InterviewRequest, ProbeRequest
from agent.settings import read_api_key
from agent.taxonomy import Outcome, classify_exception, scrub
from agent.tracing import annotate_chat_span, chat_span, sampled_trace_id

log = logging.getLogger("agent.calls")
Purpose = Literal["probe", "interview"]


class DeadlinePassedError(Exception):
    """The caller stopped waiting before the call could be made (e.g. the agent was frozen): nothing is sent."""


class CallerGoneError(Exception):
    """The caller hung up before the call could be made (it answered its own caller already): nothing is sent."""


# Asked right before the provider call: has the caller closed its connection? (hang_up.py)
CallerGone = Callable[[], Awaitable[bool]]


@dataclass(frozen=True)
class CallDeps:
    clients: ClientCache
    metrics: AgentMetrics
    tracer: Tracer
    admission: Admission
    adapters: Mapping[str, StreamChat] = field(default_factory=lambda: dict(ADAPTERS))
    read_key: Callable[[str], str | None] = read_api_key


@dataclass(frozen=True)
class ChatCall:
    purpose: Purpose
    model_id: str | None
    endpoint: Endpoint
    model: str
    system: str | None
    user: str
    max_tokens: int
    timeout_s: float
    # Wall-clock epoch seconds after which nobody waits for the answer; None when the caller set none.
    deadline_at: float | None = None


def probe_call(request: ProbeRequest, endpoint: Endpoint) -> ChatCall:
    return ChatCall(
        "probe", request.model_id, endpoint, request.model, None, PROBE_PROMPT,
        request.max_tokens, request.timeout_ms / 1000.0, _epoch_s(request.deadline_at),
    )  # fmt: skip


def interview_call(request: InterviewRequest, endpoint: Endpoint) -> ChatCall:
    system = build_interviewer_system_prompt(request.interview)
    return ChatCall(
        "interview", request.model_id, endpoint, request.model, system, OPENING_REQUEST,
        request.max_tokens, request.timeout_ms / 1000.0, _epoch_s(request.deadline_at),
    )  # fmt: skip


def _epoch_s(deadline_ms: float | None) -> float | None:
    return None if deadline_ms is None else deadline_ms / 1000.0


def within_deadline(call: ChatCall, now: Callable[[], float] = time.time) -> ChatCall:
    """The call with its timeout cut to what is left before its deadline; DeadlinePassedError if nothing is left.

    Checked before any provider call: work the caller abandoned (it answered its own caller already) must
    not spend money or a provider's rate limit when the agent gets to it late.
    """
    if call.deadline_at is None:
        return call
    left_s = call.deadline_at - now()
    if left_s <= 0:
        log.warning(
            "dropped: deadline passed",
            extra={"purpose": call.purpose, "provider": call.endpoint.name, "model": call.model,
                   "model_id": call.model_id, "late_ms": round(-left_s * 1000, 1)},
        )  # fmt: skip
        raise DeadlinePassedError
    return replace(call, timeout_s=min(call.timeout_s, left_s))


def admit(deps: CallDeps, call: ChatCall) -> Ticket:
    """The call's place within the concurrency limits, or OverloadedError (counted) before anything is sent."""
    try:
        ticket = deps.admission.admit((call.endpoint.name, call.model))
    except OverloadedError as error:
        deps.metrics.refused.labels(call.purpose, error.scope).inc()
        raise
    return ticket


async def perform_call(
    deps: CallDeps,
    call: ChatCall,
    ticket: Ticket,
    *,
    received_at: float | None = None,
    on_first_token: Callable[[float], None] | None = None,
    caller_gone: CallerGone | None = None,
) -> CallResult:
    """Makes the admitted call; `received_at` (perf_counter) is when the agent got the request, so the
    time before the provider is sent anything is reported apart from the provider's latency. Work nobody
    waits for any more (deadline passed, caller hung up) is dropped and counted before anything is sent."""
    try:
        call = await _still_wanted(deps, call, caller_gone)
        result = await _traced(deps, call, on_first_token)
    finally:
        ticket.release()
    if received_at is not None and result.sent_at is not None:
        result = replace(result, queue_ms=round(max(0.0, result.sent_at - received_at) * 1000.0, 3))
        deps.metrics.record_queue(call.purpose, result.queue_ms)
    return result


async def _still_wanted(deps: CallDeps, call: ChatCall, caller_gone: CallerGone | None) -> ChatCall:
    try:
        call = within_deadline(call)
    except DeadlinePassedError:
        deps.metrics.dropped.labels(call.purpose, "deadline_passed").inc()
        raise
    if caller_gone is None:
        return call
    try:
        gone = await caller_gone()
    except asyncio.CancelledError:
        _dropped_for_hang_up(deps, call)  # a stream cancels its call when it sees the hang-up first (call_stream.py)
        raise
    if gone:
        _dropped_for_hang_up(deps, call)
        raise CallerGoneError
    return call


def _dropped_for_hang_up(deps: CallDeps, call: ChatCall) -> None:
    deps.metrics.dropped.labels(call.purpose, "caller_gone").inc()
    extra = {"purpose": call.purpose, "provider": call.endpoint.name, "model": call.model, "model_id": call.model_id}
    log.warning("dropped: caller hung up", extra=extra)


async def _traced(deps: CallDeps, call: ChatCall, on_first_token: Callable[[float], None] | None) -> CallResult:
    endpoint = call.endpoint
    with chat_span(
        deps.tracer, purpose=call.purpose, provider=endpoint.name, model=call.model,
        max_tokens=call.max_tokens, base_url=endpoint.base_url,
    ) as span:  # fmt: skip
        try:
            result = await _attempt(deps, call, on_first_token)
        except asyncio.CancelledError:
            # The service gave up on the call (a hedge won): the stream was closed on the way out.
            extra = {"purpose": call.purpose, "model": call.model, "model_id": call.model_id}
            log.info("llm call cancelled", extra=extra)
            raise
        annotate_chat_span(span, result)
        deps.metrics.record(call.purpose, endpoint.name, call.model, result, sampled_trace_id(span))
        _log_call(call, result)
    return result


async def _attempt(deps: CallDeps, call: ChatCall, on_first_token: Callable[[float], None] | None) -> CallResult:
    variable = call.endpoint.api_key_env
    key = deps.read_key(variable)
    if key is None:
        message = f"environment variable {variable} is not set"
        return CallResult(Outcome.AUTH, 0.0, error_message=message, attempted=False)
    try:
        client = deps.clients.get(call.endpoint, key)
        adapter = deps.adapters[call.endpoint.kind]
        result = await adapter(
            client, call.model, call.system, call.user,
            max_tokens=call.max_tokens, timeout=call.timeout_s, on_first_token=on_first_token,
        )  # fmt: skip
    except Exception as exc:  # adapters already classify; this guards client construction
        failure = classify_exception(exc)
        result = CallResult(
            failure.outcome, 0.0, error_message=failure.message, attempted=False, request_fault=failure.request_fault
        )
    if call.purpose == "interview" and result.outcome == Outcome.SUCCESS and not result.text.strip():
        # An interview needs an opening line; usage alone (a reasoning model's budget spent) is not one.
        result = replace(result, outcome=Outcome.INVALID_RESPONSE, error_message="the answer had no text")
    if result.error_message is not None:
        result = result.with_error_message(scrub(result.error_message, [key]))
    return result


def _log_call(call: ChatCall, result: CallResult) -> None:
    # One line per call: debug, or a busy agent's log is nothing but calls (the metrics count them).
    log.debug(
        "llm call",
        extra={
            "purpose": call.purpose,
            "provider": call.endpoint.name,
            "model": call.model,
            "model_id": call.model_id,
            "outcome": result.outcome.value,
            "latency_ms": result.latency_ms,
            "ttft_ms": result.ttft_ms,
            "http_status": result.http_status,
            "request_id": result.request_id,
            "error": result.error_message,
        },
    )

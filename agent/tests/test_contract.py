"""The committed contract file is the agent's own OpenAPI document, so the service never builds on a stale one."""

from __future__ import annotations

from agent.export_contract import CONTRACT_PATH, render
from agent.providers import CallResult, Usage
from agent.schemas import InterviewResponse
from agent.taxonomy import Outcome


def test_when_the_agent_models_change_then_the_committed_contract_is_regenerated() -> None:
    assert CONTRACT_PATH.read_text(encoding="utf-8") == render(), "agent/contract/openapi.json is stale: make contract"


def test_when_a_call_result_is_answered_then_every_measured_field_reaches_the_wire_camel_cased() -> None:
    result = CallResult(Outcome.SUCCESS, 12.5, 3.0, 200, Usage(9, None), "req_1", "gpt-4o", "Hello", None, queue_ms=0.8)
    wire = InterviewResponse.model_validate(result, from_attributes=True).model_dump(mode="json", by_alias=True)
    assert wire == {
        "outcome": "success",
        "latencyMs": 12.5,
        "ttftMs": 3.0,
        "httpStatus": 200,
        "usage": {"inputTokens": 9, "outputTokens": None},
        "requestId": "req_1",
        "responseModel": "gpt-4o",
        "errorMessage": None,
        "queueMs": 0.8,
        "text": "Hello",
        "requestFault": None,
    }

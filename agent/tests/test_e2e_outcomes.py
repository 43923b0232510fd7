"""Every outcome class, through both SDKs, against the real simulator's real error bodies and faults."""

from __future__ import annotations

import pytest

from agent.tests.agent_client import AgentClient, unique_model

pytestmark = pytest.mark.timeout(60)

SDK_PATHS = [("openai", "gpt-4o"), ("anthropic", "claude-sonnet-4")]
SDK_IDS = [kind for kind, _ in SDK_PATHS]

STATUS_CASES = [
    (429, "rate_limited"),
    (529, "overloaded"),
    (503, "overloaded"),
    (500, "server_error"),
    (401, "auth"),
    (403, "auth"),
    (404, "not_found"),
    (400, "bad_request"),
]


@pytest.mark.parametrize(("kind", "model"), SDK_PATHS, ids=SDK_IDS)
@pytest.mark.parametrize(("status", "outcome"), STATUS_CASES, ids=[str(s) for s, _ in STATUS_CASES])
def test_when_the_provider_answers_an_error_status_then_the_outcome_is_its_class(
    client: AgentClient, kind, model, status, outcome
):
    model = unique_model(model)
    client.set_faults(model, errorRate=1, status=status, ttftMs=0)
    result = client.probe(kind, model)
    assert (result["outcome"], result["httpStatus"]) == (outcome, status), result
    assert result["requestId"], "the provider's request id is kept on failures"
    assert result["errorMessage"].startswith(f"HTTP {status}: ")
    assert result["usage"] is None and result["ttftMs"] is None


@pytest.mark.parametrize(("kind", "model"), SDK_PATHS, ids=SDK_IDS)
def test_when_the_model_does_not_exist_then_the_outcome_is_not_found(client: AgentClient, kind, model):
    result = client.probe(kind, "missing-x")
    assert (result["outcome"], result["httpStatus"]) == ("not_found", 404), result
    assert "missing-x" in result["errorMessage"]


@pytest.mark.parametrize(("kind", "model"), SDK_PATHS, ids=SDK_IDS)
def test_when_the_provider_hangs_then_the_outcome_is_timeout_at_the_deadline(client: AgentClient, kind, model):
    model = unique_model(model)
    client.set_faults(model, hang=True)
    try:
        result = client.probe(kind, model, timeoutMs=400)
    finally:
        client.set_faults(model, hang=False)  # releases the simulator's held request
    assert result["outcome"] == "timeout", result
    assert 395 <= result["latencyMs"] < 1000
    assert result["httpStatus"] is None


@pytest.mark.parametrize(("kind", "model"), SDK_PATHS, ids=SDK_IDS)
def test_when_the_stream_trickles_then_the_deadline_covers_the_whole_call(client: AgentClient, kind, model):
    # A chunk every ~100 ms: no single read is slow, so only the whole-call deadline can stop it.
    model = unique_model(model)
    client.set_faults(model, ttftMs=0, latencyMs=3000)
    result = client.interview(kind, model, {"role": "SRE"}, timeoutMs=500)
    assert result["outcome"] == "timeout", result
    assert 495 <= result["latencyMs"] < 1000
    assert result["httpStatus"] == 200 and result["ttftMs"] < 100
    assert result["text"] == "", "a cut-off opening line is not returned as one"


@pytest.mark.parametrize(("kind", "model"), SDK_PATHS, ids=SDK_IDS)
def test_when_nothing_listens_then_the_outcome_is_connection(client: AgentClient, kind, model):
    result = client.probe(kind, model, provider=f"{kind}-closed")  # a port bound but never listening
    assert result["outcome"] == "connection", result
    assert result["httpStatus"] is None and result["requestId"] is None


@pytest.mark.parametrize(("kind", "model"), SDK_PATHS, ids=SDK_IDS)
def test_when_the_connection_drops_mid_answer_then_the_outcome_is_connection(client: AgentClient, kind, model):
    model = unique_model(model)
    client.set_faults(model, errorRate=1, status=0, ttftMs=0, latencyMs=50)
    result = client.probe(kind, model, maxTokens=50)
    assert result["outcome"] == "connection", result
    assert result["httpStatus"] == 200


@pytest.mark.parametrize(("kind", "model"), SDK_PATHS, ids=SDK_IDS)
def test_when_the_key_variable_is_missing_then_the_outcome_is_auth_naming_it(client: AgentClient, kind, model):
    result = client.probe(kind, model, provider=f"{kind}-nokey")
    assert result["outcome"] == "auth"
    assert result["errorMessage"] == "environment variable MODELWATCH_TEST_UNSET_API_KEY is not set"
    assert result["httpStatus"] is None and result["latencyMs"] == 0


@pytest.mark.parametrize(("kind", "model"), SDK_PATHS, ids=SDK_IDS)
def test_when_the_answer_is_empty_then_the_outcome_is_invalid_response(client: AgentClient, kind, model):
    model = unique_model(model)
    client.set_faults(model, emptyResponse=True, ttftMs=0, latencyMs=10)
    result = client.probe(kind, model)
    assert (result["outcome"], result["httpStatus"]) == ("invalid_response", 200), result
    assert result["ttftMs"] is None


@pytest.mark.parametrize(("kind", "model"), SDK_PATHS, ids=SDK_IDS)
def test_when_the_answer_is_unparsable_then_the_outcome_is_invalid_response(client: AgentClient, kind, model):
    model = unique_model(model)
    client.set_faults(model, garbage=True, ttftMs=0, latencyMs=10)
    result = client.probe(kind, model)
    assert result["outcome"] == "invalid_response", result

"""Successful calls through the real agent to the real simulator, over HTTP."""

from __future__ import annotations

import statistics

import pytest

from agent.tests.agent_client import PROVIDERS, AgentClient, unique_model

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize(("kind", "model"), PROVIDERS, ids=[kind for kind, _ in PROVIDERS])
def test_when_the_model_answers_then_the_probe_reports_usage_request_id_and_ttft(client: AgentClient, kind, model):
    result = client.probe(kind, model, maxTokens=1)
    assert result["outcome"] == "success", result
    assert result["httpStatus"] == 200
    assert result["usage"]["inputTokens"] > 0 and result["usage"]["outputTokens"] == 1
    assert result["requestId"].startswith("req_")
    assert result["responseModel"] == model
    assert 0 < result["ttftMs"] <= result["latencyMs"]
    assert result["errorMessage"] is None
    assert "text" not in result


@pytest.mark.parametrize(("kind", "model"), PROVIDERS, ids=[kind for kind, _ in PROVIDERS])
def test_when_an_interview_is_initiated_then_the_opening_line_is_returned(client: AgentClient, kind, model):
    interview = {"role": "Backend Engineer", "candidateName": "Ada", "language": "English", "futureField": {"x": 1}}
    result = client.interview(kind, model, interview, maxTokens=120)
    assert result["outcome"] == "success", result
    assert len(result["text"].split()) > 3
    assert result["usage"]["outputTokens"] > 1 and result["ttftMs"] is not None


@pytest.mark.parametrize(("kind", "model"), PROVIDERS[:2], ids=[kind for kind, _ in PROVIDERS[:2]])
def test_ttft_reads_the_simulated_300_ms_plus_a_small_overhead(client: AgentClient, kind, model, capsys):
    model = unique_model(model)
    client.set_faults(model, ttftMs=300, latencyMs=350, jitterMs=0)
    ttfts = [client.probe(kind, model)["ttftMs"] for _ in range(5)]
    overheads = [round(ttft - 300, 2) for ttft in ttfts]
    with capsys.disabled():
        print(
            f"\n[{kind}] TTFT overhead over a simulated 300 ms, ms: {overheads} "
            f"(median {statistics.median(overheads):.2f})"
        )
    assert all(295 <= ttft <= 400 for ttft in ttfts), ttfts


@pytest.mark.parametrize(("kind", "model"), PROVIDERS[:2], ids=[kind for kind, _ in PROVIDERS[:2]])
def test_a_failing_probe_is_one_attempt_because_sdk_retries_are_off(client: AgentClient, kind, model):
    model = unique_model(model)
    client.set_faults(model, errorRate=1, status=500, ttftMs=0)
    assert client.probe(kind, model)["outcome"] == "server_error"
    assert client.simulator_stats(model)["total"] == 1


def test_latency_covers_the_whole_stream(client: AgentClient):
    model = unique_model("gpt-4o")
    client.set_faults(model, ttftMs=50, latencyMs=400)
    result = client.interview("openai", model, {"role": "SRE"})
    assert 50 <= result["ttftMs"] < 150
    assert 395 <= result["latencyMs"] < 550

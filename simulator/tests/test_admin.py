"""The admin API: merge semantics, validation naming the field, reset, stats, health."""

from __future__ import annotations

import openai
import pytest

pytestmark = pytest.mark.timeout(20)

DEFAULTS = {
    "latencyMs": 150,
    "jitterMs": 0,
    "ttftMs": 60,
    "errorRate": 0,
    "status": 500,
    "hang": False,
    "emptyResponse": False,
    "garbage": False,
}
NUMBER_HINT = "must be a number of milliseconds"
STATUS_HINT = "must be an integer HTTP status (400-599) or 0 to drop the connection"


def test_when_healthy_then_healthz_says_ok(admin) -> None:
    assert admin.get("/healthz") == {"status": "ok"}


def test_when_nothing_is_set_then_only_the_contract_defaults(admin) -> None:
    assert admin.get("/admin/models") == {"defaults": DEFAULTS, "models": {}}


def test_when_settings_are_put_then_they_merge_into_the_current_ones(admin) -> None:
    assert admin.set("gpt-4o", latencyMs=10) == {**DEFAULTS, "latencyMs": 10}
    assert admin.set("gpt-4o", errorRate=0.5, status=503) == {
        **DEFAULTS,
        "latencyMs": 10,
        "errorRate": 0.5,
        "status": 503,
    }
    assert admin.get("/admin/models")["models"] == {
        "gpt-4o": {**DEFAULTS, "latencyMs": 10, "errorRate": 0.5, "status": 503}
    }


def test_when_a_model_name_has_a_slash_then_it_is_one_model(admin) -> None:
    admin.set("meta/llama-3", hang=True)
    assert admin.get("/admin/models")["models"]["meta/llama-3"]["hang"] is True


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({"errorRate": 1.5}, "errorRate", "must be a number between 0 and 1"),
        ({"errorRate": "high"}, "errorRate", "must be a number between 0 and 1"),
        ({"latencyMs": -1}, "latencyMs", "must be between 0 and 3600000"),
        ({"ttftMs": True}, "ttftMs", NUMBER_HINT),
        ({"jitterMs": "5"}, "jitterMs", NUMBER_HINT),
        ({"status": 200}, "status", STATUS_HINT),
        ({"status": 500.0}, "status", STATUS_HINT),
        ({"hang": "yes"}, "hang", "must be true or false"),
        ({"emptyResponse": 1}, "emptyResponse", "must be true or false"),
        (
            {"latency": 5},
            "latency",
            "unknown setting (known: latencyMs, jitterMs, ttftMs, errorRate, status, hang, emptyResponse, garbage)",
        ),
        ([1, 2], "body", "must be an object of settings"),
    ],
)
def test_when_a_setting_is_invalid_then_422_names_the_field(admin, body, field, reason) -> None:
    response = admin.http.put("/admin/models/gpt-4o", json=body)
    assert response.status_code == 422
    assert response.json() == {"error": f"{field}: {reason}", "field": field, "reason": reason}
    assert admin.get("/admin/models")["models"] == {}  # nothing half-applied


def test_when_the_body_is_not_json_then_400(admin) -> None:
    response = admin.http.put("/admin/models/gpt-4o", content=b"{latencyMs: 5")
    assert response.status_code == 400
    assert response.json()["field"] == "body"


def test_when_a_model_is_deleted_then_it_is_back_to_defaults(admin) -> None:
    admin.set("gpt-4o", latencyMs=10)
    response = admin.http.delete("/admin/models/gpt-4o")
    assert response.status_code == 200 and response.json() == DEFAULTS
    assert admin.get("/admin/models")["models"] == {}


def test_when_reset_then_every_model_and_the_stats_are_cleared(admin, oai) -> None:
    admin.set("gpt-4o", errorRate=1, status=429, ttftMs=0)
    admin.set("claude-sonnet-4", latencyMs=0)
    with pytest.raises(openai.RateLimitError):
        oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    assert admin.get("/admin/stats") == {"total": 1, "models": {"gpt-4o": {"total": 1, "outcomes": {"status_429": 1}}}}
    admin.reset()
    assert admin.get("/admin/models")["models"] == {}
    assert admin.get("/admin/stats") == {"total": 0, "models": {}}
    assert admin.get("/admin/scenario") == {"state": "none"}


def test_when_changes_are_made_then_one_json_log_line_each(sim, admin) -> None:
    admin.set("logged-model", latencyMs=7)
    lines = [line for line in sim.log_entries() if line.get("model") == "logged-model"]
    assert lines[-1]["msg"] == "admin set" and lines[-1]["set"] == {"latencyMs": 7}

"""The call limits as a caller sees them: refused at the limit, room again once a call ends."""

from __future__ import annotations

import pytest

from agent.admission import Admission, CallLimits, OverloadedError


def test_when_a_model_has_its_limit_in_flight_then_it_is_refused_and_other_models_are_not():
    admission = Admission(CallLimits(max_calls=10, max_calls_per_model=2))
    tickets = [admission.admit("gpt-4o"), admission.admit("gpt-4o")]
    with pytest.raises(OverloadedError) as refused:
        admission.admit("gpt-4o")
    assert (refused.value.scope, refused.value.limit, refused.value.retry_after_s) == ("model", 2, 1)
    admission.admit("gpt-4o-mini")
    tickets[0].release()
    tickets[0].release()  # a second release (the stream's own finally) frees nothing more
    admission.admit("gpt-4o")
    with pytest.raises(OverloadedError):
        admission.admit("gpt-4o")


def test_when_the_agent_has_its_limit_in_flight_then_every_model_is_refused():
    seen: list[int] = []
    admission = Admission(CallLimits(max_calls=2, max_calls_per_model=2), on_change=seen.append)
    first = admission.admit("a")
    admission.admit("b")
    with pytest.raises(OverloadedError) as refused:
        admission.admit("c")
    assert refused.value.scope == "agent"
    first.release()
    admission.admit("c")
    assert seen == [1, 2, 1, 2]


def test_each_worker_enforces_its_share_of_the_limits_rounded_up():
    assert CallLimits(512, 64).per_worker(3) == CallLimits(171, 22)
    assert CallLimits(1, 1).per_worker(4) == CallLimits(1, 1)

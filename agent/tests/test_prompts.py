from __future__ import annotations

from agent.prompts import MAX_FIELD_CHARS, MAX_LIST_ITEMS, PROBE_PROMPT, build_interviewer_system_prompt


def test_the_probe_prompt_is_the_contracts_fixed_tiny_prompt():
    assert PROBE_PROMPT == "Reply with: ok"


def test_when_every_known_field_is_given_then_the_prompt_uses_them_in_order():
    prompt = build_interviewer_system_prompt(
        {
            "role": "Backend Engineer",
            "seniority": "Senior",
            "candidateName": "Ada Lovelace",
            "language": "French",
            "company": "Acme",
            "focus": ["distributed systems", "testing"],
            "questions": ["Tell me about a hard bug.", {"text": "How do you test a queue?"}],
            "systemPrompt": "Be warm.\nNever give hints.",
        }
    )
    assert prompt == (
        "You are an interviewer at Acme, conducting a job interview for the Senior Backend Engineer position.\n"
        "The candidate's name is Ada Lovelace.\n"
        "Conduct the whole interview in French.\n"
        "Focus on: distributed systems; testing.\n"
        "Questions to cover, in this order:\n"
        "1. Tell me about a hard bug.\n"
        "2. How do you test a queue?\n"
        "Keep every turn short: one or two sentences, then wait for the candidate to answer.\n"
        "Be warm.\nNever give hints."
    )


def test_when_the_interview_is_empty_then_the_prompt_is_generic_and_in_english():
    assert build_interviewer_system_prompt({}) == (
        "You are an interviewer, conducting a job interview.\n"
        "Conduct the interview in English.\n"
        "Keep every turn short: one or two sentences, then wait for the candidate to answer."
    )


def test_when_the_candidate_is_an_object_then_its_name_is_used():
    prompt = build_interviewer_system_prompt({"candidate": {"name": "Grace", "email": "g@example.com"}})
    assert "The candidate's name is Grace." in prompt
    assert "g@example.com" not in prompt


def test_when_fields_are_unknown_or_of_the_wrong_type_then_they_are_ignored():
    prompt = build_interviewer_system_prompt(
        {
            "role": {"nested": "object"},
            "language": ["not", "a", "string"],
            "company": True,
            "questions": [None, 42, {"question": "Why us?"}, ["deep"]],
            "systemPrompt": 7,
            "unknownField": "IGNORED-VALUE",
        }
    )
    assert "IGNORED-VALUE" not in prompt
    assert "nested" not in prompt and "True" not in prompt
    assert "Questions to cover, in this order:\n1. 42\n2. Why us?" in prompt
    assert prompt.startswith("You are an interviewer, conducting a job interview.")


def test_when_values_are_huge_then_they_are_bounded():
    prompt = build_interviewer_system_prompt({"role": "r" * 10_000, "questions": [f"q{i}" for i in range(500)]})
    assert "r" * MAX_FIELD_CHARS in prompt and "r" * (MAX_FIELD_CHARS + 1) not in prompt
    assert f"{MAX_LIST_ITEMS}. q{MAX_LIST_ITEMS - 1}" in prompt
    assert f"{MAX_LIST_ITEMS + 1}." not in prompt


def test_when_focus_is_a_single_string_then_it_is_one_item():
    assert "Focus on: system design." in build_interviewer_system_prompt({"focus": "system design"})

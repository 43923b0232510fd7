"""The fixed probe prompt and the interviewer prompt built from a free-form interview configuration.

The interview object is user-supplied and unversioned: read known fields under a few common spellings,
accept strings and numbers only, bound every length, and ignore everything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PROBE_PROMPT = "Reply with: ok"
OPENING_REQUEST = (
    "The candidate has just joined the call. Say your opening line: greet them by name if you know it, "
    "introduce yourself in one sentence, and ask your first question."
)

MAX_FIELD_CHARS = 300
MAX_LIST_ITEMS = 20
MAX_SYSTEM_PROMPT_CHARS = 4000

_ROLE_KEYS = ("role", "position", "jobTitle", "job")
_CANDIDATE_KEYS = ("candidateName", "candidate", "name")
_COMPANY_KEYS = ("company", "companyName")
_LEVEL_KEYS = ("seniority", "level")
_LANGUAGE_KEYS = ("language", "lang", "locale")


def build_interviewer_system_prompt(interview: Mapping[str, Any]) -> str:
    """The interviewer's instructions; `systemPrompt`, if present, is appended last so it can refine them."""
    role = _first_text(interview, _ROLE_KEYS)
    company = _first_text(interview, _COMPANY_KEYS)
    level = _first_text(interview, _LEVEL_KEYS)
    position = " ".join(part for part in (level, role) if part)
    lines = [_introduction(position, company)]
    candidate = _candidate_name(interview)
    if candidate:
        lines.append(f"The candidate's name is {candidate}.")
    language = _first_text(interview, _LANGUAGE_KEYS)
    lines.append(f"Conduct the whole interview in {language}." if language else "Conduct the interview in English.")
    focus = _text_list(interview.get("focus"))
    if focus:
        lines.append("Focus on: " + "; ".join(focus) + ".")
    questions = _text_list(interview.get("questions"))
    if questions:
        numbered = "\n".join(f"{index}. {question}" for index, question in enumerate(questions, start=1))
        lines.append("Questions to cover, in this order:\n" + numbered)
    lines.append("Keep every turn short: one or two sentences, then wait for the candidate to answer.")
    extra = interview.get("systemPrompt")
    if isinstance(extra, str) and extra.strip():
        lines.append(extra.strip()[:MAX_SYSTEM_PROMPT_CHARS])  # line breaks kept: they may structure it
    return "\n".join(lines)


def _introduction(position: str, company: str | None) -> str:
    at_company = f" at {company}" if company else ""
    if position:
        return f"You are an interviewer{at_company}, conducting a job interview for the {position} position."
    return f"You are an interviewer{at_company}, conducting a job interview."


def _candidate_name(interview: Mapping[str, Any]) -> str | None:
    candidate = interview.get("candidate")
    if isinstance(candidate, Mapping):
        return _text(candidate.get("name"))
    return _first_text(interview, _CANDIDATE_KEYS)


def _first_text(source: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = _text(source.get(key))
        if value:
            return value
    return None


def _text(value: Any) -> str | None:
    """A bounded, single-spaced string for strings and numbers; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    text = " ".join(str(value).split())
    return text[:MAX_FIELD_CHARS] or None


def _text_list(value: Any) -> list[str]:
    """Items of a string or list; list items may be strings or objects with `text` / `question`."""
    items = value if isinstance(value, list) else [value]
    texts: list[str] = []
    for item in items[:MAX_LIST_ITEMS]:
        text = _text(item.get("text", item.get("question")) if isinstance(item, Mapping) else item)
        if text:
            texts.append(text)
    return texts

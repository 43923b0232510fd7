"""What the simulated models say, how many tokens a prompt "costs", and provider-style ids."""

from __future__ import annotations

import random
import re
import string
from collections.abc import Iterable
from typing import Any

# An interviewer's opening line: the demo's interviews then read naturally.
DEFAULT_REPLY = (
    "Hello! Thanks for joining today. Let's start with a short introduction: could you tell me "
    "about yourself and about a recent project you are proud of?"
)
_REPLY_WITH = re.compile(r"reply with:\s*(.+)", re.IGNORECASE)
_ALNUM = string.ascii_letters + string.digits
_ids = random.Random()  # ids need no secrecy, and this is faster than `secrets`


def content_text(content: Any) -> str:
    """Text of a message `content`: a string, or a list of parts of which text parts count."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def estimate_input_tokens(texts: Iterable[str]) -> int:
    """Cheap and deterministic: words plus a per-message overhead, as real tokenizers add framing."""
    return 3 + sum(3 + len(t.split()) for t in texts)


def reply_tokens(last_user_text: str) -> list[str]:
    """The reply as word tokens ("Hello!", " Thanks", ...); honours a "Reply with: X" instruction."""
    match = _REPLY_WITH.search(last_user_text)
    words = (match.group(1).strip() if match else DEFAULT_REPLY).split()
    return [w if i == 0 else " " + w for i, w in enumerate(words)] or ["ok"]


def last_user_text(messages: list[Any]) -> str:
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return content_text(message.get("content"))
    return ""


def new_id(prefix: str, length: int) -> str:
    return prefix + "".join(_ids.choices(_ALNUM, k=length))


def new_hex(prefix: str, length: int = 32) -> str:
    return f"{prefix}{_ids.getrandbits(length * 4):0{length}x}"

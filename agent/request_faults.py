"""Input no provider can take: found before any call, so it is never charged to a model.

A lone UTF-16 surrogate cannot be encoded as UTF-8 (the SDK raises before sending), and NUL or other
C0 controls but tab, line feed and carriage return are refused by providers as invalid content.
"""

from __future__ import annotations

import re
from typing import Any

_BAD_TEXT = re.compile(r"[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f]")


def unsendable_text(value: Any, path: tuple[str | int, ...] = ()) -> tuple[tuple[str | int, ...], str] | None:
    """The path of the first string (or key) a provider cannot take, and why; None if all are fine."""
    if isinstance(value, str):
        match = _BAD_TEXT.search(value)
        if match is None:
            return None
        char = match.group()
        kind = "a lone UTF-16 surrogate" if "\ud800" <= char <= "\udfff" else "a control character"
        return path, f"contains {kind} (U+{ord(char):04X}) that no provider accepts"
    if isinstance(value, dict):
        for key, item in value.items():
            found = unsendable_text(key, (*path, key)) or unsendable_text(item, (*path, key))
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = unsendable_text(item, (*path, index))
            if found is not None:
                return found
    return None

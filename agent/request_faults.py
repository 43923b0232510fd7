"""Input no provider can take: found before any call, so it is never charged to a model.

A lone UTF-16 surrogate cannot be encoded as UTF-8: the SDK raises before sending. (Control characters
are valid JSON text; a provider that refuses them answers a 400 that taxonomy.py classes as a request
fault.)
"""

from __future__ import annotations

import re
from typing import Any

_BAD_TEXT = re.compile(r"[\ud800-\udfff]")  # a Python str holds a surrogate only when it is a lone one


def unsendable_text(value: Any, path: tuple[str | int, ...] = ()) -> tuple[tuple[str | int, ...], str] | None:
    """The path of the first string (or key) a provider cannot take, and why; None if all are fine."""
    if isinstance(value, str):
        match = _BAD_TEXT.search(value)
        if match is None:
            return None
        return path, f"contains a lone UTF-16 surrogate (U+{ord(match.group()):04X}) that no provider can take"
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

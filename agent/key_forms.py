"""Finds a key in text in the forms a provider may echo it back in, so the scrubber can remove them.

A provider's error text may repeat what it was sent: the key itself, or base64 of an Authorization
header, percent- or hex-encoded bytes, JSON `\\u` escapes, the key spaced out, cut over lines or into
pieces. Every such form is matched on a *compact* view of the text: ASCII letters and digits only,
lower-cased, each remembering where it came from. Spaces, dashes, `%`, `\\u` and line breaks then
drop out, and one rule covers them all: any run of FRAGMENT compact characters of a form of a key
is redacted, with the whole token around it.

Not covered: a key cut into pieces shorter than FRAGMENT characters, or transformed in ways not
listed here (encrypted, hashed, reversed). Those leave no usable key in practice except the last.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from urllib.parse import quote, quote_plus

from agent.settings import API_KEY_ENV_PATTERN

# Shortest run of a form's compact characters that is redacted by itself; a chance match of 8
# letters and digits with one of a few hundred key fragments is about 1 in 10^10 per position.
FRAGMENT = 8
# Compact forms shorter than this are matched whole only (and a value this short is hardly a key).
_MIN_WHOLE = 4
_KEY_VARIABLE_RE = re.compile(API_KEY_ENV_PATTERN)
# The characters of an encoded token; a hit is widened to the whole token around it.
_TOKEN_CHAR_RE = re.compile(r"[A-Za-z0-9+/=_%\\.\-]")


def configured_keys(environ: Mapping[str, str] | None = None) -> list[str]:
    """Every key the agent could call with: the values of the environment's `*_API_KEY` variables."""
    env = os.environ if environ is None else environ
    return [value for name, value in env.items() if value and _KEY_VARIABLE_RE.match(name)]


def _compact(text: str) -> tuple[str, list[int]]:
    chars: list[str] = []
    positions: list[int] = []
    for index, char in enumerate(text):
        if char.isascii() and char.isalnum():
            chars.append(char.lower())
            positions.append(index)
    return "".join(chars), positions


def _base64_cores(data: bytes) -> list[str]:
    """base64 of `data` at the three byte alignments it may sit at inside a longer encoded string.

    Only characters whose 6 bits all come from `data` are kept. The URL-safe alphabet differs only in
    `+/` against `-_`, which the compact view drops, so one form serves both.
    """
    cores = []
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + data).decode()
        first = -(-8 * shift // 6)
        last = (8 * (shift + len(data))) // 6
        cores.append(encoded[first:last])
    return cores


def _forms(key: str) -> list[str]:
    raw = key.encode()
    return [
        key,
        quote(key, safe=""),
        quote_plus(key),
        raw.hex(),
        "".join(f"\\u{ord(char):04x}" for char in key),
        *_base64_cores(raw),
    ]


@lru_cache(maxsize=64)
def _patterns(keys: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """(fragments of FRAGMENT characters, short forms matched whole), compact, for every form of every key."""
    fragments: set[str] = set()
    whole: set[str] = set()
    for key in keys:
        for form in _forms(key):
            compact, _ = _compact(form)
            if len(compact) >= FRAGMENT:
                fragments.update(compact[i : i + FRAGMENT] for i in range(len(compact) - FRAGMENT + 1))
            elif len(compact) >= _MIN_WHOLE:
                whole.add(compact)
    return frozenset(fragments), frozenset(whole)


def _hits(compact: str, fragments: frozenset[str], whole: frozenset[str]) -> list[tuple[int, int]]:
    hits = [(i, i + FRAGMENT) for i in range(len(compact) - FRAGMENT + 1) if compact[i : i + FRAGMENT] in fragments]
    for form in whole:
        hits.extend((m.start(), m.end()) for m in re.finditer(re.escape(form), compact))
    return hits


def _widen(text: str, start: int, end: int) -> tuple[int, int]:
    while start > 0 and _TOKEN_CHAR_RE.match(text[start - 1]):
        start -= 1
    while end < len(text) and _TOKEN_CHAR_RE.match(text[end]):
        end += 1
    return start, end


def redact_key_forms(text: str, keys: Iterable[str], replacement: str) -> str:
    """`text` with every span that holds a form of one of `keys` replaced by `replacement`."""
    fragments, whole = _patterns(tuple(sorted({k for k in keys if k})))
    if not fragments and not whole:
        return text
    compact, positions = _compact(text)
    spans = sorted(_widen(text, positions[a], positions[b - 1] + 1) for a, b in _hits(compact, fragments, whole))
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, cursor = [], 0
    for start, end in merged:
        out.append(text[cursor:start])
        out.append(replacement)
        cursor = end
    out.append(text[cursor:])
    return "".join(out)

"""The scrubber removes every form in which a provider may echo a key back: raw, encoded, spaced or split.

Provider error bodies reach `GET /v1/health` `lastError` (an open endpoint) and the logs, so a key must
not survive in any form the provider might have produced from it.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus

import pytest

from agent.taxonomy import scrub

KEY = "canary-9f2d7c1e4b8a6d03f5e7c9b1"


def _b64(data: str) -> str:
    return base64.b64encode(data.encode()).decode()


FORMS = {
    "raw": KEY,
    "base64": _b64(KEY),
    "base64 without padding": _b64(KEY).rstrip("="),
    "base64url": base64.urlsafe_b64encode(KEY.encode()).decode(),
    "base64 of basic credentials": _b64(f"user:{KEY}"),
    "base64 of a bearer header": _b64(f"Bearer {KEY}"),
    "url-encoded": quote(KEY, safe=""),
    "url-encoded with plus": quote_plus(f"key {KEY}"),
    "every byte percent-encoded": "".join(f"%{b:02X}" for b in KEY.encode()),
    "hex": KEY.encode().hex(),
    "upper-case hex": KEY.encode().hex().upper(),
    "json unicode escapes": json.dumps(KEY).replace(KEY[3], f"\\u{ord(KEY[3]):04x}"),
    "spaced": " ".join(KEY),
    "split over lines": KEY[:12] + "\n" + KEY[12:],
    "split in two halves": f"starts {KEY[:16]} and ends {KEY[16:]}",
    "dashes between characters": "-".join(KEY),
    "upper case": KEY.upper(),
}


@pytest.mark.parametrize("form", FORMS.values(), ids=FORMS.keys())
def test_when_a_provider_echoes_the_key_in_any_form_then_no_form_of_it_survives(form: str) -> None:
    scrubbed = scrub(f"HTTP 401: invalid credentials {form} (request req_123)", [KEY])
    assert "[REDACTED]" in scrubbed
    compact = "".join(ch for ch in scrubbed.lower() if ch.isalnum())
    for leftover in ("9f2d7c1e", "4b8a6d03", "f5e7c9b1", _b64(KEY)[8:20].lower(), KEY.encode().hex()[10:26]):
        assert leftover not in compact, scrubbed
    assert scrubbed.startswith("HTTP 401: invalid credentials")


def test_when_a_key_is_configured_in_the_environment_then_it_is_removed_without_being_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTHER_PROVIDER_API_KEY", "zz-other-7a1c9e3b5d2f4a6c8e0b")
    other = "zz-other-7a1c9e3b5d2f4a6c8e0b"
    scrubbed = scrub(f"upstream said: bad key {_b64(other)} and {other}", [KEY])
    assert "7a1c9e3b" not in scrubbed
    assert _b64(other)[4:16] not in scrubbed


def test_when_the_message_holds_no_key_then_it_is_kept_as_is() -> None:
    message = "HTTP 529: overloaded_error: Overloaded, retry after 2 s (request req_011CX)"
    assert scrub(message, [KEY]) == message

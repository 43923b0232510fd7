"""`python -m agent.export_contract`: writes the agent's OpenAPI document, the service ↔ agent contract.

The pydantic models in agent/schemas.py are the single source; the committed file is what the service
generates its types and validators from (`make contract`), and a test fails when the file is stale.
`--check` exits 1 instead of writing when the committed file differs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

CONTRACT_PATH = Path(__file__).resolve().parent / "contract" / "openapi.json"


def openapi_document() -> dict[str, Any]:
    from opentelemetry.sdk.trace import TracerProvider
    from prometheus_client import CollectorRegistry

    from agent.app import Access, create_app

    # The document does not depend on which providers are configured or on the token.
    return create_app(CollectorRegistry(), TracerProvider(), Access({}, token="contract-export-only")).openapi()


def render() -> str:
    return json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        current = CONTRACT_PATH.read_text(encoding="utf-8") if CONTRACT_PATH.exists() else ""
        if current != text:
            print(f"{CONTRACT_PATH} is stale: run `make contract`", file=sys.stderr)
            return 1
        return 0
    CONTRACT_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {CONTRACT_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

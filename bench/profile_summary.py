"""Sums a py-spy `--format raw` profile (collapsed stacks: `frame;frame;... count`) into self time per
function and per package, and the share of samples under a few markers (inclusive), in % of samples."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

# Inclusive shares worth following across changes: which layer of the agent a sample is under.
MARKERS = {
    "otel FastAPI/ASGI middleware": "opentelemetry/instrumentation/asgi",
    "FastAPI routing + pydantic": "fastapi/routing.py",
    "openai SDK": "/openai/",
    "anthropic SDK": "/anthropic/",
    "httpx/httpcore (to the provider)": "/httpcore",
    "uvicorn protocol": "uvicorn/protocols",
    "logging": "/logging/",
    "prometheus_client": "prometheus_client/",
    "agent code (self)": "/agent/",
}


def _package(frame: str) -> str:
    """`fn (path/to/site-packages/pkg/mod.py:12)` -> `pkg`; agent and stdlib files by their own name."""
    location = frame[frame.rfind("(") + 1 : -1] if frame.endswith(")") else frame
    path = location.rsplit(":", 1)[0]
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if "/agent/" in path:
        return "agent/" + path.split("/agent/", 1)[1]
    return "stdlib/" + Path(path).name if path.endswith(".py") else path


def summarize_collapsed(path: Path, top: int = 25) -> dict[str, Any]:
    if not path.exists():
        return {"error": f"py-spy wrote no profile at {path}"}
    by_fn: Counter[str] = Counter()
    by_pkg: Counter[str] = Counter()
    marked: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = stack.split(";")
        leaf = frames[-1]
        by_fn[leaf.split(" (", 1)[0] + " " + _package(leaf)] += count
        by_pkg[_package(leaf)] += count
        for name, needle in MARKERS.items():
            if name == "agent code (self)":
                if needle in leaf:
                    marked[name] += count
            elif any(needle in frame for frame in frames):
                marked[name] += count

    def share(counter: Counter[str], n: int) -> list[tuple[str, float]]:
        return [(k, round(100 * v / max(total, 1), 1)) for k, v in counter.most_common(n)]

    return {
        "samples": total,
        "byPackage": share(by_pkg, 15),
        "byFunction": share(by_fn, top),
        "under": share(marked, 20),
    }

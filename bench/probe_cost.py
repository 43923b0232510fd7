"""Part 4: what probing costs, in tokens and money per model per day, from real probes against the simulator.

The figures come from the service itself: GET /v1/health gives, per model, `probeCost.tokensPerProbe`
(input + output tokens of its last probe) and `estimatedUsdPerDay` (that probe's price from the
config's price table, config/demo.yaml, times 86 400 s / the healthy probe interval). /metrics adds the
input/output split (modelwatch_probe_tokens_total over modelwatch_probes_total).

A probe is one streamed chat completion: user message "Reply with: ok" (agent/prompts.py PROBE_PROMPT),
no system prompt, max_tokens=1. The simulator counts input tokens as words plus a per-message overhead
(simulator/text.py); real providers tokenize differently and add their own framing, so real counts differ.
"""

from __future__ import annotations

from typing import Any

import httpx

PROBE_PROMPT = "Reply with: ok"
PROBE_MAX_TOKENS = 1
DAY_S = 86_400


def metric_sum(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.split("} ", 1)[1].split()[0])
    return total


async def measure(service_url: str, interval_s: float = 10.0) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=service_url, timeout=10) as c:
        health = (await c.get("/v1/health")).json()["models"]
        metrics = (await c.get("/metrics")).text
    rows = []
    for m in health:
        probes = metric_sum(metrics, "modelwatch_probes_total", model=m["id"])
        inp = metric_sum(metrics, "modelwatch_probe_tokens_total", model=m["id"], type="input")
        out = metric_sum(metrics, "modelwatch_probe_tokens_total", model=m["id"], type="output")
        cost = m.get("probeCost") or {}
        rows.append(
            {
                "model": m["id"],
                "probesSeen": int(probes),
                "inputTokensPerProbe": round(inp / probes, 2) if probes else None,
                "outputTokensPerProbe": round(out / probes, 2) if probes else None,
                "tokensPerProbe": cost.get("tokensPerProbe"),
                "probesPerDay": round(DAY_S / interval_s),
                "tokensPerDay": None
                if cost.get("tokensPerProbe") is None
                else round(cost["tokensPerProbe"] * DAY_S / interval_s),
                "estimatedUsdPerDay": cost.get("estimatedUsdPerDay"),
            }
        )
    return {
        "intervalSeconds": interval_s,
        "prompt": PROBE_PROMPT,
        "maxTokens": PROBE_MAX_TOKENS,
        "models": rows,
        "note": "simulator token counts; real providers count (and frame) tokens differently. "
        "Estimate at the healthy interval with no jitter: an upper bound while healthy; "
        "an unhealthy model is probed twice as often (5 s).",
    }

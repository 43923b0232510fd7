"""The markdown table of bench/outages.py's results (bench/results/outages.md and the README)."""

from __future__ import annotations

from typing import Any


def _s(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def traffic_table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| scenario | failed starts | p50 / p95 / p99 during (ms) | served by sick model (while down) "
        "| calls reaching it (sim) | detect: routed away / state | traffic back / healthy after restore "
        "| needless fallbacks >30 s after | unhealthy trips | probes (cost) |\n"
        "|---|---:|---|---:|---:|---|---|---:|---:|---|"
    )
    lines = [head]
    for r in rows:
        # Percentile keys are ints when fresh and strings once read back from JSON.
        lat = {int(k): v for k, v in r.get("latencyDuringIncidentMs", {}).items()}
        failed = _s(r.get("failedStarts"))
        extra = r.get("afterRestart")
        if extra:
            failed += f" ({extra['failedWhileServiceDown']} while the service was down {extra['serviceDownSeconds']} s)"
        lines.append(
            f"| {r['scenario']} ({r['what']}, {r['incidentSeconds']} s) | {failed} | "
            f"{_s(lat.get(50))} / {_s(lat.get(95))} / {_s(lat.get(99))} | {_s(r.get('servedBySickModel'))} "
            f"({_s(r.get('servedWhileDown'))}) | "
            f"{_s(r.get('simCallsToSickModelDuringIncident'))} ({_s(r.get('simCancelledDuringIncident'))} cancelled) | "
            f"{_s(r.get('firstRoutedAwaySeconds'))} s / {_s(r.get('detectStateSeconds'))} s | "
            f"{_s(r.get('trafficBackSeconds'))} s / {_s(r.get('healthyAgainSeconds'))} s | "
            f"{_s(r.get('needlessFallbacksLaterThan30s'))} | {_s(r.get('unhealthyTrips'))} | "
            f"{_s(r.get('probesSent'))} (${r.get('probeCostUsd', 0):.5f}) |"
        )
    return "\n".join(lines)


def probes_only_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| scenario | detected (state) after the outage began | after the first probe that saw it | transitions |",
        "|---|---:|---:|---|",
    ]
    for r in rows:
        path = ", ".join(f"{t}s→{s}" for t, s in r.get("transitions", []) if t is not None and t >= 0)
        lines.append(
            f"| {r['scenario']} | {_s(r.get('detectStateSeconds'))} s | {_s(r.get('detectAfterFirstProbeSeconds'))} s "
            f"| {path or '—'} |"
        )
    return "\n".join(lines)


def markdown(results: dict[str, Any]) -> str:
    env = results.get("environment", {})
    parts = [
        "# Outage benchmark",
        "",
        f"Run {results.get('startedAt', '?')}{' (--quick)' if results.get('quick') else ''}; "
        f"machine: {_s(env.get('cores'))} cores, {_s(env.get('cpuModel'))}, Node {_s(env.get('node'))}, "
        f"Python {_s(env.get('python'))}; load average before: {_s(env.get('loadAverage'))}.",
        f"Traffic: {results.get('rate')} starts/s open loop, primary openai:gpt-4o, caller fallback openai:gpt-4o-mini "
        "(same endpoint). Latency is from each start's scheduled send time.",
        "",
        "## With traffic",
        "",
        traffic_table(results.get("traffic", [])),
        "",
        "## Probes only (no traffic): time to detect",
        "",
        probes_only_table(results.get("probesOnly", [])),
        "",
    ]
    median = results.get("detectMedian")
    if median:
        parts += [
            "## Hard down, probes only, default 10 s interval",
            "",
            f"{median['detectedBy']} of {median['services']} services (independent probe phases, one outage start): "
            f"unhealthy a median {_s(median['afterFirstProbeMedianSeconds'])} s after the first probe that saw the "
            f"outage (each: {median['afterFirstProbeSeconds']}), {_s(median['afterOutageMedianSeconds'])} s after "
            "the outage began.",
            "",
        ]
    return "\n".join(parts)

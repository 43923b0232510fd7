"""The markdown report of bench/replicas.py, from its JSON result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _ms(v: float | None) -> str:
    return "timeout" if v is None or v == float("inf") else f"{v:.1f}"


def _load(env: dict[str, Any]) -> str:
    return " ".join(f"{x:.1f}" for x in env.get("loadAverage", ()))


def _cpu_per_start(row: dict[str, Any], side: str, proc: str) -> str:
    pct = row[side]["resources"].get(proc, {}).get("cpuPercentOfOneCore")
    return "?" if pct is None else f"{pct * 10 / row['rate']:.1f}"


def markdown(r: dict[str, Any]) -> str:
    env = r["environment"]
    lines = [
        "# Several replicas: PostgreSQL against SQLite",
        "",
        f"Machine: {env.get('cores')} cores ({env.get('cpuModel')}), Node {env.get('node')}, "
        f"Python {env.get('python')}, "
        f"PostgreSQL {str(r['postgres']).strip()}; load average before/after: {_load(env)} / "
        f"{_load(r['environmentAfter'])}. Method: bench/replicas.py's docstring.",
        "",
        "| rate | SQLite p50 / p95 / p99 (ms) | PostgreSQL p50 / p95 / p99 (ms) "
        "| added p50 / p95 / p99 (ms) | timeouts SQLite / PG | service CPU ms per start SQLite / PG |",
        "|---:|---|---|---|---|---|",
    ]
    for row in r["addedLatency"]:
        a, b, d = row["sqlite"]["latencyMs"], row["postgres"]["latencyMs"], row["addedMs"]
        lines.append(
            f"| {row['rate']:g}/s | {' / '.join(_ms(a[p]) for p in ('p50', 'p95', 'p99'))} "
            f"| {' / '.join(_ms(b[p]) for p in ('p50', 'p95', 'p99'))} "
            f"| {' / '.join(_ms(d[p]) for p in ('p50', 'p95', 'p99'))} "
            f"| {row['sqlite'].get('timeouts', 0)} / {row['postgres'].get('timeouts', 0)} "
            f"| {_cpu_per_start(row, 'sqlite', 'service')} / {_cpu_per_start(row, 'postgres', 'service-pg-a')} |"
        )
    under = [row for row in r["addedLatency"] if "databaseUnderLoad" in row]
    if under:
        lines += [
            "",
            "Database work per start while the PostgreSQL side ran (its slices; probes and lease rounds included):",
            "",
            "| rate | starts | statements (round trips) per start | commits per start | PostgreSQL CPU ms per start "
            "| load average (1 min) at each slice |",
            "|---:|---:|---:|---:|---:|---|",
        ]
        for row in under:
            d = row["databaseUnderLoad"]
            lines.append(
                f"| {row['rate']:g}/s | {d['starts']} | {d['statementsPerStart']} | {d['commitsPerStart']} "
                f"| {d['postgresCpuMsPerStart']} | {', '.join(f'{x:g}' for x in row['loadAverage1mAtEachSlice'])} |"
            )
    t, c = r["roundTrips"], r["sampleToVerdict"]
    lines += [
        "",
        f"Statements per start ({t['starts']} starts, half with an Idempotency-Key, less an idle window):",
        "",
    ]
    lines += [f"- {n} x `{q}`" for q, n in t["byStatement"].items()]
    lines += [
        "",
        f"Sample on replica A -> verdict on replica B ({c['trials']} probes): p50 {_ms(c['p50Ms'])} ms, "
        f"p99 {_ms(c['p99Ms'])} ms, max {_ms(c['maxMs'])} ms "
        f"(B polled back to back; {c['meanPollsUntilSeen']} polls on average).",
        "",
    ]
    return "\n".join(lines)


def rewrite_markdown(out: Path) -> None:
    """Regenerates replicas.md from replicas.json (after a change to the table's layout)."""
    (out / "replicas.md").write_text(markdown(json.loads((out / "replicas.json").read_text())))

"""The figures of bench/soak.py and their markdown (bench/results/soak.md and the README).

- **Kept**: every 201 answer's interview id and fallback event id, looked up in the database after
  the run; anything missing is listed.
- **Errors by class**: 503 by the body's `error.code`, other HTTP statuses, timeouts (no answer in
  35 s), and connection errors split by whether the start was due while the service was down
  (SIGKILL to ready again) or not.
- **RSS**: VmRSS of the service and the agent every 5 s, per process lifetime (a SIGKILL starts a new
  one): mean of the first five minutes against the last five (thirds of the lifetime when it is
  shorter than ten minutes), and the least-squares slope after the first minute, in MB per minute.
- **Event-loop delay**: prom-client's `nodejs_eventloop_lag_p99_seconds` and `_max_seconds` of the
  service, scraped every 10 s (they reset at each scrape, so each figure covers one 10-s window).
"""

from __future__ import annotations

import statistics
from collections import Counter
from typing import TYPE_CHECKING, Any

import loadgen

if TYPE_CHECKING:
    from soak import Soak

DOWN_GRACE_S = 2.0  # answers to starts due just before the kill arrive as broken connections


def figures(
    soak: Soak,
    result: loadgen.RunResult,
    stored: tuple[set[str], set[str]],
    load: tuple[dict[str, Any], dict[str, Any]],
) -> dict[str, Any]:
    """`stored`: interview and fallback event ids in the database; `load`: the machine before and after."""
    (interviews, events), (before, after) = stored, load
    outcomes = result.outcomes
    acked = [o.body for o in outcomes if o.status == 201 and o.body]
    acked_ids = {b["id"] for b in acked if b.get("id")}
    acked_events = {b["fallbackEventId"] for b in acked if b.get("fallbackEventId")}
    down = [(f["startS"], f["endS"]) for f in soak.faults if f["fault"] == "service_kill"]
    return {
        "minutes": soak.minutes,
        "rate": result.rate,
        "loadBefore": before,
        "loadAfter": after,
        "loadDuring": soak.load,
        "faults": soak.faults,
        "starts": {
            **{k: v for k, v in result.summary().items() if k in ("sent", "ok", "achievedSendRate", "latencyMs")},
            "acknowledged": len(acked),
            "fallbackEventsAcknowledged": len(acked_events),
        },
        "kept": {
            "interviewsMissing": sorted(acked_ids - interviews),
            "fallbackEventsMissing": sorted(acked_events - events),
            "interviewsInDatabase": len(interviews),
            "fallbackEventsInDatabase": len(events),
        },
        "errors": error_classes(outcomes, down),
        "byPhase": by_phase(outcomes, soak.faults),
        "rss": {name: rss_growth([r for r in soak.rss if r["process"] == name]) for name in ("service", "agent")},
        "eventLoopLag": loop_lag(soak.loop),
        "samples": {"rss": soak.rss, "eventLoopLag": soak.loop},
    }


def error_classes(outcomes: list[loadgen.Outcome], down: list[tuple[float, float]]) -> dict[str, int]:
    out: Counter[str] = Counter()
    for o in outcomes:
        if o.status == 201:
            continue
        if o.status is not None:
            out[f"HTTP {o.status} {(o.body or {}).get('code') or ''}".strip()] += 1
        elif o.error == "timeout":
            out["timeout"] += 1
        else:
            while_down = any(a - DOWN_GRACE_S <= o.due <= b for a, b in down)
            out[f"{o.error} ({'while the service was down' if while_down else 'service up'})"] += 1
    return dict(out.most_common())


def by_phase(outcomes: list[loadgen.Outcome], faults: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each fault from its start to 10 s after its end: what the starts due then got."""
    rows = []
    for f in faults:
        during = [o for o in outcomes if f["startS"] <= o.due < f["endS"] + 10]
        lat = sorted(o.latency_ms for o in during)
        rows.append(
            {
                **f,
                "starts": len(during),
                "created": sum(1 for o in during if o.status == 201),
                "fallbacks": sum(1 for o in during if o.status == 201 and (o.body or {}).get("fallbackEventId")),
                "status503": sum(1 for o in during if o.status == 503),
                "timeouts": sum(1 for o in during if o.error == "timeout"),
                "noAnswer": sum(1 for o in during if o.status is None and o.error != "timeout"),
                "p50Ms": loadgen.pct(lat, 50),
                "p99Ms": loadgen.pct(lat, 99),
                "slowerThan1s": sum(1 for v in lat if v > 1000),
                "slowerThan5s": sum(1 for v in lat if v > 5000),
                "status503P99Ms": loadgen.pct(sorted(o.latency_ms for o in during if o.status == 503), 99),
            }
        )
    return rows


def _mean(rows: list[dict[str, Any]]) -> float | None:
    return round(statistics.fmean(r["rssMb"] for r in rows), 1) if rows else None


def slope_mb_per_min(rows: list[dict[str, Any]]) -> float | None:
    if len(rows) < 3:
        return None
    xs, ys = [r["atS"] / 60 for r in rows], [r["rssMb"] for r in rows]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return round(sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den, 3) if den else None


def rss_growth(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for life in sorted({s["life"] for s in samples}):
        rows = [s for s in samples if s["life"] == life]
        begin, end = rows[0]["atS"], rows[-1]["atS"]
        window = 300.0 if end - begin >= 600 else (end - begin) / 3
        first = [r for r in rows if r["atS"] <= begin + window]
        last = [r for r in rows if r["atS"] >= end - window]
        first_mean, last_mean = _mean(first), _mean(last)
        out.append(
            {
                "life": life,
                "fromS": begin,
                "toS": end,
                "windowS": round(window),
                "firstMeanMb": first_mean,
                "lastMeanMb": last_mean,
                "growthMb": None if first_mean is None or last_mean is None else round(last_mean - first_mean, 1),
                "slopeMbPerMinAfterFirstMinute": slope_mb_per_min([r for r in rows if r["atS"] >= begin + 60]),
                "slopeMbPerMinLastWindow": slope_mb_per_min(last),
                "peakMb": max(r["rssMb"] for r in rows),
            }
        )
    return out


def loop_lag(rows: list[dict[str, Any]]) -> dict[str, Any]:
    p99s = sorted(r["p99Ms"] for r in rows if "p99Ms" in r)
    maxes = sorted(r["maxMs"] for r in rows if "maxMs" in r)
    return {
        "windows": len(p99s),
        "p99OfWindowsMs": {
            "median": loadgen.pct(p99s, 50),
            "p95": loadgen.pct(p99s, 95),
            "max": loadgen.pct(p99s, 100),
        },
        "maxMs": loadgen.pct(maxes, 100),
        "windowsWithP99Over100Ms": sum(1 for v in p99s if v > 100),
    }


def _s(value: Any) -> str:
    return "—" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def markdown(r: dict[str, Any]) -> str:
    st, kept, lag = r["starts"], r["kept"], r["eventLoopLag"]
    loads = [x["loadAverage"][0] for x in r["loadDuring"]]
    lines = [
        f"# Soak: {r['minutes']:g} min at {r['rate']:g} starts/s with scheduled faults",
        "",
        f"Started {r['startedAt']}; {r['environment']['cores']} cores ({r['environment']['cpuModel']}), "
        f"Node {r['environment']['node']}. Load average (1 min) before {r['loadBefore']['loadAverage'][0]}, "
        f"during {min(loads, default=0):g}-{max(loads, default=0):g}, after {r['loadAfter']['loadAverage'][0]}. "
        "Other processes busy before: "
        + (", ".join(f"{b['command'][:40]} {b['cpuPercent']}%" for b in r["loadBefore"]["busy"][:4]) or "none"),
        "",
        f"**Starts**: {st['sent']} sent, {st['acknowledged']} acknowledged (201), "
        f"{st['fallbackEventsAcknowledged']} with a fallback event.",
        f"**Kept**: {len(kept['interviewsMissing'])} acknowledged interviews and "
        f"{len(kept['fallbackEventsMissing'])} acknowledged fallback events missing from the database "
        f"({kept['interviewsInDatabase']} interviews, {kept['fallbackEventsInDatabase']} fallback events stored).",
        f"**Event-loop delay** (service, {lag['windows']} windows of 10 s): p99 per window median "
        f"{_s(lag['p99OfWindowsMs']['median'])} ms, p95 {_s(lag['p99OfWindowsMs']['p95'])} ms, worst "
        f"{_s(lag['p99OfWindowsMs']['max'])} ms; max {_s(lag['maxMs'])} ms; {lag['windowsWithP99Over100Ms']} "
        "windows with p99 over 100 ms.",
        "",
        "| fault | at (s) | lasted (s) | starts due (to 10 s after) | 201 | with fallback | 503 (p99 ms) | timeouts "
        "| no answer | p50 / p99 (ms) | > 1 s / > 5 s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for p in r["byPhase"]:
        lines.append(
            f"| {p['fault']} | {p['startS']:g} | {p['endS'] - p['startS']:.1f} | {p['starts']} | {p['created']} "
            f"| {p['fallbacks']} | {p['status503']} ({_s(p.get('status503P99Ms'))}) | {p['timeouts']} "
            f"| {p['noAnswer']} "
            f"| {_s(p['p50Ms'])} / {_s(p['p99Ms'])} | {p.get('slowerThan1s', '—')} / {p.get('slowerThan5s', '—')} |"
        )
    lines += ["", "| errors by class | count |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in r["errors"].items()] or ["| none | 0 |"]
    lines += [
        "",
        "| process | lifetime | from-to (s) | mean first window (MB) | mean last window (MB) | growth (MB) "
        "| slope after 1 min (MB/min) | slope in the last window (MB/min) | peak (MB) |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, lives in r["rss"].items():
        for life in lives:
            lines.append(
                f"| {name} | {life['life']} | {life['fromS']:g}-{life['toS']:g} (windows {life['windowS']} s) "
                f"| {_s(life['firstMeanMb'])} | {_s(life['lastMeanMb'])} | {_s(life['growthMb'])} "
                f"| {_s(life['slopeMbPerMinAfterFirstMinute'])} | {_s(life.get('slopeMbPerMinLastWindow'))} "
                f"| {_s(life['peakMb'])} |"
            )
    return "\n".join(lines) + "\n"

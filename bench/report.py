"""Writes bench/results/latest.json (machine-readable) and latest.md (the tables) from one run's results.

In the JSON an infinite latency (a percentile that falls among timed-out requests) is null.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any


def clean(value: Any) -> Any:
    """inf/nan -> None so the file is strict JSON."""
    if isinstance(value, float) and (math.isinf(value) or math.isnan(value)):
        return None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


def ms(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isinf(v)):
        return "timeout"
    return f"{v:.1f}" if abs(v) < 100 else f"{v:.0f}"


def trio(lat: dict[str, Any]) -> str:
    return " / ".join(ms(lat.get(p)) for p in ("p50", "p95", "p99"))


def waiting(res: dict[str, Any], name: str) -> str:
    r = res.get(name) or {}
    w, wall = r.get("mainThreadRunQueueWaitSeconds"), r.get("wallSeconds")
    return "-" if w is None or not wall else f"{100 * w / wall:.0f}"


def rss(res: dict[str, Any], name: str) -> str:
    r = res.get(name) or {}
    return "-" if r.get("peakRssMb") is None else f"{r['peakRssMb']:.0f}"


def refused_text(run: dict[str, Any]) -> str:
    """How many were refused with 503 + Retry-After, and how fast (none: just 0)."""
    n, lat = run.get("refused", 0), run.get("refusedLatencyMs") or {}
    return f"{n}, {ms(lat.get('p99'))} / {ms(lat.get('max'))}" if n else "0"


def added_table(rows: list[dict[str, Any]]) -> list[str]:
    out = [
        "| rate (req/s) | sent rate base/svc | baseline p50 / p95 / p99 (ms) | Modelwatch p50 / p95 / p99 (ms) "
        "| **added** p50 / p95 / p99 (ms) | errors+timeouts+503 refused base / svc "
        "| CPU ms per start: svc / agent / sim / loadgen "
        "| peak RSS MB: svc / agent / sim | svc event-loop delay p99 / max (ms) | main thread waiting for a CPU, % "
        "of time: svc / agent |",
        "|---:|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        b, s = r["baseline"], r["service"]
        res = s["resources"]
        lag = s.get("serviceEventLoopLag") or {}
        out.append(
            f"| {r['rate']:g}{' (saturated)' if r.get('baselineSaturated') else ''} | {b['achievedSendRate']} / "
            f"{s['achievedSendRate']} | {trio(b['latencyMs'])} | {trio(s['latencyMs'])} "
            f"| **{trio(r['addedMs'])}** | {b['errors']}+{b['timeouts']}+{b.get('refused', 0)} / "
            f"{s['errors']}+{s['timeouts']}+{s.get('refused', 0)} "
            f"| {per_start(s, 'service')} / {per_start(s, 'agent')} / {per_start(s, 'simulator')} / "
            f"{per_start(s, 'loadgen')} "
            f"| {rss(res, 'service')} / {rss(res, 'agent')} / {rss(res, 'simulator')} | {ms(lag.get('p99Ms'))} / "
            f"{ms(lag.get('maxMs'))} "
            f"| {waiting(res, 'service')} / {waiting(res, 'agent')} |"
        )
    out.append("")
    out.append(
        "Baseline, CPU ms per start (agent / sim / loadgen): "
        + "; ".join(
            f"{r['rate']:g} req/s: {per_start(r['baseline'], 'agent')} / {per_start(r['baseline'], 'simulator')} / "
            f"{per_start(r['baseline'], 'loadgen')}"
            for r in rows
        )
        + "."
    )
    out.append(
        "Modelwatch, answered (201) p99 | refused at once (503 overloaded + Retry-After) count, p99 / max (ms): "
        + "; ".join(
            f"{r['rate']:g} req/s: {ms((r['service'].get('answeredLatencyMs') or {}).get('p99'))} | "
            f"{refused_text(r['service'])}"
            for r in rows
        )
        + "."
    )
    out.append(
        "Load generator lateness p99 / max (ms), baseline | Modelwatch (included in the latencies above): "
        + "; ".join(
            f"{r['rate']:g} req/s: {ms(r['baseline']['generatorLateMs']['p99'])} / "
            f"{ms(r['baseline']['generatorLateMs']['max'])} | "
            f"{ms(r['service']['generatorLateMs']['p99'])} / {ms(r['service']['generatorLateMs']['max'])}"
            for r in rows
        )
        + "."
    )
    return out


def storage_lines(storage: dict[str, Any] | None) -> list[str]:
    if not storage:
        return []
    out = [
        "",
        "**What synchronous=FULL costs.** One interview record = one SQLite transaction, committed synchronously "
        "on the event loop (better-sqlite3). Per-commit time of the service's INSERT, 500 commits in a row "
        "(bench/sqlite_commit.mjs):",
        "",
        "| DATA_DIR | synchronous | mean (ms) | p50 (ms) | p99 (ms) | max (ms) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for label, rows in (("disk", storage.get("commitDisk") or []), ("/dev/shm", storage.get("commitTmpfs") or [])):
        for c in rows:
            out.append(
                f"| {label} ({c.get('fsType')}) | {c.get('synchronous')} | {c.get('meanMs')} | {c.get('p50Ms')} | "
                f"{c.get('p99Ms')} | {c.get('maxMs')} |"
            )
    if "disk" not in storage:
        return [*out, "", "(end-to-end disk vs tmpfs comparison not run in --quick)"]
    out += [
        "",
        f"End to end: two services at once, DATA_DIR on disk vs on tmpfs, {storage['rate']:g} req/s each, "
        "alternating slices:",
        "",
        "| DATA_DIR | Modelwatch p50 / p95 / p99 (ms) | errors+timeouts | service CPU ms per start | event-loop "
        "delay p99 / max (ms) |",
        "|---|---|---|---:|---|",
    ]
    for label, run, name in (("disk", storage["disk"], "service"), ("/dev/shm", storage["tmpfs"], "service-tmpfs")):
        lag = run.get("serviceEventLoopLag") or {}
        out.append(
            f"| {label} | {trio(run['latencyMs'])} | {run['errors']}+{run['timeouts']} | {per_start(run, name)} "
            f"| {ms(lag.get('p99Ms'))} / {ms(lag.get('maxMs'))} |"
        )
    return out


def per_start(run: dict[str, Any], name: str) -> str:
    c = (run["resources"].get(name) or {}).get("cpuSeconds")
    return "-" if c is None or not run["sent"] else f"{1000 * c / run['sent']:.2f}"


def detect_table(variants: list[dict[str, Any]]) -> list[str]:
    out = [
        "| probes (healthy / unhealthy interval) | detect (s) | recover after restore (s) | starts during outage "
        "| failed (non-201) | landed on broken model | runtime failovers | served by (during) | start p99 before / "
        "during (ms) |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for v in variants:
        p = v["probes"] or {}
        sched = f"{p.get('intervalSeconds', 10):g} s / {p.get('unhealthyIntervalSeconds', 5):g} s" + (
            " (defaults)" if not p else ""
        )
        d = v["phases"]["during"]
        served = ", ".join(f"{k} {n}" for k, n in d["servedBy"].items())
        out.append(
            f"| {sched} | {v['detectSeconds']} | {v['recoverSeconds']} | {d['starts']} | {d['failed']} | "
            f"{d['landedOnBrokenModel']} "
            f"| {d['runtimeFailovers']} | {served} | {ms(v['phases']['before']['latencyMs']['p99'])} / "
            f"{ms(d['latencyMs']['p99'])} |"
        )
    return out


def probe_table(pc: dict[str, Any] | None) -> list[str]:
    if not pc:
        return ["(not measured)"]
    out = [
        f"Probe: \"{pc['prompt']}\", max_tokens={pc['maxTokens']}, every {pc['intervalSeconds']:g} s while healthy. "
        f"{pc['note']}",
        "",
        "| model | input / output tokens per probe | tokens per day | est. USD per day |",
        "|---|---|---:|---:|",
    ]
    for m in pc["models"]:
        usd = "-" if m["estimatedUsdPerDay"] is None else f"{m['estimatedUsdPerDay']:.4f}"
        out.append(
            f"| {m['model']} | {m['inputTokensPerProbe']} / {m['outputTokensPerProbe']} | {m['tokensPerDay']} | {usd} |"
        )
    return out


def health_engine_lines(he: dict[str, Any] | None) -> list[str]:
    if not he or "recordNs" not in he:
        return [f"(not available: {(he or {}).get('missing', 'no results')})"]
    s = he.get("setup", {})

    def ns(d: dict[str, Any], k: str) -> str:
        return "-" if d.get(k) is None else f"{d[k] / 1000:.2f}"

    out = [
        f"{he.get('source', '')} {s.get('models')} models × {s.get('samplesPerModel')} samples (full windows), "
        f"Node {he.get('node')}, load {(he.get('loadAverage') or {}).get('before')}.",
        "",
        "| operation | mean wall (µs) | mean CPU (µs) | p50 (µs) | p99 (µs) | p99.9 (µs) | max (µs) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, key in (
        ("record() one sample", "recordNs"),
        ("snapshot() one model", "snapshotNs"),
        ("tick() all models", "tickNs"),
    ):
        d = he.get(key) or {}
        out.append(
            f"| {label} | {ns(d, 'meanWallNs')} | {ns(d, 'meanCpuNs')} | {ns(d, 'p50Ns')} | {ns(d, 'p99Ns')} | "
            f"{ns(d, 'p999Ns')} | {ns(d, 'maxNs')} |"
        )
    mem = he.get("memory") or {}
    if mem:
        out += [
            "",
            f"Memory per model: {mem.get('perModelBytes')} bytes measured ({mem.get('designedPerModelBytes')} by "
            "design).",
        ]
    return out


def simulator_lines(runs: list[dict[str, Any]]) -> list[str]:
    if not runs:
        return ["(bench/simulator_throughput.py not found)"]
    out = [
        "| mode | concurrency | throughput (req/s) | errors | latency p50 / p95 / p99 (ms) | simulator CPU per "
        "request (ms) "
        "| ≈ req/s per free core |",
        "|---|---:|---:|---:|---|---:|---:|",
    ]
    for r in runs:
        out.append(
            f"| {r['mode']} | {r.get('concurrency')} | {r.get('throughput')} | {r.get('errors')} | "
            f"{r.get('p50')} / {r.get('p95')} / {r.get('p99')} | {r.get('cpuMsPerRequest')} | "
            f"{r.get('reqPerSecPerCore')} |"
        )
    return out


def meta_lines(meta: dict[str, Any]) -> list[str]:
    env = meta["environment"]
    busy = (
        "; ".join(f"{b['command'][:60]} ({b['cpuPercent']}%)" for b in meta.get("busyBefore", []))
        or "nothing above 3% of a core"
    )
    busy_after = (
        "; ".join(f"{b['command'][:60]} ({b['cpuPercent']}%)" for b in meta.get("busyAfter", []))
        or "nothing above 3% of a core"
    )
    parts = ", ".join(f"{k} {v:g} s" for k, v in (meta.get("partSeconds") or {}).items())
    return [
        f"Run {meta['date']} ({'--quick' if meta['quick'] else 'full'}, {meta['durationS']:.0f} s: {parts}). "
        f"{env['cores']} cores ({env['cpuModel']}), Node {env['node']}, Python {env['python']}, kernel "
        f"{env['kernel']}.",
        f"Load average before {meta['loadAverage']['before']}, after {meta['loadAverage']['after']}.",
        f"Other processes busy before the run: {busy}. After: {busy_after}.",
        f"Load generator: {meta['generator']}. Everything (simulator, agent, service, generator) shares these cores.",
    ]


def markdown(r: dict[str, Any]) -> str:
    al = r.get("addedLatency") or {}
    rows = al.get("rows", [])
    lines = [
        "# Modelwatch benchmarks",
        "",
        *meta_lines(r["meta"]),
        "",
        "## 1. Added latency (open loop, constant arrival rate)",
        "",
        f"POST /v1/interviews, primary {al.get('primary')}, simulator fixed {al.get('simulator')}; baseline = same "
        "load straight "
        f"to the agent's POST /v1/interviews. {al.get('durationS')} s per run; latency from each request's scheduled "
        "send time. "
        "Probes run on the default schedule (10 s) during the load.",
        "",
        *added_table(rows),
        *storage_lines(al.get("storage")),
        "",
        f"Goal: p99 added ≤ 10 ms at 100 req/s: **{al.get('goal', 'not measured')}**.",
        f"Goal at 200 req/s (0 timeouts; answered p99 ≤ 1 s or refused at once): "
        f"**{al.get('overloadGoal', 'not measured')}**.",
        f"Service CPU per start (requests refused with 503 included in the count): **{al.get('cpuGoal', '-')}**.",
        "",
        "## 2. Time to detect and recover",
        "",
        f"Interviews at {detect_rate(r)} req/s, primary openai:gpt-4o, no fallbacks given; the simulator fails every "
        "call "
        "to it (HTTP 500); the verdict is polled every 100 ms.",
        "",
        *detect_table(r.get("detectRecover", [])),
        "",
        "## 3. Health engine (service/bench/health-engine.bench.ts)",
        "",
        *health_engine_lines(r.get("healthEngine")),
        "",
        "## 4. Probe cost",
        "",
        *probe_table(r.get("probeCost")),
        "",
        "## 5. Simulator throughput (bench/simulator_throughput.py, closed loop, no simulated delay)",
        "",
        *simulator_lines(r.get("simulatorThroughput", [])),
        "",
    ]
    return "\n".join(lines)


def detect_rate(r: dict[str, Any]) -> str:
    v = r.get("detectRecover") or [{}]
    return f"{v[0].get('rate', '?'):g}" if v and isinstance(v[0].get("rate"), (int, float)) else "?"


def write(results: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    md = markdown(results)
    json_path, md_path = out_dir / "latest.json", out_dir / "latest.md"
    json_path.write_text(json.dumps(clean(results), indent=2, allow_nan=False) + "\n")
    md_path.write_text(md)
    return json_path, md_path

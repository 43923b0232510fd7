"""bench/results/scale.md from scale.json: one section per labelled run (e.g. before and after a change)."""

from __future__ import annotations

from typing import Any

TOP_LATENESS_MS = 10_000  # the highest finite bucket of modelwatch_probe_lateness_seconds


def _v(x: Any, unit: str = "") -> str:
    return "n/a" if x is None else f"{x:g}{unit}" if isinstance(x, (int, float)) else str(x)


def _median(xs: list[float]) -> float | None:
    xs = sorted(xs)
    return xs[len(xs) // 2] if xs else None


def size_row(s: dict[str, Any]) -> str:
    scrapes = s["metrics"]
    res = s["resources"]
    late = s.get("lateness") or {}
    skipped = ", ".join(f"{k} {v}" for k, v in sorted(s["skipped"].items()) if v) or "0"

    def cpu(name: str) -> str:
        return _v((res.get(name) or {}).get("cpuPercentOfOneCore"), " %")

    def per_probe(name: str) -> str:
        seconds = (res.get(name) or {}).get("cpuSeconds")
        return "n/a" if seconds is None or not s["probesDone"] else f"{1000 * seconds / s['probesDone']:.1f}"

    def lateness(key: str) -> str:
        v = late.get(key)
        # At the top bucket bound (10 s) the histogram only says "at least".
        return f">= {v:g} ms" if v is not None and v >= TOP_LATENESS_MS else _v(v, " ms")

    return (
        f"| {s['models']} | {s['probesDone']} / {s['probesExpected']} | {lateness('p50Ms')} / "
        f"{lateness('p99Ms')} | {skipped} | {s['degradedMax']} / {s['unhealthyMax']} | "
        f"{_v((s['healthMs'] or {}).get('p50'), ' ms')} / {_v((s['healthMs'] or {}).get('max'), ' ms')} | "
        f"{_v(_median([m['ms'] for m in scrapes]), ' ms')} / {_v(max((m['ms'] for m in scrapes), default=None), ' ms')}"
        f" | {_v(round(scrapes[-1]['bytes'] / 1e6, 2), ' MB')} | {scrapes[-1]['series']} | "
        f"{_v(s['peakRssMb'], ' MB')} | {cpu('service')} | {cpu('agent')} | {cpu('simulator')} | "
        f"{per_probe('service')} / {per_probe('agent')} |"
    )


def states_line(s: dict[str, Any]) -> str:
    parts = []
    for h in s["health"][:: max(1, len(s["health"]) // 12)]:
        counts = " ".join(f"{k} {v}" for k, v in sorted(h["states"].items()))
        parts.append(f"{h['t']} s: {counts}")
    return "; ".join(parts)


def burst_lines(sizes: list[dict[str, Any]]) -> list[str]:
    """The back-to-back /v1/health reads after each count's window (runs since they were added)."""
    parts = [
        f"{s['models']} models: {b['reads']} reads p50 {b['p50Ms']:g} ms, max {b['maxMs']:g} ms, "
        f"service CPU {_v(b['serviceCpuMsPerRead'], ' ms')} per read"
        for s in sizes
        if (b := s.get("healthBurst"))
    ]
    return ["GET /v1/health back to back after the window: " + "; ".join(parts) + ".", ""] if parts else []


def run_section(label: str, run: dict[str, Any]) -> list[str]:
    meta = run["meta"]
    env = meta["environment"]
    busy = "; ".join(f"{b['command'][:50]} ({b['cpuPercent']} %)" for b in meta.get("busyBefore", [])) or "none"
    lines = [
        f"## {label}",
        "",
        f"Run {meta['date']}: {env['cores']} cores ({env['cpuModel']}), Node {env['node']}, Python {env['python']}. "
        f"Load average before {meta['loadAverage']['before']}, after {meta['loadAverage']['after']}. "
        f"Busy before the run (other helpers' work included): {busy}.",
        "",
        "| models | probes done / expected | lateness p50 / p99 | skipped | max degraded / unhealthy | "
        "/v1/health p50 / max | /metrics median / max | /metrics size | series | service peak RSS | "
        "CPU service | CPU agent | CPU simulator | CPU ms per probe done: service / agent |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        *(size_row(s) for s in run["sizes"]),
        "",
        *burst_lines(run["sizes"]),
        "Models per state over time (largest count):",
        "",
        states_line(run["sizes"][-1]),
        "",
    ]
    return lines


def markdown(runs: dict[str, dict[str, Any]]) -> str:
    lines = [
        "# Scale: many registered models, probes only (bench/scale.py)",
        "",
        "Every model on the simulator (150 ms per call), default probe plan (every 10 s + up to 1 s jitter), no "
        "interview traffic. Probes expected = models x window / (10 s + 0.5 s mean jitter + mean probe "
        "duration). Lateness: due time to dispatch (modelwatch_probe_lateness_seconds; n/a where the service "
        "had no such metric). CPU in % of one core over the measured window; per probe = that CPU over the probes "
        "done (the service's includes serving the bench's /metrics and /v1/health reads). Latencies are wall-clock "
        "on a shared, noisy 2-core machine; CPU figures are the sturdier ones.",
        "",
    ]
    for label, run in runs.items():
        lines += run_section(label, run)
    return "\n".join(lines)

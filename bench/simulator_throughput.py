"""How many requests per second the simulator serves with no simulated delay.

    .venv/bin/python bench/simulator_throughput.py [--concurrency 32] [--duration 5] [--stream]
        [--provider openai|anthropic] [--url http://127.0.0.1:8010]

Closed loop on purpose: this measures the simulator's ceiling, so that benchmarks of Modelwatch
(open loop, fixed rate) can check they stay well below it. Without --url it starts its own
simulator (port 0, through bench/processes.py). The client shares the machine's cores, so the figure is a lower bound.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import processes
from resources import cpu_seconds

MODEL = "bench-model"
MAX_DURATION_S = 60
MAX_CONCURRENCY = 1000


def request_for(provider: str, stream: bool) -> tuple[str, dict, dict]:
    if provider == "openai":
        body = {
            "model": MODEL,
            "messages": [{"role": "user", "content": "Reply with: ok"}],
            "max_tokens": 1,
            "stream": stream,
            **({"stream_options": {"include_usage": True}} if stream else {}),
        }
        return "/v1/chat/completions", body, {"Authorization": "Bearer bench"}
    body = {
        "model": MODEL,
        "messages": [{"role": "user", "content": "Reply with: ok"}],
        "max_tokens": 1,
        "stream": stream,
    }
    return "/v1/messages", body, {"x-api-key": "bench", "anthropic-version": "2023-06-01"}


async def worker(
    client: httpx.AsyncClient,
    path: str,
    body: dict,
    headers: dict,
    *,
    until: float,
    latencies: list[float],
    errors: list[str],
) -> None:
    while time.monotonic() < until:
        start = time.monotonic()
        try:
            response = await client.post(path, json=body, headers=headers)
            if response.status_code != 200:
                errors.append(str(response.status_code))
                continue
            latencies.append(time.monotonic() - start)
        except httpx.HTTPError as exc:
            errors.append(type(exc).__name__)


async def run(url: str, args: argparse.Namespace, pid: int | None = None) -> None:
    path, body, headers = request_for(args.provider, args.stream)
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=10) as client:
        settings = {"latencyMs": 0, "ttftMs": 0, "jitterMs": 0}
        (await client.put(f"/admin/models/{MODEL}", json=settings)).raise_for_status()
        latencies: list[float] = []
        errors: list[str] = []
        cpu_before = None if pid is None else cpu_seconds(pid)
        started = time.monotonic()
        until = started + args.duration
        await asyncio.gather(
            *(
                worker(client, path, body, headers, until=until, latencies=latencies, errors=errors)
                for _ in range(args.concurrency)
            )
        )
        elapsed = time.monotonic() - started
        cpu_after = None if pid is None else cpu_seconds(pid)
    report(args, latencies, errors, elapsed)
    if cpu_before is not None and cpu_after is not None and latencies:
        per_request_ms = (cpu_after - cpu_before) * 1000 / (len(latencies) + len(errors))
        print(
            f"simulator cpu={per_request_ms:.3f}ms per request "
            f"(about {1000 / per_request_ms:.0f} req/s per fully available core)"
        )


def report(args: argparse.Namespace, latencies: list[float], errors: list[str], elapsed: float) -> None:
    mode = "stream" if args.stream else "plain"
    print(
        f"provider={args.provider} mode={mode} concurrency={args.concurrency} duration={elapsed:.1f}s "
        f"cores={os.cpu_count()} load={os.getloadavg()[0]:.2f}"
    )
    print(f"requests={len(latencies)} errors={len(errors)} throughput={len(latencies) / elapsed:.0f} req/s")
    if len(latencies) >= 2:
        q = statistics.quantiles(latencies, n=100)
        print(f"latency p50={q[49] * 1000:.1f}ms p95={q[94] * 1000:.1f}ms p99={q[98] * 1000:.1f}ms")
    if errors:
        print(f"error kinds: {sorted(set(errors))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="an already running simulator (default: start one)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--provider", choices=["openai", "anthropic"], default="openai")
    parser.add_argument("--stream", action="store_true")
    args = parser.parse_args()
    args.duration = min(max(args.duration, 0.5), MAX_DURATION_S)
    args.concurrency = min(max(args.concurrency, 1), MAX_CONCURRENCY)
    if args.url:
        asyncio.run(run(args.url, args))
        return
    with tempfile.TemporaryDirectory() as tmp:
        process = processes.simulator(Path(tmp), log_level="info")  # as it runs under the tests and `make run`
        try:
            asyncio.run(run(process.url, args, process.pid))
        finally:
            process.stop()


if __name__ == "__main__":
    main()

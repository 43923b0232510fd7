"""One real stack for the hardening tests: simulator, agent and service as processes, session-scoped.

Every process takes port 0 and logs the port it bound, so concurrent runs never collide. The stack is
set up the way the secrets test needs it and the others can live with: a canary API key in the agent's
environment (the simulator accepts any key), a canary MODELWATCH_API_TOKEN on the service, and OTLP
export from both to an in-test receiver. Output goes to files (a full pipe would block a process).
"""

from __future__ import annotations

import gzip
import json
import os
import secrets
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
PYTHON = REPO / ".venv" / "bin" / "python"
# MODELWATCH_SERVICE_MAIN runs the same tests against another build (e.g. one with a fix to try).
SERVICE_MAIN = Path(os.environ.get("MODELWATCH_SERVICE_MAIN") or REPO / "service" / "dist" / "main.js")
START_DEADLINE_S = 30.0
KEY_VARIABLE = "MW_HARDENING_API_KEY"  # the agent's key variable for the simulator providers
UNSET_KEY_VARIABLE = "MW_HARDENING_UNSET_API_KEY"  # named by one provider, set nowhere: `auth` failures

MODELS = ("openai:gpt-4o", "openai:gpt-4o-mini", "anthropic:claude-sonnet-4", "nokey:gpt-4o")

T = TypeVar("T")


def wait_for(what: str, check: Callable[[], T | None], timeout_s: float = 20.0, every_s: float = 0.05) -> T:
    """Polls `check` until it returns something truthy; fails naming `what` after the deadline."""
    deadline = time.monotonic() + timeout_s
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except Exception as exc:  # the last one is reported
            last_error = exc
        time.sleep(every_s)
    raise TimeoutError(
        f"timed out after {timeout_s} s waiting for {what}" + (f": {last_error!r}" if last_error else "")
    )


@dataclass
class Proc:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    url: str = ""

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def output_bytes(self) -> bytes:
        return self.log_path.read_bytes()

    def alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.output()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def _logged_port(line: str) -> int | None:
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    if not isinstance(entry, dict) or "port" not in entry:
        return None
    if "listening" in (entry.get("message"), entry.get("msg")) or entry.get("event") == "started":
        return int(entry["port"])
    return None


def start_process(name: str, argv: list[str], env: dict[str, str], log_path: Path) -> Proc:
    """Starts a process that binds port 0 and logs the port; returns once /healthz answers 200."""
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(argv, cwd=REPO, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    proc = Proc(name, process, log_path)
    try:
        deadline = START_DEADLINE_S

        def logged_port() -> int | None:
            proc.alive()
            return next(filter(None, map(_logged_port, proc.output().splitlines())), None)

        port = wait_for(f"{name} to log its port", logged_port, deadline)
        proc.url = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            proc.alive()
            return httpx.get(proc.url + "/healthz", timeout=1.0).status_code == 200

        wait_for(f"{name} /healthz", healthy, deadline)
    except BaseException:
        proc.stop()
        raise
    return proc


def base_env(**overrides: str) -> dict[str, str]:
    """The current environment minus what would change the processes under test."""
    prefixes = (
        "OTEL_",
        "AGENT_",
        "SIMULATOR_",
        "SCENARIO",
        "SERVICE_",
        "MODELWATCH_",
        "CONFIG",
        "DATA_DIR",
        "LOG_LEVEL",
        "MW_",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(overrides)
    return env


class OtlpReceiver:
    """A tiny OTLP/HTTP receiver: keeps the raw body of every POST /v1/traces (JSON or protobuf)."""

    def __init__(self) -> None:
        self.bodies: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self._body()
                content_type = self.headers.get("content-type", "")
                if self.path == "/v1/traces":
                    with receiver._lock:
                        receiver.bodies.append((content_type, body))
                is_json = "json" in content_type
                reply = b"{}" if is_json else b""
                self.send_response(200)
                self.send_header("content-type", "application/json" if is_json else "application/x-protobuf")
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def _body(self) -> bytes:
                # Node's exporter streams its body (chunked); Python's sends a content-length. Either may gzip.
                if "chunked" in self.headers.get("transfer-encoding", "").lower():
                    body = b""
                    while (size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)) > 0:
                        body += self.rfile.read(size)
                        self.rfile.readline()
                    self.rfile.readline()
                else:
                    body = self.rfile.read(int(self.headers.get("content-length") or 0))
                if self.headers.get("content-encoding", "").lower() == "gzip":
                    body = gzip.decompress(body)
                return body

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def payloads(self) -> list[bytes]:
        with self._lock:
            return [body for _, body in self.bodies]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Stack:
    simulator: Proc
    agent: Proc
    service: Proc
    receiver: OtlpReceiver
    canary_key: str
    token: str
    agent_token: str
    responses: list[httpx.Response] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.service.url

    def auth(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}

    def client(self, **kwargs: Any) -> httpx.Client:
        """An httpx client on the service that keeps every response for the leak checks."""
        return httpx.Client(base_url=self.url, timeout=30.0, event_hooks={"response": [self._keep]}, **kwargs)

    def _keep(self, response: httpx.Response) -> None:
        response.read()
        self.responses.append(response)

    def sim(self, model: str, **settings: Any) -> None:
        res = httpx.put(f"{self.simulator.url}/admin/models/{model}", json=settings, timeout=5)
        assert res.status_code == 200, res.text

    def sim_reset(self) -> None:
        assert httpx.post(f"{self.simulator.url}/admin/reset", timeout=5).status_code == 200


def config_text(simulator_url: str) -> str:
    return f"""
providers:
  openai: {{ kind: openai, baseUrl: "{simulator_url}/v1", apiKeyEnv: {KEY_VARIABLE} }}
  anthropic: {{ kind: anthropic, baseUrl: "{simulator_url}", apiKeyEnv: {KEY_VARIABLE} }}
  nokey: {{ kind: openai_compatible, baseUrl: "{simulator_url}/v1", apiKeyEnv: {UNSET_KEY_VARIABLE} }}
models:
  - {{ id: "openai:gpt-4o", tier: flagship, pricing: {{ inputPerMillion: 2.5, outputPerMillion: 10 }} }}
  - {{ id: "openai:gpt-4o-mini", tier: small }}
  - {{ id: "anthropic:claude-sonnet-4", tier: flagship }}
  - {{ id: "nokey:gpt-4o", tier: spare }}
probes: {{ intervalSeconds: 2, unhealthyIntervalSeconds: 2, jitterSeconds: 0, timeoutSeconds: 3 }}
interviews: {{ deadlineSeconds: 8, attemptTimeoutSeconds: 4 }}
"""


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not SERVICE_MAIN.exists():
        pytest.fail("service/dist/main.js is missing: run `make build`")
    tmp = tmp_path_factory.mktemp("hardening")
    canary_key = f"sk-canary-{secrets.token_hex(12)}"
    token = f"mw-token-canary-{secrets.token_hex(12)}"
    agent_token = f"mw-agent-token-canary-{secrets.token_hex(12)}"
    receiver = OtlpReceiver()
    otel = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, "OTEL_BSP_SCHEDULE_DELAY": "200"}
    started: list[Proc] = []
    try:
        simulator = start_process(
            "simulator",
            [str(PYTHON), "-m", "simulator"],
            base_env(SIMULATOR_PORT="0", SCENARIO="none", LOG_LEVEL="info"),
            tmp / "simulator.log",
        )
        started.append(simulator)
        config = tmp / "config.yaml"
        config.write_text(config_text(simulator.url))
        agent = start_process(
            "agent",
            [str(PYTHON), "-m", "agent"],
            # DEBUG: the most verbose logs must not carry the key either.
            base_env(
                AGENT_PORT="0",
                LOG_LEVEL="DEBUG",
                OTEL_SERVICE_NAME="modelwatch-agent",
                CONFIG=str(config),
                MODELWATCH_AGENT_TOKEN=agent_token,
                **otel,
                **{KEY_VARIABLE: canary_key},
            ),
            tmp / "agent.log",
        )
        started.append(agent)
        service = start_process(
            "service",
            ["node", str(SERVICE_MAIN)],
            base_env(
                SERVICE_PORT="0",
                AGENT_URL=agent.url,
                CONFIG=str(config),
                DATA_DIR=str(tmp / "data"),
                LOG_LEVEL="debug",
                MODELWATCH_API_TOKEN=token,
                MODELWATCH_AGENT_TOKEN=agent_token,
                SHUTDOWN_GRACE_SECONDS="2",
                OTEL_SERVICE_NAME="modelwatch-service",
                **otel,
            ),
            tmp / "service.log",
        )
        started.append(service)
        yield Stack(simulator, agent, service, receiver, canary_key, token, agent_token)
    finally:
        for proc in reversed(started):
            proc.stop()
        receiver.close()


@pytest.fixture
def stack_reset(stack: Stack) -> Iterator[Stack]:
    """The stack with the simulator back to defaults before and after the test."""
    stack.sim_reset()
    yield stack
    stack.sim_reset()


def metric_series(text: str, prefix: str = "modelwatch_") -> set[str]:
    """The series (name and labels, no value) of a Prometheus text exposition that start with `prefix`."""
    series = set()
    for line in text.splitlines():
        if not line or line.startswith("#") or not line.startswith(prefix):
            continue
        name_and_labels = line.split("}", 1)[0] + "}" if "{" in line else line.split(" ", 1)[0]
        series.add(name_and_labels)
    return series


def assert_clear_4xx(
    res: httpx.Response, status: int | tuple[int, ...] | None = None, code: str | None = None
) -> dict[str, Any]:
    """A 4xx with the API's error shape {"error": {code, message, details}} and no stack trace."""
    what = f"{res.request.method} {str(res.request.url)[:120]} -> {res.status_code} {res.text[:300]!r}"
    if status is not None:
        assert res.status_code in ((status,) if isinstance(status, int) else status), what
    assert 400 <= res.status_code < 500, what
    assert res.headers.get("content-type", "").startswith("application/json"), what
    body = res.json()
    assert isinstance(body, dict) and set(body) == {"error"}, what
    error = body["error"]
    assert isinstance(error.get("code"), str) and error["code"], what
    assert isinstance(error.get("message"), str) and error["message"], what
    assert isinstance(error.get("details"), dict), what
    if code is not None:
        assert error["code"] == code, what
    assert "    at " not in res.text and ".js:" not in res.text and ".ts:" not in res.text, what
    return error

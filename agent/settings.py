"""The agent's configuration: the one place that reads the environment.

Everything is read once at start-up by `load_settings`, validated with precise messages, and passed down.
The single exception is API keys: `read_api_key` reads a key by variable name at call time, so a key is
never copied into a settings object, a log line or a repr.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

# Only variables named as API keys: the agent must not be talked into sending HOME or a database
# password to whatever base URL a request names.
API_KEY_ENV_PATTERN = r"^[A-Z][A-Z0-9_]*_API_KEY$"
_API_KEY_ENV_RE = re.compile(API_KEY_ENV_PATTERN)

DEFAULT_HOST = "127.0.0.1"
# The same file and default as the service (CONFIG): the agent reads its providers section.
DEFAULT_CONFIG_FILE = "config/demo.yaml"
TOKEN_VARIABLE = "MODELWATCH_AGENT_TOKEN"
MIN_TOKEN_CHARS = 16
# Names the agent always answers to: a DNS-rebinding page reaches it under its own name, never these.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
DEFAULT_PORT = 8000
DEFAULT_SERVICE_NAME = "modelwatch-agent"
# Back-pressure (issue 15): calls in flight at once, over the whole agent and per model. Beyond either,
# a call is refused at once (HTTP 503 `overloaded`, Retry-After) before any provider is called.
# Sizing: 100 starts/s at ~3 s per call at worst is ~300 calls; a model's share of that is 64 at most
# (issue 11's bulkhead: hung gpt-4o calls cannot take every slot from its fallbacks).
DEFAULT_MAX_CALLS = 512
DEFAULT_MAX_CALLS_PER_MODEL = 64
MAX_CALLS_LIMIT = 100_000
# What a refused caller is told to wait (Retry-After, seconds): a call slot frees up within a call's time.
RETRY_AFTER_S = 1
MAX_WORKERS = 64
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# OTEL_TRACES_EXPORTER values we honour; "console" would write spans into our JSON-lines stdout.
_TRACES_EXPORTERS = ("otlp", "none")


class SettingsError(ValueError):
    """An environment variable has a value the agent cannot run with; the message names it."""


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    log_level: str
    service_name: str
    # True only when an OTLP endpoint is configured, the exporter is not "none" and the SDK is not disabled.
    export_traces: bool
    config_file: str = DEFAULT_CONFIG_FILE
    # Host header values the agent answers (lowercase, no port): loopback names plus AGENT_ALLOWED_HOSTS.
    allowed_hosts: frozenset[str] = frozenset(LOOPBACK_HOSTS)
    # The shared secret the service sends; kept out of repr so it never reaches a log line.
    token: str = field(default="", repr=False)
    # Worker processes sharing one listening socket (AGENT_WORKERS); 1 serves from the main process.
    workers: int = 1
    max_calls: int = DEFAULT_MAX_CALLS
    max_calls_per_model: int = DEFAULT_MAX_CALLS_PER_MODEL


def default_workers(cpu_count: int | None = None) -> int:
    """Half the cores, at least 1: the agent shares the machine with the service (and in the demo the
    simulator), and on 2 cores a second Python worker only adds contention. 4 cores give 2 workers."""
    cores = cpu_count if cpu_count is not None else _usable_cores()
    return max(1, min(MAX_WORKERS, cores // 2))


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Reads and validates the agent's variables; raises SettingsError naming the first bad one."""
    env = os.environ if environ is None else environ
    return Settings(
        host=_host(env),
        port=_port(env),
        log_level=_log_level(env),
        service_name=env.get("OTEL_SERVICE_NAME", "").strip() or DEFAULT_SERVICE_NAME,
        export_traces=_export_traces(env),
        config_file=env.get("CONFIG", "").strip() or DEFAULT_CONFIG_FILE,
        allowed_hosts=_allowed_hosts(env),
        token=_token(env),
        workers=_count(env, "AGENT_WORKERS", default_workers(), MAX_WORKERS),
        max_calls=_count(env, "AGENT_MAX_CALLS", DEFAULT_MAX_CALLS, MAX_CALLS_LIMIT),
        max_calls_per_model=_count(env, "AGENT_MAX_CALLS_PER_MODEL", DEFAULT_MAX_CALLS_PER_MODEL, MAX_CALLS_LIMIT),
    )


def read_api_key(variable: str) -> str | None:
    """The API key held by `variable`, or None when it is unset or empty. Read at call time on purpose."""
    if not _API_KEY_ENV_RE.match(variable):
        raise ValueError("API key variable names must match " + API_KEY_ENV_PATTERN)
    return os.environ.get(variable) or None


def _host(env: Mapping[str, str]) -> str:
    host = env.get("AGENT_HOST", DEFAULT_HOST).strip()
    if not host:
        raise SettingsError("AGENT_HOST must not be empty")
    return host


def _token(env: Mapping[str, str]) -> str:
    token = env.get(TOKEN_VARIABLE, "").strip()
    if len(token) < MIN_TOKEN_CHARS:
        raise SettingsError(
            f"{TOKEN_VARIABLE} must be set to a shared secret of at least {MIN_TOKEN_CHARS} characters "
            "(the service sends it on every call)"
        )
    return token


def _allowed_hosts(env: Mapping[str, str]) -> frozenset[str]:
    """Loopback names, the listen address if it is a name or a specific address, and AGENT_ALLOWED_HOSTS."""
    extra = [name.strip().lower() for name in env.get("AGENT_ALLOWED_HOSTS", "").split(",") if name.strip()]
    for name in extra:
        if not re.fullmatch(r"[a-z0-9.:_-]+", name):
            raise SettingsError(f"AGENT_ALLOWED_HOSTS must be a comma-separated list of host names, got {name!r}")
    listen = _host(env).lower()
    own = [] if listen in ("0.0.0.0", "::") else [listen]
    return frozenset([*LOOPBACK_HOSTS, *own, *extra])


def _port(env: Mapping[str, str]) -> int:
    raw = env.get("AGENT_PORT", str(DEFAULT_PORT)).strip()
    if not raw.isdigit() or not 0 <= int(raw) <= 65535:
        raise SettingsError(f"AGENT_PORT must be an integer from 0 (any free port) to 65535, got {raw!r}")
    return int(raw)


def _usable_cores() -> int:
    """The cores this process may run on (a cpuset or `taskset` narrows it; os.cpu_count() would not)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def _count(env: Mapping[str, str], name: str, default: int, maximum: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise SettingsError(f"{name} must be an integer from 1 to {maximum}, got {raw!r}")
    return int(raw)


def _log_level(env: Mapping[str, str]) -> str:
    raw = env.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if raw == "WARN":
        raw = "WARNING"
    if raw not in _LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL must be one of {', '.join(_LOG_LEVELS)}, got {raw!r}")
    return raw


def _export_traces(env: Mapping[str, str]) -> bool:
    exporter = env.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() or "otlp"
    if exporter not in _TRACES_EXPORTERS:
        raise SettingsError(f"OTEL_TRACES_EXPORTER must be one of {', '.join(_TRACES_EXPORTERS)}, got {exporter!r}")
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true" or exporter == "none":
        return False
    return any(env.get(name, "").strip() for name in _OTLP_ENDPOINT_VARIABLES)


# The exporter itself reads these (and the other OTEL_EXPORTER_OTLP_* variables); we only check presence.
_OTLP_ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")

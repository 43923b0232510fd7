"""The providers section of the service's configuration file: the only endpoints the agent will call.

The agent reads the SAME file as the service (`CONFIG`), so an operator configures an endpoint once and a
request can only name it. `${VAR}` and `${VAR:-default}` are replaced as the service does
(service/src/config/load.ts); the rest of the file is the service's to validate.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from agent.schemas import PROVIDER_NAME_PATTERN, Endpoint, ProviderConfig

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_PROVIDERS: TypeAdapter[dict[str, ProviderConfig]] = TypeAdapter(dict[str, ProviderConfig])


class ConfigFileError(ValueError):
    """The configuration file cannot give the agent its providers; names the file, each field and why."""

    def __init__(self, file: str, problems: list[str]) -> None:
        self.file, self.problems = file, problems
        super().__init__(f"invalid configuration {file}:\n" + "\n".join(f"  - {p}" for p in problems))


def interpolate(text: str, env: Mapping[str, str]) -> tuple[str, list[str]]:
    """The text with `${VAR}` / `${VAR:-default}` replaced, and the names that were unset without a default."""
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name, fallback = match.group(1), match.group(2)
        value = env.get(name)
        if value:
            return value
        if fallback is not None:
            return fallback
        missing.append(name)
        return ""

    return _VARIABLE.sub(replace, text), missing


def load_providers(file: str, env: Mapping[str, str]) -> dict[str, Endpoint]:
    """The configured providers by name; raises ConfigFileError with every problem found."""
    try:
        raw = Path(file).read_text(encoding="utf-8")
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ConfigFileError(file, [f"(file): cannot read the file ({reason})"]) from None
    text, missing = interpolate(raw, env)
    problems = [f"environment variable {name} is referenced but not set (use ${{{name}:-default}})" for name in missing]
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigFileError(file, [*problems, f"YAML syntax: {str(error).splitlines()[0]}"]) from None
    providers = document.get("providers") if isinstance(document, dict) else None
    if not isinstance(providers, dict) or not providers:
        raise ConfigFileError(file, [*problems, "providers: must map at least one provider name to its settings"])
    problems += [f"providers: {name!r} is not a valid provider name" for name in providers if not _valid_name(name)]
    try:
        configs = _PROVIDERS.validate_python(providers)
    except ValidationError as error:
        problems += [f"providers.{_path(e['loc'])}: {e['msg']}" for e in error.errors()]
        configs = {}
    if problems:
        raise ConfigFileError(file, problems)
    return {name: Endpoint(name=name, **config.model_dump()) for name, config in configs.items()}


def _valid_name(name: Any) -> bool:
    return isinstance(name, str) and re.fullmatch(PROVIDER_NAME_PATTERN, name) is not None


def _path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)

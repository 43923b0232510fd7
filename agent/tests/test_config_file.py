"""The agent's providers come from the service's configuration file, checked at start-up with file, field, reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config_file import ConfigFileError, load_providers
from agent.schemas import ProviderKind

REPO = Path(__file__).resolve().parents[2]


def test_when_the_demo_config_is_read_then_its_providers_are_the_endpoints_with_variables_replaced():
    providers = load_providers(str(REPO / "config/demo.yaml"), {"SIMULATOR_ADDR": "simulator"})
    assert sorted(providers) == ["anthropic", "openai"]
    assert providers["openai"].base_url == "http://simulator:8010/v1"
    assert providers["anthropic"].kind == ProviderKind.ANTHROPIC
    assert providers["openai"].api_key_env == "SIMULATOR_API_KEY" and providers["openai"].name == "openai"


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


BROKEN = [
    ("missing file", None, ["(file): cannot read the file (No such file or directory)"]),
    ("no providers", "models: []\n", ["providers: must map at least one provider name to its settings"]),
    ("YAML syntax", "providers: [\n", ["YAML syntax: "]),
    (
        "bad fields",
        "providers:\n  openai: { kind: gemini, baseUrl: ftp://x, apiKeyEnv: HOME, extra: 1 }\n",
        [
            "providers.openai.kind: ",
            "providers.openai.baseUrl: ",
            "providers.openai.apiKeyEnv: ",
            "providers.openai.extra: ",
        ],
    ),
    (
        "unset variable",
        "providers:\n  openai: { kind: openai, baseUrl: 'http://${NOT_SET_ANYWHERE}/v1', apiKeyEnv: A_API_KEY }\n",
        ["environment variable NOT_SET_ANYWHERE is referenced but not set", "providers.openai.baseUrl: "],
    ),
    (
        "bad provider name",
        "providers:\n  Open AI: { kind: openai, baseUrl: 'http://x/v1', apiKeyEnv: A_API_KEY }\n",
        ["providers: 'Open AI' is not a valid provider name"],
    ),
]


@pytest.mark.parametrize(("text", "problems"), [c[1:] for c in BROKEN], ids=[c[0] for c in BROKEN])
def test_when_the_file_is_broken_then_the_error_names_the_file_each_field_and_why(tmp_path, text, problems):
    file = str(tmp_path / "absent.yaml") if text is None else write(tmp_path, text)
    with pytest.raises(ConfigFileError) as raised:
        load_providers(file, {})
    assert raised.value.file == file and str(raised.value).startswith(f"invalid configuration {file}:")
    assert len(raised.value.problems) == len(problems)
    for problem, expected in zip(raised.value.problems, problems, strict=True):
        assert problem.startswith(expected), raised.value.problems

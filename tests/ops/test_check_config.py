"""`make check-config CONFIG=…`: validates a file as start-up does, starting nothing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.processes import REPO_ROOT
from tests.support.stack import SERVICE_MAIN

pytestmark = pytest.mark.skipif(not SERVICE_MAIN.exists(), reason="the service is not built: run `make build`")


def check_config(config: Path | str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "check-config", f"CONFIG={config}"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env or None,
    )


def test_when_the_file_is_broken_then_every_problem_is_printed_with_file_field_and_reason(tmp_path: Path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "providers:\n  openai: { kind: openia, baseUrl: http://127.0.0.1:9/v1, apiKeyEnv: OPENAI_API_KEY }\n"
        "models:\n  - { id: gpt-4o }\n"
    )
    result = check_config(broken)
    assert result.returncode != 0
    assert f"invalid configuration {broken}:" in result.stderr
    assert '  - providers.openai.kind: Invalid option: expected one of "openai"' in result.stderr
    assert '  - models[0].id: must be "provider:model"' in result.stderr


@pytest.mark.parametrize("config", ["config/demo.yaml", "config/real-providers.example.yaml"])
def test_when_the_file_is_valid_then_it_exits_0_naming_its_models(config: str):
    result = check_config(config)
    assert result.returncode == 0, result.stderr
    assert f"{config} is valid" in result.stdout and "openai:gpt-4o" in result.stdout


def test_when_a_key_variable_is_unset_then_a_valid_file_still_passes_with_a_warning_naming_it():
    result = check_config("config/real-providers.example.yaml", PATH=os.environ["PATH"])
    assert result.returncode == 0
    assert "warning: environment variable GROQ_API_KEY is not set" in result.stderr
    assert "groq:llama-3.3-70b" in result.stderr

"""`service/bin/modelwatch-service`, the one home of the service's node flags: every way the service is
started in production or on a laptop goes through it, and node gets its young-generation bound.

Runs the real launcher with the node on this machine; reads the Dockerfile and `make run`'s script.
"""

from __future__ import annotations

import json
import re
import subprocess

from tests.support.processes import REPO_ROOT

LAUNCHER = REPO_ROOT / "service" / "bin" / "modelwatch-service"
MIB = 1024 * 1024
# Allocates about 200 MB of short-lived objects (keeping 1 in 100), then reports V8's young generation.
ALLOCATE_AND_REPORT = (
    "const keep = []; for (let i = 0; i < 2e6; i++) { const o = { i, s: 'x' + i }; if (i % 100 === 0) keep.push(o); }"
    "JSON.stringify({ newSpace: require('v8').getHeapSpaceStatistics()"
    ".find((s) => s.space_name === 'new_space').space_size, execArgv: process.execArgv })"
)


def test_the_launcher_bounds_the_young_generation_under_allocation() -> None:
    # `-p` evaluates instead of running dist/main.js: node gets exactly the launcher's flags.
    argv = [str(LAUNCHER), "-p", ALLOCATE_AND_REPORT]
    out = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    # Two 2-MB semi-spaces; V8's default grows them to 16 MB each (32 MB) under this allocation.
    assert report["newSpace"] <= 4 * MIB, report
    assert "--max-semi-space-size=2" in report["execArgv"]


def test_the_image_and_make_run_start_the_service_through_the_launcher() -> None:
    dockerfile = (REPO_ROOT / "service" / "Dockerfile").read_text()
    assert re.search(r'^CMD \["bin/modelwatch-service"\]$', dockerfile, re.MULTILINE), "the image's CMD"
    assert re.search(r"^COPY bin \./bin$", dockerfile, re.MULTILINE), "the image carries the launcher"
    run_script = (REPO_ROOT / "scripts" / "run.sh").read_text()
    assert "start service service/bin/modelwatch-service" in run_script
    assert "dist/main.js" not in run_script, "make run starts the service without the launcher's flags"

"""The shared test-support library: what every suite relies on when it starts, waits for and stops processes."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.processes import base_env, start_process
from tests.support.waiting import wait_until

pytestmark = pytest.mark.timeout(60)

# A server that logs its port as our processes do, and starts a child that would outlive a plain SIGTERM.
SERVER_WITH_A_CHILD = textwrap.dedent(
    """
    import http.server, json, subprocess, sys

    class Healthz(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    server = http.server.HTTPServer(("127.0.0.1", 0), Healthz)
    print(json.dumps({"msg": "listening", "port": server.server_address[1], "child": child.pid}), flush=True)
    server.serve_forever()
    """
)


def is_gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("Z", "X")  # a zombie has stopped; only its parent's wait is missing


def test_when_a_process_is_stopped_then_the_processes_it_started_stop_too(tmp_path: Path) -> None:
    running = start_process("server", [sys.executable, "-c", SERVER_WITH_A_CHILD], tmp_path / "s.log", env=base_env())
    child = next(entry["child"] for entry in running.log_entries() if "child" in entry)
    assert not is_gone(child)
    running.stop()
    assert running.process.returncode is not None
    wait_until("the child to stop with its parent", lambda: is_gone(child), timeout=10)


def test_when_a_process_exits_before_it_is_ready_then_start_fails_with_its_output(tmp_path: Path) -> None:
    argv = [sys.executable, "-c", "print('cannot read the config'); raise SystemExit(3)"]
    with pytest.raises(RuntimeError, match=r"(?s)exited with 3.*cannot read the config"):
        start_process("broken", argv, tmp_path / "b.log", env=base_env(), timeout=10)


def test_when_the_condition_never_holds_then_wait_until_names_it_and_what_it_saw() -> None:
    empty: dict[str, str] = {}
    with pytest.raises(TimeoutError, match=r"(?s)waiting for the answer.*last error: KeyError.*last seen: nothing"):
        wait_until("the answer", lambda: empty["x"], timeout=0.2, retry_on=(KeyError,), describe=lambda: "nothing")


def test_when_the_check_fails_with_an_error_not_retried_then_it_escapes_at_once() -> None:
    with pytest.raises(ZeroDivisionError):
        wait_until("never", lambda: 1 // 0, timeout=30)


def test_when_the_condition_holds_then_wait_until_returns_its_value() -> None:
    answers = iter([None, 0, "ready"])
    assert wait_until("the third answer", lambda: next(answers), timeout=5, every=0.01) == "ready"

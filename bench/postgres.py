"""A throwaway PostgreSQL server for the benchmarks: initdb in a temp dir (as the unprivileged
`postgres` user when run as root), a free port, pg_stat_statements loaded."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import processes
import resources

PG_VERSIONS = ("17", "16", "15")
PG_BIN = next((d for v in PG_VERSIONS if Path(d := f"/usr/lib/postgresql/{v}/bin").is_dir()), "")


class Postgres:
    """A throwaway PostgreSQL server with pg_stat_statements loaded."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="modelwatch-bench-pg-"))
        self.user = pwd.getpwnam("postgres") if os.getuid() == 0 else None
        if self.user:
            os.chown(self.dir, self.user.pw_uid, self.user.pw_gid)
        self.port = processes.free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def _run(self, argv: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
        uid = self.user.pw_uid if self.user else None
        return subprocess.run(argv, check=False, user=uid, text=True, capture_output=True, **kw)

    def start(self) -> Postgres:
        data = self.dir / "data"
        init = self._run([f"{PG_BIN}/initdb", "-D", str(data), "-U", "bench", "--auth=trust", "--no-sync"])
        if init.returncode != 0:
            raise RuntimeError(init.stderr)
        argv = [f"{PG_BIN}/postgres", "-D", str(data), "-p", str(self.port), "-k", str(self.dir)]
        argv += ["-c", "listen_addresses=127.0.0.1", "-c", "shared_preload_libraries=pg_stat_statements"]
        log = open(self.dir / "postgres.log", "wb")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(argv, user=self.user.pw_uid if self.user else None, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while self.sql("postgres", "SELECT 1") is None:
            if time.monotonic() > deadline:
                raise RuntimeError((self.dir / "postgres.log").read_text()[-2000:])
            time.sleep(0.2)
        return self

    def url(self, db: str) -> str:
        return f"postgresql://bench@127.0.0.1:{self.port}/{db}"

    def sql(self, db: str, query: str) -> str | None:
        argv = ["psql", "-X", "-qAt", "-v", "ON_ERROR_STOP=1", self.url(db), "-c", query]
        res = subprocess.run(argv, check=False, capture_output=True, text=True)
        return res.stdout if res.returncode == 0 else None

    def cpu_seconds(self) -> float:
        """CPU of the postmaster and every backend it forked (connections, autovacuum, checkpointer)."""
        if not self.proc:
            return 0.0
        total = 0.0
        for d in Path("/proc").iterdir():
            if not d.name.isdigit():
                continue
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if int(d.name) == self.proc.pid or ppid == self.proc.pid:
                total += resources.cpu_seconds(int(d.name)) or 0.0
        return total

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)

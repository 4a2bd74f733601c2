"""A real Heron server in a child process, and the databases it can run on.

Used by the SDK, CLI and kill -9 tests: ``heron serve`` is started exactly as a user would
start it, on a random loopback port, against SQLite or the machine's PostgreSQL.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

PG_ADMIN_URL = os.environ.get("HERON_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
ADMIN_PASSWORD = "correct-horse-battery"
SHARED = Path(__file__).resolve().parents[2] / "shared"
if not SHARED.exists():
    SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CAPTURED = SHARED / "conformance" / "envelopes" / "captured"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresUnavailable(Exception):
    pass


def create_pg_database() -> str:
    """Create a fresh database on the local PostgreSQL; return its URL."""
    import psycopg

    name = f"heron_test_{os.getpid()}_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        raise PostgresUnavailable(str(exc)) from exc
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_pg_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def heron_env(data_dir: Path, database_url: str = "", **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERON_")}
    env.update(
        {
            "HERON_DATA_DIR": str(data_dir),
            "HERON_DATABASE_URL": database_url,
            "HERON_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "HERON_LOG_LEVEL": "warning",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


def run_cli(
    env: dict[str, str], *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "heron", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
    )


class LiveServer:
    """``heron serve`` on a random port; knows its DSN, an API token and its log."""

    def __init__(self, data_dir: Path, database_url: str = "", **extra_env: str) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = heron_env(data_dir, database_url, HERON_PORT=str(self.port), **extra_env)
        self.log_path = data_dir / f"server-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.dsn = ""
        self.token = ""
        self.project_id = 0
        self.public_key = ""

    def start(self, timeout: float = 60) -> LiveServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "heron", "serve"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"heron serve exited early:\n{self.log()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError(f"heron serve did not come up:\n{self.log()}")
        match = re.search(r"DSN of the first project: (\S+)", self.log())
        assert match, self.log()
        self.dsn = match.group(1)
        self.public_key = self.dsn.split("//", 1)[1].split("@", 1)[0]
        self.project_id = int(self.dsn.rsplit("/", 1)[1])
        if not self.token:
            self.token = run_cli(self.env, "token", "create", "admin@localhost").stdout.strip()
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Kill the whole process group (server, HTTP workers and digest child)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # --- talking to it ------------------------------------------------------------------

    def api(self, path: str, method: str = "GET", **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return httpx.request(method, self.url + path, headers=headers, timeout=30, **kwargs)

    def ingest_url(self, endpoint: str = "envelope") -> str:
        return f"{self.url}/api/{self.project_id}/{endpoint}/"

    def auth_header(self) -> dict[str, str]:
        return {"X-Sentry-Auth": f"Sentry sentry_key={self.public_key}, sentry_version=7"}

    def issues(self, query: str = "") -> list[dict[str, Any]]:
        r = self.api(
            "/api/0/projects/heron/default/issues/", params={"query": query, "statsPeriod": ""}
        )
        r.raise_for_status()
        result: list[dict[str, Any]] = r.json()
        return result

    def unexpected_errors(self) -> list[str]:
        """Tracebacks and 5xx lines in the server log (a healthy server has none)."""
        text = self.log()
        return [line for line in text.splitlines() if "Traceback" in line or " 500 " in line]


def wait_for(check: Callable[[], Any], timeout: float = 30.0, interval: float = 0.1) -> Any:
    """Poll ``check`` until it returns something truthy; fail with its last value."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {value!r})")


def run_sdk_script(script: str, dsn: str, timeout: float = 120, **env: str) -> str:
    """Run a Python script that uses sentry_sdk in a child process; return its output."""
    full_env = {**os.environ, "SENTRY_DSN": dsn, **env}
    proc = subprocess.run(
        [sys.executable, "-c", script],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise AssertionError(
            f"SDK script failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
    return proc.stdout

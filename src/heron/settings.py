"""Every knob Heron has, declared once as data.

Each setting has a name, a type, a default, a unit and a help text, and is read from the
environment variable ``HERON_<NAME>``. ``heron config show`` prints the effective values and
``docs/settings.md`` is generated from this table (a test holds the two together).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MiB = 1024 * 1024


@dataclass(frozen=True)
class Setting:
    name: str
    type: Callable[[str], Any]
    default: Any
    help: str
    unit: str = ""
    secret: bool = False

    @property
    def env(self) -> str:
        return "HERON_" + self.name.upper()


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


SETTINGS: tuple[Setting, ...] = (
    Setting("data_dir", str, "./heron-data", "Directory for the SQLite database and local files."),
    Setting(
        "database_url",
        str,
        "",
        "SQLAlchemy URL of the database; empty means the SQLite file in the data directory. "
        "Use postgresql://user@host/db for PostgreSQL (psycopg 3).",
        secret=True,
    ),
    Setting("host", str, "127.0.0.1", "Address the HTTP server listens on."),
    Setting("port", int, 8000, "Port the HTTP server listens on."),
    Setting("workers", int, 1, "Number of HTTP worker processes."),
    Setting(
        "public_url",
        str,
        "",
        "URL the SDKs and browsers reach Heron at; empty means http://<host>:<port>.",
    ),
    Setting(
        "admin_email", str, "admin@localhost", "E-mail of the admin user created on first start."
    ),
    Setting(
        "admin_password",
        str,
        "",
        "Password of the admin user created on first start; empty means a random one is "
        "printed once.",
        secret=True,
    ),
    Setting(
        "secret_key",
        str,
        "",
        "Key that signs login cookies; empty means one is generated and kept in the database.",
        secret=True,
    ),
    Setting(
        "max_request_bytes", int, 20 * MiB, "Largest compressed request body accepted.", "bytes"
    ),
    Setting(
        "max_envelope_bytes",
        int,
        100 * MiB,
        "Largest envelope accepted after decompression.",
        "bytes",
    ),
    Setting("max_event_bytes", int, 1 * MiB, "Largest single event item accepted.", "bytes"),
    Setting(
        "inbox_batch_window",
        float,
        0.002,
        "How long the inbox writer waits to gather more envelopes into one commit.",
        "seconds",
    ),
    Setting(
        "digest_batch_size",
        int,
        6000,
        "Most envelopes the digest takes in one transaction (a batch also stops at 64 MB of "
        "envelopes). Bigger batches spread the cost of each transaction (hour and day rollup "
        "rows are read and rewritten once a batch): on two cores, 6,000 digests a backlog of "
        "transactions about 1.6 times as fast as 1,000, but every full batch holds the "
        "database's write lock for about three seconds (page actions that write wait that "
        "long during a backlog; ingest never does) and the digest process grows to ~450 MB. "
        "Without a backlog batches are as small as what arrived: an idle digest takes a "
        "single new envelope at once (see the poll interval).",
    ),
    Setting(
        "digest_poll_interval",
        float,
        0.05,
        "How often an idle digest worker looks for new envelopes.",
        "seconds",
    ),
    Setting(
        "digest_processes",
        int,
        0,
        "Processes that prepare (parse, normalize, scrub, group) the next digest batch while "
        "the digest stores the current one; 1 means the digest does both itself, one after "
        "the other; 0 one per usable CPU, at most 4 (none on one CPU). They start when a "
        "backlog first comes, at the digest's niceness. Measured on two cores with "
        "transactions: a backlog drains ~35-40% faster than with 1 when a core is free, for "
        "~35% more CPU in all (batches travel between processes), so a machine whose cores "
        "are already busy may do better with 1.",
    ),
    Setting(
        "digest_nice",
        int,
        10,
        "Scheduling niceness of the digest child process: under load the HTTP server, which "
        "must answer SDKs at once, gets the CPU first and the digest catches up from the "
        "durable inbox.",
    ),
    Setting(
        "digest_in_process",
        _bool,
        False,
        "Run the digest worker as a thread inside the server process instead of a child process.",
    ),
    Setting("log_level", str, "info", "Log level: debug, info, warning, error."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Config:
    """The effective settings: defaults overridden by the environment and explicit values."""

    values: Mapping[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        shown = {k: ("****" if _BY_NAME[k].secret and v else v) for k, v in self.values.items()}
        return f"Config({shown!r})"

    @property
    def data_path(self) -> Path:
        return Path(self.values["data_dir"]).expanduser().resolve()

    @property
    def effective_database_url(self) -> str:
        url = str(self.values["database_url"])
        if url:
            if url.startswith("postgresql://") or url.startswith("postgres://"):
                return "postgresql+psycopg://" + url.split("://", 1)[1]
            return url
        return f"sqlite:///{self.data_path / 'heron.sqlite3'}"

    @property
    def effective_public_url(self) -> str:
        url = str(self.values["public_url"]).rstrip("/")
        if url:
            return url
        host = self.values["host"]
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        return f"http://{host}:{self.values['port']}"

    def replace(self, **overrides: Any) -> Config:
        merged = dict(self.values)
        for key, value in overrides.items():
            if key not in _BY_NAME:
                raise KeyError(f"unknown setting {key!r}")
            if value is not None:
                merged[key] = value
        return Config(merged)


class SettingsError(ValueError):
    """A setting's environment value could not be read."""


def load(environ: Mapping[str, str] | None = None, **overrides: Any) -> Config:
    """Read every setting from ``environ`` (default: the process environment)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = env.get(setting.env)
        if raw is None or raw == "":
            values[setting.name] = setting.default
            continue
        try:
            values[setting.name] = setting.type(raw)
        except ValueError as exc:
            raise SettingsError(f"{setting.env}={raw!r}: {exc}") from exc
    return Config(values).replace(**overrides)


def describe(config: Config) -> list[tuple[str, str, str]]:
    """(env name, effective value, help) rows for ``heron config show``; secrets masked."""
    rows = []
    for setting in SETTINGS:
        value = config.values[setting.name]
        shown = "****" if setting.secret and value else str(value)
        rows.append((setting.env, shown, setting.help))
    return rows


def render_markdown() -> str:
    """The settings reference (docs/settings.md), generated from SETTINGS."""
    lines = [
        "# Settings",
        "",
        "Generated from `src/heron/settings.py` (`python -m heron.docs`); do not edit by hand.",
        "Every setting is read from its environment variable; `heron config show` prints the",
        "effective values.",
        "",
        "| variable | default | unit | meaning |",
        "|---|---|---|---|",
    ]
    for s in SETTINGS:
        default = "(empty)" if s.default == "" else f"`{s.default}`"
        lines.append(f"| `{s.env}` | {default} | {s.unit} | {s.help} |")
    return "\n".join(lines) + "\n"

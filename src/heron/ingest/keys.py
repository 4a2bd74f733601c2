"""Public key → project, cached so the hot path rarely touches the database."""

from __future__ import annotations

import threading
import time

from heron.store import Database
from heron.store import accounts as acc
from heron.store.accounts import ProjectKey

_TTL = 30.0


class KeyCache:
    """Caches key and project lookups (hits and misses) for a few seconds."""

    def __init__(self, db: Database, ttl: float = _TTL) -> None:
        self._db = db
        self._ttl = ttl
        self._keys: dict[str, tuple[float, ProjectKey | None]] = {}
        self._projects: dict[int, tuple[float, bool]] = {}
        self._lock = threading.Lock()

    def cached_key(self, public_key: str) -> tuple[bool, ProjectKey | None]:
        """(hit, key) without I/O; ``hit`` False means ``lookup_key`` must be called."""
        entry = self._keys.get(public_key)
        if entry is None or entry[0] < time.monotonic():
            return False, None
        return True, entry[1]

    def lookup_key(self, public_key: str) -> ProjectKey | None:
        with self._db.read() as conn:
            key = acc.project_key(conn, public_key)
        with self._lock:
            if len(self._keys) > 10_000:
                self._keys.clear()  # unknown keys must not grow the cache without bound
            self._keys[public_key] = (time.monotonic() + self._ttl, key)
        return key

    def project_exists(self, project_id: int) -> bool:
        entry = self._projects.get(project_id)
        if entry is not None and entry[0] >= time.monotonic():
            return entry[1]
        with self._db.read() as conn:
            exists = acc.project_exists(conn, project_id)
        with self._lock:
            if len(self._projects) > 10_000:
                self._projects.clear()
            self._projects[project_id] = (time.monotonic() + self._ttl, exists)
        return exists

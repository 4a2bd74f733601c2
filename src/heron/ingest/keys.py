"""Public key → project, cached so the hot path rarely touches the database.

A key that is disabled, rotated away or deleted must stop working quickly everywhere:

- in the process where the change was made (the web page or API call that made it), the
  cache is emptied at once (:meth:`KeyCache.invalidate`);
- every other process (more HTTP workers, ``heron ingest`` on other machines) looks a key
  up again once its entry is :data:`TTL` seconds old, so a change reaches it within that.

A lookup is one indexed read per key and process every few seconds: nothing next to the
requests it serves.
"""

from __future__ import annotations

import threading
import time
from typing import TypeVar

from heron.store import Database
from heron.store import accounts as acc
from heron.store import projects as store
from heron.store.projects import IngestKey

TTL = 2.0  # seconds a lookup (hit or miss) is trusted
_MAX_ENTRIES = 10_000  # unknown keys must not grow the cache without bound

K = TypeVar("K")
V = TypeVar("V")


class KeyCache:
    """Caches key and project lookups (hits and misses) for :data:`TTL` seconds."""

    def __init__(self, db: Database, ttl: float = TTL) -> None:
        self._db = db
        self._ttl = ttl
        self._keys: dict[str, tuple[float, IngestKey | None]] = {}
        self._projects: dict[int, tuple[float, bool]] = {}
        self._lock = threading.Lock()
        self._generation = 0

    def cached_key(self, public_key: str) -> tuple[bool, IngestKey | None]:
        """(hit, key) without I/O; ``hit`` False means ``lookup_key`` must be called."""
        entry = self._keys.get(public_key)
        if entry is None or entry[0] < time.monotonic():
            return False, None
        return True, entry[1]

    def lookup_key(self, public_key: str) -> IngestKey | None:
        generation = self._generation
        with self._db.read() as conn:
            key = store.ingest_key(conn, public_key)
        self._remember(self._keys, public_key, key, generation)
        return key

    def project_exists(self, project_id: int) -> bool:
        entry = self._projects.get(project_id)
        if entry is not None and entry[0] >= time.monotonic():
            return entry[1]
        generation = self._generation
        with self._db.read() as conn:
            exists = acc.project_exists(conn, project_id)
        self._remember(self._projects, project_id, exists, generation)
        return exists

    def invalidate(self) -> None:
        """Forget every lookup: called after keys or projects change in this process."""
        with self._lock:
            self._generation += 1
            self._keys.clear()
            self._projects.clear()

    def _remember(
        self, cache: dict[K, tuple[float, V]], name: K, value: V, generation: int
    ) -> None:
        with self._lock:
            # A lookup that raced with invalidate() may have read the old row: not kept.
            if generation != self._generation:
                return
            if len(cache) > _MAX_ENTRIES:
                cache.clear()
            cache[name] = (time.monotonic() + self._ttl, value)

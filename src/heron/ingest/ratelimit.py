"""Event rate limits per project and per client key: fixed one-minute windows per process.

A request is held to every quota that applies (its project's and its key's); what is
admitted is counted against all of them, so a key's refused events never use up the
project's quota and the other way round.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

# The data categories the "events per minute" limits count. client_report items
# (category "internal") are never limited.
LIMITED_CATEGORIES = ("error", "default", "security", "transaction", "feedback")


@dataclass(frozen=True)
class Quota:
    """``limit`` events a minute for one project or one key."""

    scope: str  # "project" or "key", as in X-Sentry-Rate-Limits
    id: int
    limit: int

    @property
    def reason(self) -> str:
        """The outcome reason of what this quota refuses (Sentry's reason codes)."""
        return f"{self.scope}_quota"


@dataclass(frozen=True)
class Admission:
    admitted: int
    retry_after: int  # seconds until the window ends
    bound_by: Quota | None  # the quota that refused the rest; None when all was admitted


class RateLimiter:
    def __init__(self, window: float = 60.0) -> None:
        self._window = window
        self._counts: dict[tuple[str, int], tuple[int, int]] = {}  # → (window index, count)
        self._lock = threading.Lock()

    def admit(self, quotas: Sequence[Quota], quantity: int) -> Admission:
        """Admit up to ``quantity`` events within every quota."""
        now = time.time()
        index = int(now // self._window)
        admitted = quantity
        bound_by = None
        with self._lock:
            used = {}
            for quota in quotas:
                current, count = self._counts.get((quota.scope, quota.id), (index, 0))
                used[quota] = count if current == index else 0
                room = max(0, quota.limit - used[quota])
                if room < admitted:
                    admitted, bound_by = room, quota
            for quota in quotas:
                self._counts[(quota.scope, quota.id)] = (index, used[quota] + admitted)
        retry_after = max(1, math.ceil((index + 1) * self._window - now))
        return Admission(admitted, retry_after, bound_by)


def rate_limit_header(
    retry_after: int, quota: Quota, categories: tuple[str, ...] = LIMITED_CATEGORIES
) -> str:
    """``X-Sentry-Rate-Limits`` value: integer seconds, as the Python SDK requires."""
    return f"{int(retry_after)}:{';'.join(categories)}:{quota.scope}:{quota.reason}"

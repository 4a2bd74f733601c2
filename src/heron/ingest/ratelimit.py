"""Per-project event rate limits: a fixed one-minute window per process."""

from __future__ import annotations

import math
import threading
import time

# The data categories a project's "events per minute" limit counts. client_report items
# (category "internal") are never limited.
LIMITED_CATEGORIES = ("error", "default", "security", "transaction", "feedback")


class RateLimiter:
    def __init__(self, window: float = 60.0) -> None:
        self._window = window
        self._counts: dict[int, tuple[int, int]] = {}  # project → (window index, count)
        self._lock = threading.Lock()

    def admit(self, project_id: int, limit: int, quantity: int) -> tuple[int, int]:
        """Admit up to ``quantity`` events; return (admitted, seconds until the window ends)."""
        now = time.time()
        index = int(now // self._window)
        with self._lock:
            current, used = self._counts.get(project_id, (index, 0))
            if current != index:
                used = 0
            admitted = max(0, min(quantity, limit - used))
            self._counts[project_id] = (index, used + admitted)
        retry_after = max(1, math.ceil((index + 1) * self._window - now))
        return admitted, retry_after


def rate_limit_header(retry_after: int, categories: tuple[str, ...] = LIMITED_CATEGORIES) -> str:
    """``X-Sentry-Rate-Limits`` value: integer seconds, as the Python SDK requires."""
    return f"{int(retry_after)}:{';'.join(categories)}:project:project_quota"

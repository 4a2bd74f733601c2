"""The digest worker loop: inside ``heron serve`` (a child process) or alone (``heron digest``)."""

from __future__ import annotations

import gc
import logging
import os
import threading
import time

from heron.digest.batch import digest_batch
from heron.settings import Config
from heron.store import Database

log = logging.getLogger("heron.digest")


def run(
    config: Config, stop: threading.Event | None = None, *, parent_pid: int | None = None
) -> None:
    """Digest batches until ``stop`` is set (or the parent process is gone)."""
    stop = stop or threading.Event()
    # A batch builds hundreds of large, acyclic event dicts; the default collector thresholds
    # make Python rescan them over and over (measured: ~40% of digest time).
    gc.set_threshold(50_000, 20, 100)
    db = Database(config.effective_database_url)
    batch_size = int(config.digest_batch_size)
    idle = float(config.digest_poll_interval)
    log.info("digest worker started (batch size %d)", batch_size)
    try:
        while not stop.is_set():
            if parent_pid is not None and os.getppid() != parent_pid:
                log.warning("server process is gone; digest worker stops")
                return
            try:
                result = digest_batch(db, batch_size)
            except Exception:  # the database may be briefly unavailable; keep going
                log.exception("digest batch failed")
                stop.wait(1.0)
                continue
            if result.envelopes:
                log.debug("digested %d envelopes, %d events", result.envelopes, result.events)
            else:
                stop.wait(idle)
    finally:
        db.dispose()


def run_in_thread(config: Config) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=run, args=(config, stop), name="heron-digest", daemon=True)
    thread.start()
    return thread, stop


def wait_idle(db: Database, timeout: float = 30.0) -> bool:
    """True once the inbox is empty (for tests and benchmarks)."""
    from heron.inbox import inbox_for

    inbox = inbox_for(db)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if inbox.pending() == 0:
            return True
        time.sleep(0.05)
    return False

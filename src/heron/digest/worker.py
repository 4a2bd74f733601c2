"""The digest worker loop: inside ``heron serve`` (a child process) or alone (``heron digest``)."""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

from heron.digest.batch import Pipeline
from heron.digest.budgets import check_budgets
from heron.digest.issue_state import sweep_ignores
from heron.settings import Config
from heron.store import Database

log = logging.getLogger("heron.digest")

# Ignores that run out by time with no new event are flipped, and LLM budgets checked, this
# often (seconds).
SWEEP_INTERVAL = 60.0


def run(
    config: Config, stop: threading.Event | None = None, *, parent_pid: int | None = None
) -> None:
    """Digest batches until ``stop`` is set (or the parent process is gone)."""
    stop = stop or threading.Event()
    _tune_collector()
    db = Database(config.effective_database_url)
    pool = _prepare_pool(int(config.digest_processes))
    batch_size = int(config.digest_batch_size)
    pipeline = Pipeline(db, batch_size, pool)
    idle = float(config.digest_poll_interval)
    log.info("digest worker started (batch size %d)", batch_size)
    next_sweep = 0.0
    try:
        while not stop.is_set():
            if parent_pid is not None and os.getppid() != parent_pid:
                log.warning("server process is gone; digest worker stops")
                return
            if time.monotonic() >= next_sweep:
                next_sweep = time.monotonic() + SWEEP_INTERVAL
                for task, done in _TIMED_TASKS:
                    _timed(db, task, done)
            try:
                result = pipeline.step()
            except Exception:  # the database may be briefly unavailable; keep going
                log.exception("digest batch failed")
                stop.wait(1.0)
                continue
            if result.failed:
                log.warning(
                    "%d inbox rows could not be digested (kept in inbox_failed)", result.failed
                )
            if result.envelopes:
                log.debug("digested %d envelopes, %d events", result.envelopes, result.events)
            else:
                stop.wait(min(idle, 1.0))  # keep noticing a vanished parent
    finally:
        pipeline.discard()
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        db.dispose()


# What the worker does once a minute besides digesting: the task, and what to log when it
# did something (with how many things it did).
_TIMED_TASKS: tuple[tuple[Callable[[Database], int], str], ...] = (
    (sweep_ignores, "%d ignored issues came back (their ignore period ended)"),
    (check_budgets, "%d LLM budget thresholds were crossed"),
)


def _timed(db: Database, task: Callable[[Database], int], done: str) -> None:
    try:
        count = task(db)
    except Exception:  # like a batch: a database hiccup must not stop the worker
        log.exception("%s failed", task.__name__)
        return
    if count:
        log.info(done, count)


def _tune_collector() -> None:
    # A batch builds hundreds of large, acyclic event dicts; the default collector thresholds
    # make Python rescan them over and over (measured: ~40% of digest time).
    gc.set_threshold(50_000, 20, 100)


# With 0 (one per CPU), at most this many: the one writer storing batches is the limit, and
# preparing takes less CPU than storing, so more processes would only wait.
AUTO_PROCESSES_MAX = 4
PREPARER_NICENESS = 5


def _prepare_pool(processes: int) -> ProcessPoolExecutor | None:
    """Worker processes for preparing backlogs; 0 means one per CPU, 1 means none."""
    count = processes or min(_usable_cpus(), AUTO_PROCESSES_MAX)
    if count <= 1:
        return None
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(count, mp_context=context, initializer=_start_preparer)


def _start_preparer() -> None:
    _tune_collector()
    # The one writer is what limits the digest: when the cores are busy, the processes
    # preparing the next batch yield to it (they only need to be done before it is).
    with contextlib.suppress(OSError):
        os.nice(PREPARER_NICENESS)


def _usable_cpus() -> int:
    # The CPUs this process may run on (a container's cpuset), not all the host has.
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


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
        if inbox.drained():
            return True
        time.sleep(0.05)
    return False

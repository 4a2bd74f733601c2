"""Group commit: many requests share one transaction and one fsync.

Ingest handlers call ``await writer.append(record)``; a single writer thread takes whatever
has queued up, writes it in one transaction and only then resolves the callers' futures, so
the HTTP 200 goes out after the envelope is durable. Outcome counters ride along in the same
transaction without anyone waiting on them.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from dataclasses import dataclass

from heron.inbox.base import Inbox
from heron.inbox.records import InboxRecord, OutcomeRecord, outcomes_record

log = logging.getLogger("heron.inbox")

_MAX_BATCH = 1000


class InboxUnavailable(Exception):
    """The inbox could not make an envelope durable."""


@dataclass
class _Pending:
    record: InboxRecord | None
    outcomes: tuple[OutcomeRecord, ...]
    loop: asyncio.AbstractEventLoop | None
    future: asyncio.Future[None] | None


class InboxWriter:
    def __init__(self, inbox: Inbox, *, window: float = 0.002) -> None:
        self._inbox = inbox
        self._window = window
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="heron-inbox", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._thread = None

    async def append(self, record: InboxRecord, outcomes: tuple[OutcomeRecord, ...] = ()) -> None:
        """Return once ``record`` is committed; raise InboxUnavailable if it could not be."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._queue.put(_Pending(record, outcomes, loop, future))
        await future

    def count(self, outcomes: tuple[OutcomeRecord, ...]) -> None:
        """Record outcome counters in the next commit; nobody waits for them."""
        if outcomes:
            self._queue.put(_Pending(None, outcomes, None, None))

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                break
            batch = [first]
            deadline = time.monotonic() + self._window
            while len(batch) < _MAX_BATCH:
                try:
                    timeout = deadline - time.monotonic()
                    item = (
                        self._queue.get(timeout=timeout)
                        if timeout > 0
                        else self._queue.get_nowait()
                    )
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            self._commit(batch)

    def _commit(self, batch: list[_Pending]) -> None:
        records = [p.record for p in batch if p.record is not None]
        outcomes = [o for p in batch for o in p.outcomes]
        if outcomes:
            records.append(outcomes_record(outcomes))
        error: Exception | None = None
        for attempt in range(3):
            try:
                self._inbox.append(records)
                error = None
                break
            except Exception as exc:  # a failed commit must reach every waiting request
                error = exc
                log.warning("inbox commit failed (attempt %d): %s", attempt + 1, exc)
                time.sleep(0.05 * (attempt + 1))
        for p in batch:
            if p.future is None or p.loop is None:
                continue
            if error is None:
                p.loop.call_soon_threadsafe(_resolve, p.future, None)
            else:
                p.loop.call_soon_threadsafe(_resolve, p.future, InboxUnavailable(str(error)))


def _resolve(future: asyncio.Future[None], error: Exception | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)

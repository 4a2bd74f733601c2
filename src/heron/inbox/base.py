"""What every inbox backend offers: durable appends for ingest, ordered batches for digest."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from heron.inbox.records import InboxRecord


@dataclass(frozen=True)
class InboxRow:
    id: int
    project_id: int
    received_at: float
    kind: str  # "envelope", or "outcomes" (counters ingest recorded for refused items)
    client_ip: str | None
    body: bytes


# A batch also stops at this many bytes of envelopes (past its first row): a batch's parsed
# objects take several times its envelopes' size, and a few hundred large transactions
# weigh as much as thousands of small ones.
BATCH_BYTES = 64 << 20


def within_budget(rows: Iterable[InboxRow]) -> list[InboxRow]:
    """``rows`` in order, up to the first one that brings their bodies to ``BATCH_BYTES``
    (that one included, so a batch is never empty); the rest are not read."""
    taken: list[InboxRow] = []
    total = 0
    for row in rows:
        taken.append(row)
        total += len(row.body)
        if total >= BATCH_BYTES:
            break
    return taken


class Inbox(ABC):
    """A durable queue of raw envelopes.

    The digest takes a batch, stores what it produced in the main database and, in that same
    transaction, ``acknowledge``s the batch; so a crash at any point either redoes the whole
    batch or none of it. ``release`` then frees the space, outside that transaction.
    """

    #: True when ``take`` must run inside the digest's write transaction (row locks).
    takes_in_transaction: bool = False

    @abstractmethod
    def append(self, records: Sequence[InboxRecord]) -> None:
        """Make the records durable (one transaction); raise if that failed."""

    @abstractmethod
    def take(self, conn: Connection | None, limit: int, after: int = 0) -> list[InboxRow]:
        """The oldest rows not yet acknowledged, in order; only rows with ids above ``after``
        (a digest that took rows it has not acknowledged yet asks for the ones that follow)."""

    def still_pending(self, conn: Connection, rows: Sequence[InboxRow]) -> set[int]:
        """Ids among ``rows`` that no other worker has stored meanwhile (checked inside the
        main transaction)."""
        return {r.id for r in rows}

    @abstractmethod
    def acknowledge(self, conn: Connection, rows: Sequence[InboxRow]) -> None:
        """Mark rows done, inside the main database transaction that stored their results."""

    def release(self, rows: Sequence[InboxRow]) -> None:  # noqa: B027 - optional hook
        """Free acknowledged rows after the main transaction committed (optional)."""

    @abstractmethod
    def pending(self) -> int:
        """How many rows wait for the digest."""

    @abstractmethod
    def drained(self) -> bool:
        """True when no row waits for the digest (cheaper than counting them)."""

    def dispose(self) -> None:  # noqa: B027 - optional hook
        """Close connections."""

"""The durable queue of raw envelopes between ingest and digest."""

from heron.inbox.records import InboxRecord, OutcomeRecord
from heron.inbox.sql import InboxRow, dead_letter, pending, record_outcomes, remove, take_batch
from heron.inbox.writer import InboxUnavailable, InboxWriter
from heron.settings import Config
from heron.store import Database


def open_inbox(db: Database, config: Config) -> InboxWriter:
    """The inbox writer for this process (the table in the main database)."""
    return InboxWriter(db, window=float(config.inbox_batch_window))


__all__ = [
    "InboxRecord",
    "InboxRow",
    "InboxUnavailable",
    "InboxWriter",
    "OutcomeRecord",
    "dead_letter",
    "open_inbox",
    "pending",
    "record_outcomes",
    "remove",
    "take_batch",
]

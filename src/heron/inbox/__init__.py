"""The durable queue of raw envelopes between ingest and digest.

Backends: SQLite keeps the queue in a file of its own beside the main database
(``sqlite_file``); PostgreSQL keeps it in a table of the main database (``table``).
"""

from __future__ import annotations

import weakref

from heron.inbox.base import Inbox, InboxRow
from heron.inbox.failed import dead_letter
from heron.inbox.outcomes import record_outcomes
from heron.inbox.records import InboxRecord, OutcomeRecord, outcomes_record, read_outcomes
from heron.inbox.sqlite_file import SqliteFileInbox
from heron.inbox.table import TableInbox
from heron.inbox.writer import InboxUnavailable, InboxWriter
from heron.settings import Config
from heron.store import Database

_inboxes: weakref.WeakKeyDictionary[Database, Inbox] = weakref.WeakKeyDictionary()


def inbox_for(db: Database) -> Inbox:
    """The inbox that belongs with this database (one object per Database)."""
    inbox = _inboxes.get(db)
    if inbox is None:
        inbox = SqliteFileInbox(db) if db.is_sqlite else TableInbox(db)
        _inboxes[db] = inbox
    return inbox


def open_inbox(db: Database, config: Config) -> InboxWriter:
    """The group-commit writer ingest appends through, for this process."""
    return InboxWriter(inbox_for(db), window=float(config.inbox_batch_window))


__all__ = [
    "Inbox",
    "InboxRecord",
    "InboxRow",
    "InboxUnavailable",
    "InboxWriter",
    "OutcomeRecord",
    "SqliteFileInbox",
    "TableInbox",
    "dead_letter",
    "inbox_for",
    "open_inbox",
    "outcomes_record",
    "read_outcomes",
    "record_outcomes",
]

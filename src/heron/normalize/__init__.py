"""Raw event → canonical event, and server-side PII scrubbing (pure functions, no I/O)."""

from heron.normalize.event import normalize_event
from heron.normalize.scrub import scrub_event
from heron.normalize.tags import event_tags
from heron.normalize.user import user_key

__all__ = ["event_tags", "normalize_event", "scrub_event", "user_key"]

"""The hot path: SDK requests in, raw envelopes into the inbox."""

from heron.ingest.errors import IngestError
from heron.ingest.keys import KeyCache
from heron.ingest.ratelimit import RateLimiter
from heron.ingest.routes import match

__all__ = ["IngestError", "KeyCache", "RateLimiter", "match"]

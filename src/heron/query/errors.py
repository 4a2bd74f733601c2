"""What the query layer raises: bad input from a person, told back to them (HTTP 400)."""

from __future__ import annotations


class QueryError(ValueError):
    """A search, sort, period or cursor that cannot be understood."""

"""Exceptions raised by the grouping package."""

from __future__ import annotations


class GroupingError(Exception):
    """Base class for every error raised by :mod:`heron.grouping`."""


class GroupingRuleError(GroupingError, ValueError):
    """A fingerprint or stack-trace rule could not be parsed.

    ``lineno`` is 1-based and refers to the rule text that was given.
    """

    def __init__(self, message: str, lineno: int | None = None, line: str | None = None) -> None:
        self.reason = message
        self.lineno = lineno
        self.line = line
        where = f"line {lineno}: " if lineno is not None else ""
        super().__init__(f"{where}{message}")


class UnknownStrategyError(GroupingError, LookupError):
    """The requested grouping strategy id is not registered."""

"""What actions raise: a request that cannot be carried out, and why."""

from __future__ import annotations


class ActionError(ValueError):
    """An action was refused (unknown status, duplicate slug, bad e-mail…)."""


class NotFoundError(ActionError):
    """The thing to act on does not exist."""


class PermissionDenied(ActionError):
    """The person may see the thing but lacks the role to do this to it (403)."""

"""What a ``PUT`` on issues asks for, read from Sentry's body, and carrying it out.

``status`` (``resolved``, ``resolvedInNextRelease``, ``unresolved``, ``ignored``) with
``statusDetails`` (``inNextRelease``; ``ignoreDuration`` in minutes, ``ignoreCount``,
``ignoreUserCount``), ``assignedTo`` (``user:<id>``, ``team:<id>``, an e-mail, or null),
``isBookmarked``; on lists also ``merge``. Fields Sentry sends that Heron has no use for
(``hasSeen``, ``isSubscribed``, ``isPublic``) are accepted and ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException

from heron import actions
from heron.store import Database

IGNORED_FIELDS = frozenset({"hasSeen", "isSubscribed", "isPublic", "substatus"})
_STATUSES = {
    "resolved": "resolved",
    "resolvedInNextRelease": "resolved_next_release",
    "unresolved": "unresolved",
    "ignored": "ignored",
    "archived": "ignored",
}


@dataclass(frozen=True)
class IssueUpdate:
    status: str | None = None  # an action status (actions.STATUSES)
    ignore_minutes: int | None = None
    ignore_count: int | None = None
    ignore_users: int | None = None
    assign: bool = False
    assignee: str | None = None
    bookmark: bool | None = None

    def apply(self, db: Database, issue_id: int, actor_id: int) -> None:
        if self.status is not None:
            actions.set_issue_status(
                db,
                issue_id,
                self.status,
                actor_id=actor_id,
                ignore_minutes=self.ignore_minutes,
                ignore_count=self.ignore_count,
                ignore_users=self.ignore_users,
            )
        if self.assign:
            actions.assign_issue(db, issue_id, self.assignee, actor_id=actor_id)
        if self.bookmark is not None:
            actions.set_bookmark(db, issue_id, self.bookmark, actor_id=actor_id)


def read_update(body: dict[str, Any]) -> IssueUpdate:
    """The update the body asks for; 400 when it asks for nothing Heron can do."""
    known = {"status", "statusDetails", "assignedTo", "isBookmarked"}
    if not known.intersection(body):
        if IGNORED_FIELDS.intersection(body):
            return IssueUpdate()
        raise HTTPException(
            400, "nothing to do: send status, assignedTo, isBookmarked (or merge on a list)"
        )
    values: dict[str, Any] = {}
    if "status" in body or "statusDetails" in body:
        values.update(_status(body.get("status"), body.get("statusDetails")))
    if "assignedTo" in body:
        assignee = body["assignedTo"]
        if assignee is not None and not isinstance(assignee, str):
            raise HTTPException(400, "assignedTo must be user:<id>, team:<id>, an e-mail or null")
        values.update(assign=True, assignee=assignee or None)
    if "isBookmarked" in body:
        if not isinstance(body["isBookmarked"], bool):
            raise HTTPException(400, "isBookmarked must be true or false")
        values["bookmark"] = body["isBookmarked"]
    return IssueUpdate(**values)


def update_json(update: IssueUpdate, changed: dict[str, Any]) -> dict[str, Any]:
    """What a bulk ``PUT`` answers: the fields it set, as Sentry echoes them."""
    body: dict[str, Any] = {}
    if update.status is not None:
        body["status"] = "resolved" if update.status.startswith("resolved") else update.status
        body["statusDetails"] = changed.get("statusDetails", {})
    if update.assign:
        body["assignedTo"] = changed.get("assignedTo")
    if update.bookmark is not None:
        body["isBookmarked"] = update.bookmark
    return body


def _status(status: Any, details: Any) -> dict[str, Any]:
    details = {} if details is None else details
    if not isinstance(details, dict):
        raise HTTPException(400, "statusDetails must be an object")
    if status is None and details.get("inNextRelease"):
        status = "resolved"
    if status not in _STATUSES:
        raise HTTPException(400, f"status must be one of {', '.join(_STATUSES)}")
    chosen = _STATUSES[str(status)]
    if chosen == "resolved" and details.get("inNextRelease") is True:
        chosen = "resolved_next_release"
    values: dict[str, Any] = {"status": chosen}
    if chosen == "ignored":
        for field, name in (
            ("ignoreDuration", "ignore_minutes"),
            ("ignoreCount", "ignore_count"),
            ("ignoreUserCount", "ignore_users"),
        ):
            value = details.get(field)
            if value is not None:
                if isinstance(value, bool) or not isinstance(value, int):
                    raise HTTPException(400, f"statusDetails.{field} must be a whole number")
                values[name] = value
    return values

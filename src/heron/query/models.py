"""The read models: plain frozen records the web pages and the REST API render."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")

# Ids and offsets beyond what the database columns hold cannot match anything; the read
# models clamp to these instead of letting PostgreSQL reject the statement.
MAX_ID = 2**31 - 1
MAX_BIG_ID = 2**63 - 1
MAX_OFFSET = 2**31 - 1

_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def base36(number: int) -> str:
    """``number`` in upper-case base 36, the way short ids are written (``35`` → ``Z``)."""
    if number < 0:
        raise ValueError("negative number")
    digits = []
    while True:
        number, rest = divmod(number, 36)
        digits.append(_BASE36[rest])
        if number == 0:
            return "".join(reversed(digits))


# Roles in an organization, weakest first. A member reads and triages (status, assign,
# bookmark, comment, merge); an admin also manages projects, keys, teams, members and
# invitations and deletes issues; an owner also manages owners.
ROLES = ("member", "admin", "owner")


@dataclass(frozen=True, eq=False)
class Viewer:
    """A person looking at data: who they are and their role in each of their organizations."""

    user_id: int
    email: str
    name: str
    is_superuser: bool
    roles: dict[int, str] = field(default_factory=dict)  # organization id → role
    # Changes whenever the password does: a session made before the change stops working.
    credential_stamp: str = ""

    @property
    def organization_ids(self) -> frozenset[int]:
        return frozenset(self.roles)

    def role(self, organization_id: int) -> str | None:
        """The viewer's role in the organization; None when not a member."""
        return self.roles.get(organization_id)

    def has_role(self, organization_id: int, least: str) -> bool:
        """True when the viewer's role there is ``least`` or stronger."""
        role = self.roles.get(organization_id)
        return role is not None and ROLES.index(role) >= ROLES.index(least)

    def may_manage(self, organization_id: int) -> bool:
        """Admins and owners manage projects, keys, teams, members and invitations."""
        return self.has_role(organization_id, "admin")


@dataclass(frozen=True)
class Organization:
    id: int
    slug: str
    name: str
    created_at: float


@dataclass(frozen=True)
class Project:
    id: int
    slug: str
    name: str
    platform: str
    created_at: float
    organization: Organization
    # "Create GitHub/Jira issue": a URL with {title}, {url}, {short_id}, {culprit}; "" = none.
    issue_tracker_url: str = ""
    rate_limit: int | None = None  # events per minute for the whole project; None = none
    # Apdex: a transaction up to this long is "satisfied", up to four times it "tolerated".
    apdex_threshold_ms: int = 300
    # LLM usage: the tags naming a model call's job and channel; whether prompts are kept.
    llm_job_tag: str = "job_id"
    llm_channel_tag: str = "channel"
    llm_store_prompts: bool = False


@dataclass(frozen=True)
class ClientKey:
    id: int
    project_id: int
    public_key: str
    label: str
    is_active: bool
    created_at: float
    rate_limit: int | None = None  # events per minute for this key; None = none


@dataclass(frozen=True)
class Issue:
    id: int
    project: Project
    short_id: int
    type: str
    title: str
    culprit: str
    level: str
    platform: str
    logger: str | None
    status: str
    substatus: str
    first_seen: float
    last_seen: float
    times_seen: int
    user_count: int
    first_release: str | None
    last_release: str | None
    resolved_at: float | None
    metadata: dict[str, Any]
    is_unhandled: bool = False
    # Triage: resolved "in the next release" after this one; ignored until a time, a
    # times_seen or a user_count; who it is assigned to; whether the viewer bookmarked it.
    resolved_in_release: str | None = None
    ignore_until: float | None = None
    ignore_until_count: int | None = None
    ignore_until_users: int | None = None
    assignee: Assignee | None = None
    is_bookmarked: bool = False

    @property
    def short_code(self) -> str:
        """The human id, e.g. ``DEFAULT-1A``: project slug and the short id in base 36."""
        return f"{self.project.slug.upper()}-{base36(self.short_id)}"


@dataclass(frozen=True)
class Assignee:
    """Who an issue is assigned to: a member (``user``) or a team of its organization."""

    kind: str  # "user" or "team"
    id: int
    name: str  # the user's name (or e-mail) or the team's slug
    email: str = ""

    @property
    def actor(self) -> str:
        """``user:<id>`` or ``team:<id>``, as forms and the API name assignees."""
        return f"{self.kind}:{self.id}"

    @property
    def label(self) -> str:
        return f"#{self.name}" if self.kind == "team" else self.name


@dataclass(frozen=True)
class Activity:
    """One entry of an issue's activity log; ``user_id`` None means Heron itself did it."""

    id: int
    issue_id: int
    kind: str
    data: dict[str, Any]
    created_at: float
    user_id: int | None = None
    user_name: str = ""
    user_email: str = ""

    @property
    def actor(self) -> str:
        if self.user_id is None:
            return "Heron"
        return self.user_name or self.user_email or f"user {self.user_id}"


@dataclass(frozen=True)
class Bucket:
    """Events of one time bucket (an hour or a day) starting at ``start``."""

    start: float
    count: int


@dataclass(frozen=True)
class Series:
    """Event counts over time: ``buckets`` of ``size`` seconds, oldest first."""

    size: int
    buckets: list[Bucket]

    @property
    def total(self) -> int:
        return sum(b.count for b in self.buckets)


@dataclass(frozen=True)
class TagValue:
    key: str
    value: str
    count: int
    first_seen: float
    last_seen: float


@dataclass(frozen=True)
class TagSummary:
    """One tag key of an issue: how many events carried it and its most frequent values."""

    key: str
    total: int
    distinct: int
    top: list[TagValue] = field(default_factory=list)


@dataclass(frozen=True)
class Event:
    id: int
    event_id: str
    project_id: int
    issue_id: int | None
    type: str
    timestamp: float
    received_at: float
    level: str
    title: str
    release: str | None
    environment: str | None
    data: dict[str, Any]
    hash: str | None = None  # the grouping hash that routed it to its issue


@dataclass(frozen=True)
class IssueHash:
    """One grouping hash of an issue and the newest event it routed there (if any)."""

    hash: str
    strategy: str
    latest_event: Event | None


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items and whether there is more before and after it."""

    items: list[T]
    offset: int
    limit: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.offset > 0

"""Projects: create, rename, platform, issue tracker link, apdex threshold, grouping rules,
delete.

The rules are Sentry's two syntaxes: fingerprint rules (``error.type:ConnectionError ->
network-errors``) and stack-trace rules (``function:log_* -group``). They are checked with
the grouping package's own parsers when saved, so the digest only ever meets rules that
parse; they apply to events digested from then on.

``actor_id`` is the person asking; None is Heron itself (the CLI, tests). Only admins and
owners change projects; someone outside the organization is told it does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import Connection, select, update

from heron.actions.access import require_role
from heron.actions.errors import ActionError, NotFoundError
from heron.grouping import GroupingRuleError, parse_enhancements, parse_fingerprint_rules
from heron.query.projects import TRACKER_FIELDS
from heron.store import Database, tables
from heron.store import accounts as acc
from heron.store import projects as store

# Far beyond any hand-written rule set; keeps a pasted log file out of every digest batch.
MAX_RULES_CHARS = 64 * 1024
MAX_NAME_CHARS = 200
MAX_PLATFORM_CHARS = 64
MAX_URL_CHARS = 2000
# The apdex threshold in milliseconds: from "everything over 1 ms is slow" to a minute.
APDEX_RANGE = (1, 60_000)
MANAGERS_ONLY = "Only admins and owners may change projects and their keys."
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

# What each rule text is called in messages, by the keyword the actions take.
RULE_FIELDS = {
    "fingerprinting_rules": "fingerprint rules",
    "enhancements": "stack-trace rules",
}


@dataclass(frozen=True)
class GroupingSettings:
    """A project's grouping: its rule texts and the strategies it groups with."""

    fingerprinting_rules: str
    enhancements: str
    grouping_config: str
    secondary_grouping_config: str | None = None
    secondary_grouping_expiry: float | None = None


class InvalidRulesError(ActionError):
    """Rule text that does not parse; ``errors`` maps each bad field to ``line N: problem``."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{RULE_FIELDS[f]}, {e}" for f, e in errors.items()))


def set_grouping_rules(
    db: Database,
    org_slug: str,
    project_slug: str,
    *,
    fingerprinting_rules: str | None = None,
    enhancements: str | None = None,
    actor_id: int | None = None,
) -> GroupingSettings:
    """Replace the project's fingerprint and/or stack-trace rules (None: leave as is).

    Both texts are checked before anything is written; a rule that does not parse raises
    :class:`InvalidRulesError` naming the line and the problem.
    """
    return update_project(
        db,
        org_slug,
        project_slug,
        fingerprinting_rules=fingerprinting_rules,
        enhancements=enhancements,
        actor_id=actor_id,
    )


def update_project(
    db: Database,
    org_slug: str,
    project_slug: str,
    *,
    name: str | None = None,
    platform: str | None = None,
    issue_tracker_url: str | None = None,
    apdex_threshold_ms: int | None = None,
    llm_job_tag: str | None = None,
    llm_channel_tag: str | None = None,
    llm_store_prompts: bool | None = None,
    fingerprinting_rules: str | None = None,
    enhancements: str | None = None,
    actor_id: int | None = None,
) -> GroupingSettings:
    """Change what is given (None: leave as is) in one transaction; returns the grouping."""
    values: dict[str, object] = {}
    if name is not None:
        values["name"] = _name(name)
    if platform is not None:
        values["platform"] = _platform(platform)
    if issue_tracker_url is not None:
        values["issue_tracker_url"] = check_tracker_url(issue_tracker_url)
    if apdex_threshold_ms is not None:
        values["apdex_threshold_ms"] = check_apdex_threshold(apdex_threshold_ms)
    if llm_job_tag is not None:
        values["llm_job_tag"] = check_tag_key(llm_job_tag, "job")
    if llm_channel_tag is not None:
        values["llm_channel_tag"] = check_tag_key(llm_channel_tag, "channel")
    if llm_store_prompts is not None:
        values["llm_store_prompts"] = bool(llm_store_prompts)
    values.update(_checked_rules(fingerprinting_rules, enhancements))
    p = tables.projects
    with db.write() as conn:
        project_id = managed_project(conn, org_slug, project_slug, actor_id)
        if values:
            conn.execute(update(p).where(p.c.id == project_id).values(**values))
        return _settings(conn, project_id)


def new_project(
    db: Database, org_slug: str, name: str, platform: str, *, actor_id: int | None = None
) -> tuple[int, str]:
    """Create a project (and its first key); the slug comes from the name, made unique with
    a number when taken (``shop``, ``shop-2``…). Returns (project id, slug)."""
    name = _name(name)
    base = project_slug(name)
    with db.write() as conn:
        org = acc.organization_by_slug(conn, org_slug)
        if org is None:
            raise NotFoundError(f"organization {org_slug!r} does not exist")
        require_manager(conn, int(org["id"]), actor_id)
        p = tables.projects
        taken = set(
            conn.execute(
                select(p.c.slug).where(p.c.organization_id == org["id"], p.c.slug.like(base + "%"))
            ).scalars()
        )
        slug = base
        number = 1
        while slug in taken:
            number += 1
            suffix = f"-{number}"
            slug = base[: 64 - len(suffix)] + suffix
        project_id = acc.create_project(
            conn, int(org["id"]), slug, name=name, platform=_platform(platform)
        )
    return project_id, slug


def delete_project(
    db: Database,
    org_slug: str,
    project_slug: str,
    *,
    confirm: str | None = None,
    actor_id: int | None = None,
    keys_disabled: Callable[[], object] | None = None,
) -> dict[str, int]:
    """Delete the project with everything stored for it; returns rows deleted per table.

    ``confirm`` (when given) must be the project's slug. Its keys are disabled first and
    ``keys_disabled`` is called as soon as that is committed, so ingest can drop its cache.
    """
    with db.read() as conn:
        project_id = managed_project(conn, org_slug, project_slug, actor_id)
    if confirm is not None and confirm.strip().lower() != project_slug.strip().lower():
        raise ActionError(f"To delete the project, type its slug {project_slug!r} to confirm.")
    return store.delete_project(db, project_id, keys_disabled=keys_disabled)


def project_slug(name: str) -> str:
    """``"Shop API (prod)"`` → ``shop-api-prod``; ``project`` when nothing is left."""
    slug = _NOT_SLUG.sub("-", name.strip().lower()).strip("-")[:64].rstrip("-")
    return slug or "project"


def check_tracker_url(text: str) -> str:
    """An issue tracker URL template: http(s), with only the known placeholders ("" = none)."""
    url = text.strip()
    if not url:
        return ""
    if len(url) > MAX_URL_CHARS or any(c.isspace() or ord(c) < 32 for c in url):
        raise ActionError(
            f"The issue tracker URL must be one line of at most {MAX_URL_CHARS} characters, "
            "without spaces."
        )
    try:
        parts = urlsplit(url)
        scheme, host = parts.scheme, parts.hostname
    except ValueError:  # a malformed host, e.g. an unclosed IPv6 bracket
        scheme, host = "", None
    if scheme not in ("http", "https") or not host:
        raise ActionError("The issue tracker URL must start with http:// or https:// and a host.")
    unknown = [p for p in _PLACEHOLDER.findall(url) if p not in TRACKER_FIELDS]
    if unknown:
        known = ", ".join("{" + f + "}" for f in TRACKER_FIELDS)
        raise ActionError(f"Unknown placeholder {{{unknown[0]}}} in the URL; use {known}.")
    return url


def check_apdex_threshold(value: int) -> int:
    """A whole number of milliseconds within :data:`APDEX_RANGE`."""
    low, high = APDEX_RANGE
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ActionError(
            f"The apdex threshold must be a whole number of milliseconds from {low} to {high}."
        )
    return value


_TAG_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,32}")


def check_tag_key(value: str, what: str) -> str:
    """A tag key as SDKs send them: 1 to 32 letters, digits, ``_``, ``.``, ``:`` or ``-``."""
    key = value.strip()
    if not _TAG_KEY.fullmatch(key):
        raise ActionError(
            f"The {what} tag must be a tag key of 1 to 32 letters, digits, _ . : or -."
        )
    return key


def managed_project(
    conn: Connection, org_slug: str, project_slug: str, actor_id: int | None
) -> int:
    """The project's id, after checking that the actor may manage it."""
    p = tables.projects
    org = acc.organization_by_slug(conn, org_slug)
    row = None
    if org is not None:
        row = conn.execute(
            select(p.c.id, p.c.organization_id).where(
                p.c.organization_id == org["id"], p.c.slug == project_slug.strip().lower()
            )
        ).first()
    if row is None:
        raise NotFoundError(f"project {org_slug}/{project_slug} does not exist")
    try:
        require_manager(conn, int(row.organization_id), actor_id)
    except NotFoundError:
        raise NotFoundError(f"project {org_slug}/{project_slug} does not exist") from None
    return int(row.id)


def require_manager(conn: Connection, organization_id: int, actor_id: int | None) -> None:
    """Admins and owners pass; other members are refused; outsiders are told "not found"."""
    require_role(conn, organization_id, actor_id, "admin", refusal=MANAGERS_ONLY)


def grouping_settings(db: Database, project_id: int) -> GroupingSettings:
    """The project's grouping settings (what the settings page and the API show).

    A read beside the writes because ``query.Project`` does not carry these columns yet.
    """
    with db.read() as conn:
        return _settings(conn, project_id)


def _checked_rules(fingerprints: str | None, enhancements: str | None) -> dict[str, str]:
    """The columns to write; every bad text is reported, not just the first."""
    given = (
        ("fingerprinting_rules", "fingerprinting_rules", fingerprints, parse_fingerprint_rules),
        ("enhancements", "grouping_enhancements", enhancements, parse_enhancements),
    )
    checked: dict[str, str] = {}
    errors: dict[str, str] = {}
    for field, column, raw, parse in given:
        if raw is None:
            continue
        text = _normalized(raw)
        if len(text) > MAX_RULES_CHARS:
            errors[field] = f"longer than {MAX_RULES_CHARS} characters"
        elif "\x00" in text:
            errors[field] = "NUL characters are not allowed"
        else:
            try:
                parse(text)
            except GroupingRuleError as exc:
                errors[field] = str(exc)
        checked[column] = text
    if errors:
        raise InvalidRulesError(errors)
    return checked


def _normalized(text: str) -> str:
    # Browsers post textareas with CRLF; store one line ending and no trailing blank lines.
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).rstrip("\n")


def _name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise ActionError("a project name cannot be empty")
    if len(cleaned) > MAX_NAME_CHARS or "\x00" in cleaned:
        raise ActionError(f"a project name is at most {MAX_NAME_CHARS} printable characters")
    return cleaned


def _platform(platform: str) -> str:
    cleaned = platform.strip().lower()
    allowed = all(c.isascii() and (c.isalnum() or c in "-_.") for c in cleaned)
    if not cleaned or not allowed or len(cleaned) > MAX_PLATFORM_CHARS:
        raise ActionError(f"{platform!r} is not a platform: use letters, digits, '-', '_', '.'")
    return cleaned


def _settings(conn: Connection, project_id: int) -> GroupingSettings:
    p = tables.projects
    row = conn.execute(
        select(
            p.c.fingerprinting_rules,
            p.c.grouping_enhancements,
            p.c.grouping_config,
            p.c.secondary_grouping_config,
            p.c.secondary_grouping_expiry,
        ).where(p.c.id == project_id)
    ).first()
    if row is None:
        raise NotFoundError(f"project {project_id} does not exist")
    return GroupingSettings(
        fingerprinting_rules=row.fingerprinting_rules or "",
        enhancements=row.grouping_enhancements or "",
        grouping_config=row.grouping_config,
        secondary_grouping_config=row.secondary_grouping_config,
        secondary_grouping_expiry=row.secondary_grouping_expiry,
    )

"""Changing a project: its name and platform, and the grouping rules people write for it.

The rules are Sentry's two syntaxes: fingerprint rules (``error.type:ConnectionError ->
network-errors``) and stack-trace rules (``function:log_* -group``). They are checked with
the grouping package's own parsers when saved, so the digest only ever meets rules that
parse; they apply to events digested from then on.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select, update

from heron.actions.errors import ActionError, NotFoundError
from heron.grouping import GroupingRuleError, parse_enhancements, parse_fingerprint_rules
from heron.store import Database, tables
from heron.store import accounts as acc

# Far beyond any hand-written rule set; keeps a pasted log file out of every digest batch.
MAX_RULES_CHARS = 64 * 1024
MAX_NAME_CHARS = 200
MAX_PLATFORM_CHARS = 64

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
    )


def update_project(
    db: Database,
    org_slug: str,
    project_slug: str,
    *,
    name: str | None = None,
    platform: str | None = None,
    fingerprinting_rules: str | None = None,
    enhancements: str | None = None,
) -> GroupingSettings:
    """Change what is given (None: leave as is) in one transaction; returns the grouping."""
    values: dict[str, object] = {}
    if name is not None:
        values["name"] = _name(name)
    if platform is not None:
        values["platform"] = _platform(platform)
    values.update(_checked_rules(fingerprinting_rules, enhancements))
    p = tables.projects
    with db.write() as conn:
        project_id = _project_id(conn, org_slug, project_slug)
        if values:
            conn.execute(update(p).where(p.c.id == project_id).values(**values))
        return _settings(conn, project_id)


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


def _project_id(conn: Connection, org_slug: str, project_slug: str) -> int:
    org = acc.organization_by_slug(conn, org_slug)
    p = tables.projects
    project_id = None
    if org is not None:
        project_id = conn.execute(
            select(p.c.id).where(
                p.c.organization_id == org["id"], p.c.slug == project_slug.strip().lower()
            )
        ).scalar()
    if project_id is None:
        raise NotFoundError(f"project {org_slug}/{project_slug} does not exist")
    return int(project_id)


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

"""Projects, client keys, issues and tag values in the shapes of Sentry's Web API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from heron.actions import GroupingSettings
from heron.bootstrap import dsn_for
from heron.query import ClientKey, Issue, Organization, Project, TagSummary, TagValue
from heron.settings import Config

# Labels Sentry shows for its built-in tag keys; any other key is its own label.
TAG_NAMES = {
    "level": "Level",
    "environment": "Environment",
    "release": "Release",
    "user": "User",
    "transaction": "Transaction",
    "url": "URL",
    "browser": "Browser",
    "browser.name": "Browser Name",
    "os": "OS",
    "os.name": "OS Name",
    "runtime": "Runtime",
    "runtime.name": "Runtime Name",
    "server_name": "Server",
    "handled": "Handled",
    "mechanism": "Mechanism",
    "logger": "Logger",
}


def iso(timestamp: float | None) -> str | None:
    """Epoch seconds as ISO 8601 in UTC with a ``Z``, like Sentry writes dates."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def organization_json(org: Organization) -> dict[str, Any]:
    return {
        "id": str(org.id),
        "slug": org.slug,
        "name": org.name,
        "dateCreated": iso(org.created_at),
        "status": {"id": "active", "name": "active"},
        "isEarlyAdopter": False,
        "require2FA": False,
        "features": [],
    }


def project_json(project: Project) -> dict[str, Any]:
    org = project.organization
    return {
        "id": str(project.id),
        "slug": project.slug,
        "name": project.name,
        "platform": project.platform,
        "dateCreated": iso(project.created_at),
        "isBookmarked": False,
        "isMember": True,
        "hasAccess": True,
        "isPublic": False,
        "status": "active",
        "features": [],
        "organization": {"id": str(org.id), "slug": org.slug, "name": org.name},
    }


def project_detail_json(project: Project, grouping: GroupingSettings) -> dict[str, Any]:
    """One project as Sentry's project details show it, with its grouping settings."""
    expiry = grouping.secondary_grouping_expiry
    return {
        **project_json(project),
        "fingerprintingRules": grouping.fingerprinting_rules,
        "groupingEnhancements": grouping.enhancements,
        "groupingConfig": grouping.grouping_config,
        "secondaryGroupingConfig": grouping.secondary_grouping_config,
        "secondaryGroupingExpiry": int(expiry) if expiry is not None else None,
    }


def key_json(key: ClientKey, config: Config) -> dict[str, Any]:
    base = config.effective_public_url
    public = dsn_for(config, key.public_key, key.project_id)
    security = f"{base}/api/{key.project_id}/security/?sentry_key={key.public_key}"
    return {
        "id": key.public_key,
        "name": key.label,
        "label": key.label,
        "public": key.public_key,
        "isActive": key.is_active,
        "projectId": key.project_id,
        "dateCreated": iso(key.created_at),
        "rateLimit": None,
        "dsn": {
            # Heron keys have no secret part; the "secret" DSN is the public one.
            "public": public,
            "secret": public,
            "store": f"{base}/api/{key.project_id}/store/",
            "envelope": f"{base}/api/{key.project_id}/envelope/",
            "security": security,
            "csp": security,
        },
    }


def issue_json(issue: Issue, config: Config) -> dict[str, Any]:
    project = issue.project
    metadata = {k: v for k, v in issue.metadata.items() if v is not None}
    metadata.setdefault("title", issue.title)
    return {
        "id": str(issue.id),
        "shareId": None,
        "shortId": issue.short_code,
        "title": issue.title,
        "culprit": issue.culprit,
        "permalink": f"{config.effective_public_url}/issues/{issue.id}/",
        "logger": issue.logger,
        "level": issue.level,
        "status": issue.status,
        "statusDetails": {},
        "substatus": _substatus(issue),
        "isPublic": False,
        "platform": issue.platform,
        "project": {
            "id": str(project.id),
            "slug": project.slug,
            "name": project.name,
            "platform": project.platform,
        },
        "type": issue.type,
        "issueType": "error" if issue.type == "error" else "default",
        "issueCategory": "error",
        "metadata": metadata,
        "numComments": 0,
        "assignedTo": None,
        "isBookmarked": False,
        "isSubscribed": False,
        "subscriptionDetails": None,
        "hasSeen": False,
        "annotations": [],
        "isUnhandled": issue.is_unhandled,
        "count": str(issue.times_seen),
        "userCount": issue.user_count,
        "firstSeen": iso(issue.first_seen),
        "lastSeen": iso(issue.last_seen),
    }


def issue_detail_json(issue: Issue, tags: list[TagSummary], config: Config) -> dict[str, Any]:
    detail = issue_json(issue, config)
    detail.update(
        tags=[tag_summary_json(t) for t in tags],
        firstRelease=release_json(issue.first_release),
        lastRelease=release_json(issue.last_release),
        activity=[],
        seenBy=[],
        participants=[],
        pluginActions=[],
        pluginIssues=[],
        pluginContexts=[],
        userReportCount=0,
    )
    return detail


def release_json(version: str | None) -> dict[str, Any] | None:
    if not version:
        return None
    return {"version": version, "shortVersion": version}


def tag_summary_json(tag: TagSummary) -> dict[str, Any]:
    return {
        "key": tag.key,
        "name": TAG_NAMES.get(tag.key, tag.key),
        "totalValues": tag.total,
        "uniqueValues": tag.distinct,
        "topValues": [tag_value_json(v) for v in tag.top],
    }


def tag_value_json(value: TagValue) -> dict[str, Any]:
    return {
        "key": value.key,
        "name": value.value,
        "value": value.value,
        "count": value.count,
        "lastSeen": iso(value.last_seen),
        "firstSeen": iso(value.first_seen),
    }


def _substatus(issue: Issue) -> str | None:
    # Sentry reports no substatus for resolved issues, and "archived_forever" for issues
    # ignored without a condition (the only kind Heron has).
    if issue.status == "resolved":
        return None
    if issue.status == "ignored":
        return "archived_forever"
    return issue.substatus

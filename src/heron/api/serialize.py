"""Projects, client keys, issues and tag values in the shapes of Sentry's Web API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from heron.actions import GroupingSettings
from heron.bootstrap import dsn_for
from heron.query import (
    Activity,
    Assignee,
    ClientKey,
    Issue,
    Organization,
    Project,
    TagSummary,
    TagValue,
)
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
        "apdexThreshold": project.apdex_threshold_ms,
        "llmJobTag": project.llm_job_tag,
        "llmChannelTag": project.llm_channel_tag,
        "llmStorePrompts": project.llm_store_prompts,
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
        "rateLimit": {"window": 60, "count": key.rate_limit} if key.rate_limit else None,
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


def issue_json(issue: Issue, config: Config, *, num_comments: int = 0) -> dict[str, Any]:
    project = issue.project
    metadata = {k: v for k, v in issue.metadata.items() if v is not None}
    metadata.setdefault("title", issue.title)
    perf = issue.type.startswith("performance_")
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
        "statusDetails": status_details(issue),
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
        "issueType": issue.type if perf else "error" if issue.type == "error" else "default",
        "issueCategory": "performance" if perf else "error",
        "metadata": metadata,
        "numComments": num_comments,
        "assignedTo": assignee_json(issue.assignee),
        "isBookmarked": issue.is_bookmarked,
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


def issue_detail_json(
    issue: Issue, tags: list[TagSummary], activity: list[Activity], config: Config
) -> dict[str, Any]:
    detail = issue_json(issue, config, num_comments=sum(a.kind == "note" for a in activity))
    detail.update(
        tags=[tag_summary_json(t) for t in tags],
        firstRelease=release_json(issue.first_release),
        lastRelease=release_json(issue.last_release),
        activity=[activity_json(a) for a in activity],
        seenBy=[],
        participants=[],
        pluginActions=[],
        pluginIssues=[],
        pluginContexts=[],
        userReportCount=0,
    )
    return detail


def status_details(issue: Issue) -> dict[str, Any]:
    """Sentry's ``statusDetails``: how an issue is resolved or until when it is ignored
    (``ignoreCount``/``ignoreUserCount``: the events or users still to come)."""
    details: dict[str, Any] = {}
    if issue.status == "resolved" and issue.resolved_in_release:
        details.update(inNextRelease=True, afterRelease=issue.resolved_in_release)
    if issue.status == "ignored":
        if issue.ignore_until is not None:
            details["ignoreUntil"] = iso(issue.ignore_until)
        if issue.ignore_until_count is not None:
            details["ignoreCount"] = max(issue.ignore_until_count - issue.times_seen, 0)
        if issue.ignore_until_users is not None:
            details["ignoreUserCount"] = max(issue.ignore_until_users - issue.user_count, 0)
    return details


def assignee_json(assignee: Assignee | None) -> dict[str, Any] | None:
    if assignee is None:
        return None
    body: dict[str, Any] = {"type": assignee.kind, "id": str(assignee.id), "name": assignee.name}
    if assignee.kind == "user":
        body["email"] = assignee.email
    return body


def activity_json(entry: Activity) -> dict[str, Any]:
    """One activity entry (comments are ``note`` entries with ``data.text``)."""
    user = None
    if entry.user_id is not None:
        user = {
            "id": str(entry.user_id),
            "name": entry.user_name or entry.user_email,
            "email": entry.user_email,
            "username": entry.user_email,
        }
    return {
        "id": str(entry.id),
        "type": entry.kind,
        "data": entry.data,
        "user": user,
        "dateCreated": iso(entry.created_at),
    }


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
    # Sentry reports no substatus for resolved issues; ignored ones are archived forever or
    # until a condition (a time, more events, more users) is met.
    if issue.status == "resolved":
        return None
    if issue.status == "ignored":
        limited = (issue.ignore_until, issue.ignore_until_count, issue.ignore_until_users)
        if any(v is not None for v in limited):
            return "archived_until_condition_met"
        return "archived_forever"
    return issue.substatus

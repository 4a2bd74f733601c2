"""Read models for people: who is looking, projects, issue lists, tags and events.

The web pages and the REST API read through here; no SQL lives in views.
"""

from heron.query.errors import QueryError
from heron.query.events import (
    get_event,
    get_issue_event,
    latest_event,
    list_events,
    neighbours,
    normalize_event_id,
    oldest_event,
)
from heron.query.grouped_by import Contribution, GroupedBy, VariantView, grouped_by
from heron.query.hashes import count_hashes, list_hashes
from heron.query.issues import count_issues, get_issue, list_issues
from heron.query.models import (
    ROLES,
    ClientKey,
    Event,
    Issue,
    IssueHash,
    Organization,
    Page,
    Project,
    TagSummary,
    TagValue,
    Viewer,
    base36,
)
from heron.query.projects import (
    get_organization,
    get_project,
    list_keys,
    list_organizations,
    list_projects,
)
from heron.query.search import (
    DEFAULT_QUERY,
    SORTS,
    Search,
    Term,
    check_sort,
    parse_period,
    parse_query,
)
from heron.query.tags import tag_summaries, tag_values
from heron.query.viewers import authenticate, viewer_for_token, viewer_for_user

__all__ = [
    "DEFAULT_QUERY",
    "ROLES",
    "SORTS",
    "ClientKey",
    "Contribution",
    "Event",
    "GroupedBy",
    "Issue",
    "IssueHash",
    "Organization",
    "Page",
    "Project",
    "QueryError",
    "Search",
    "TagSummary",
    "TagValue",
    "Term",
    "VariantView",
    "Viewer",
    "authenticate",
    "base36",
    "check_sort",
    "count_hashes",
    "count_issues",
    "get_event",
    "get_issue",
    "get_issue_event",
    "get_organization",
    "get_project",
    "grouped_by",
    "latest_event",
    "list_events",
    "list_hashes",
    "list_issues",
    "list_keys",
    "list_organizations",
    "list_projects",
    "neighbours",
    "normalize_event_id",
    "oldest_event",
    "parse_period",
    "parse_query",
    "tag_summaries",
    "tag_values",
    "viewer_for_token",
    "viewer_for_user",
]

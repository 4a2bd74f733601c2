"""State changes people ask for, shared by the web pages, the REST API and the CLI."""

from heron.actions.accounts import (
    add_member,
    create_organization,
    create_project,
    create_token,
    create_user,
    set_grouping_strategy,
    set_rate_limit,
)
from heron.actions.errors import ActionError, NotFoundError
from heron.actions.issues import STATUSES, set_issue_status
from heron.actions.merge import merge_issues, unmerge_hash
from heron.actions.projects import (
    GroupingSettings,
    InvalidRulesError,
    grouping_settings,
    set_grouping_rules,
    update_project,
)

__all__ = [
    "STATUSES",
    "ActionError",
    "GroupingSettings",
    "InvalidRulesError",
    "NotFoundError",
    "add_member",
    "create_organization",
    "create_project",
    "create_token",
    "create_user",
    "grouping_settings",
    "merge_issues",
    "set_grouping_rules",
    "set_grouping_strategy",
    "set_issue_status",
    "set_rate_limit",
    "unmerge_hash",
    "update_project",
]

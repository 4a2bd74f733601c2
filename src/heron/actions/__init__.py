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
from heron.actions.comments import add_comment, delete_comment
from heron.actions.errors import ActionError, NotFoundError, PermissionDenied
from heron.actions.invites import (
    INVITE_LIFETIME,
    NewInvite,
    accept_invite,
    invite_member,
    revoke_invite,
)
from heron.actions.issues import STATUSES, delete_issues, set_issue_status
from heron.actions.keys import (
    KEEP,
    create_key,
    delete_key,
    parse_rate_limit,
    rotate_key,
    set_key_active,
    set_key_rate_limit,
    update_key,
)
from heron.actions.llm import delete_llm_price, reprice_llm_calls, set_llm_price
from heron.actions.llm_budgets import create_llm_budget, delete_llm_budget, update_llm_budget
from heron.actions.members import remove_member, set_member_role
from heron.actions.merge import merge_issues, unmerge_hash
from heron.actions.projects import (
    GroupingSettings,
    InvalidRulesError,
    check_tracker_url,
    delete_project,
    grouping_settings,
    new_project,
    project_slug,
    set_grouping_rules,
    update_project,
)
from heron.actions.teams import (
    add_team_member,
    create_team,
    delete_team,
    remove_team_member,
    team_slug,
)
from heron.actions.tokens import (
    change_password,
    create_user_token,
    note_token_use,
    rename_user,
    revoke_user_token,
)
from heron.actions.triage import assign_issue, set_bookmark

__all__ = [
    "INVITE_LIFETIME",
    "KEEP",
    "STATUSES",
    "ActionError",
    "GroupingSettings",
    "InvalidRulesError",
    "NewInvite",
    "NotFoundError",
    "PermissionDenied",
    "accept_invite",
    "add_comment",
    "add_member",
    "add_team_member",
    "assign_issue",
    "change_password",
    "check_tracker_url",
    "create_key",
    "create_llm_budget",
    "create_organization",
    "create_project",
    "create_team",
    "create_token",
    "create_user",
    "create_user_token",
    "delete_comment",
    "delete_issues",
    "delete_key",
    "delete_llm_budget",
    "delete_llm_price",
    "delete_project",
    "delete_team",
    "grouping_settings",
    "invite_member",
    "merge_issues",
    "new_project",
    "note_token_use",
    "parse_rate_limit",
    "project_slug",
    "remove_member",
    "remove_team_member",
    "rename_user",
    "reprice_llm_calls",
    "revoke_invite",
    "revoke_user_token",
    "rotate_key",
    "set_bookmark",
    "set_grouping_rules",
    "set_grouping_strategy",
    "set_issue_status",
    "set_key_active",
    "set_key_rate_limit",
    "set_llm_price",
    "set_member_role",
    "set_rate_limit",
    "team_slug",
    "unmerge_hash",
    "update_key",
    "update_llm_budget",
    "update_project",
]

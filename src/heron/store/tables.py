"""The schema, as SQLAlchemy Core tables. Alembic migrations are checked against it.

Times are stored as float seconds since the epoch (UTC): one type that SQLite and PostgreSQL
compare and index the same way. Big payloads are zstd-compressed JSON blobs.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

# SQLite only makes an INTEGER PRIMARY KEY an alias of the rowid; BigInteger there would not
# autoincrement, so big ids use INTEGER on SQLite and BIGINT elsewhere.
BigId = BigInteger().with_variant(Integer(), "sqlite")

instance = Table(
    "instance",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

organizations = Table(
    "organizations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("created_at", Float, nullable=False),
)

projects = Table(
    "projects",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("organization_id", ForeignKey("organizations.id"), nullable=False),
    Column("slug", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("platform", String(64), nullable=False, default="python"),
    Column("rate_limit", Integer, nullable=True),  # events per minute; NULL = unlimited
    Column("next_short_id", Integer, nullable=False, default=1),
    Column("created_at", Float, nullable=False),
    # Grouping: project rules in Sentry's syntaxes, the strategy new events use and, during
    # an upgrade, the previous strategy whose hashes are still looked up until the expiry.
    Column("fingerprinting_rules", Text, nullable=False, server_default=""),
    Column("grouping_enhancements", Text, nullable=False, server_default=""),
    Column("grouping_config", String(64), nullable=False, server_default="newstyle:2023-01-11"),
    Column("secondary_grouping_config", String(64), nullable=True),
    Column("secondary_grouping_expiry", Float, nullable=True),
    # "Create GitHub/Jira issue": a URL with {title}, {url}, {short_id}, {culprit} filled in.
    Column("issue_tracker_url", Text, nullable=False, server_default=""),
    # Apdex threshold T (ms): satisfied ≤ T < tolerating ≤ 4T < frustrated; user misery too.
    Column("apdex_threshold_ms", Integer, nullable=False, server_default="300"),
    # LLM usage: the tags whose values are a call's job and channel, and whether prompts and
    # responses are kept (otherwise only their lengths are).
    Column("llm_job_tag", String(32), nullable=False, server_default="job_id"),
    Column("llm_channel_tag", String(32), nullable=False, server_default="channel"),
    Column("llm_store_prompts", Boolean, nullable=False, server_default=false()),
    UniqueConstraint("organization_id", "slug"),
)

project_keys = Table(
    "project_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", ForeignKey("projects.id"), nullable=False, index=True),
    Column("public_key", String(64), nullable=False, unique=True),
    Column("label", String(200), nullable=False, default="Default"),
    Column("is_active", Boolean, nullable=False, default=True),
    Column("rate_limit", Integer, nullable=True),  # events per minute for this key; NULL = none
    Column("created_at", Float, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(200), nullable=False, default=""),
    Column("password_hash", String(300), nullable=False),
    Column("is_superuser", Boolean, nullable=False, default=False),
    Column("is_active", Boolean, nullable=False, default=True),
    Column("created_at", Float, nullable=False),
)

members = Table(
    "members",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("organization_id", ForeignKey("organizations.id"), nullable=False),
    Column("user_id", ForeignKey("users.id"), nullable=False, index=True),
    Column("role", String(32), nullable=False, default="member"),
    UniqueConstraint("organization_id", "user_id"),
)

teams = Table(
    "teams",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("organization_id", ForeignKey("organizations.id"), nullable=False),
    Column("slug", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("organization_id", "slug"),
)

team_members = Table(
    "team_members",
    metadata,
    Column("team_id", ForeignKey("teams.id"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True, index=True),
)

# Invitations by link: the link carries a random token, only its hash is stored.
invites = Table(
    "invites",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("organization_id", ForeignKey("organizations.id"), nullable=False, index=True),
    Column("email", String(254), nullable=False),
    Column("role", String(32), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("invited_by", ForeignKey("users.id"), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("accepted_at", Float, nullable=True),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False, default=""),
    Column("created_at", Float, nullable=False),
    Column("last_used_at", Float, nullable=True),
)


def inbox_columns() -> list[Column[Any]]:
    """The queue's columns, shared by the table here (PostgreSQL) and the SQLite inbox file."""
    return [
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("project_id", Integer, nullable=False),
        Column("received_at", Float, nullable=False),
        Column("kind", String(16), nullable=False),  # "envelope" or "outcomes"
        Column("client_ip", String(64), nullable=True),
        Column("body", LargeBinary, nullable=False),
    ]


# The durable queue of raw envelopes between ingest and digest.
inbox = Table("inbox", metadata, *inbox_columns())

# The SQLite inbox lives in a file of its own; this mark says up to which inbox id the main
# database holds the results (written in the same transaction as those results).
inbox_progress = Table(
    "inbox_progress",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_id", BigInteger, nullable=False),
)

# Envelopes the digest could not process: kept with the error, never silently dropped.
inbox_failed = Table(
    "inbox_failed",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("inbox_id", BigInteger, nullable=False),
    Column("project_id", Integer, nullable=False),
    Column("received_at", Float, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("client_ip", String(64), nullable=True),
    Column("body", LargeBinary, nullable=False),
    Column("error", Text, nullable=False),
    Column("failed_at", Float, nullable=False),
)

issues = Table(
    "issues",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("project_id", ForeignKey("projects.id"), nullable=False),
    Column("short_id", Integer, nullable=False),
    Column("strategy", String(64), nullable=False),
    Column("type", String(64), nullable=False, default="error"),
    Column("title", Text, nullable=False),
    Column("culprit", Text, nullable=False, default=""),
    Column("level", String(16), nullable=False),
    Column("platform", String(64), nullable=False, default="other"),
    Column("logger", String(200), nullable=True),
    Column("status", String(16), nullable=False, default="unresolved"),
    Column("substatus", String(16), nullable=False, default="new"),
    Column("first_seen", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
    Column("times_seen", Integer, nullable=False, default=0),
    Column("user_count", Integer, nullable=False, default=0),
    Column("first_release", String(250), nullable=True),
    Column("last_release", String(250), nullable=True),
    Column("resolved_at", Float, nullable=True),
    # Resolved "in the next release": events of this release (or of releases first seen
    # before the resolution) do not regress the issue; a newer release does.
    Column("resolved_in_release", String(250), nullable=True),
    # Ignored until a time, until times_seen reaches a count, or until user_count does.
    Column("ignore_until", Float, nullable=True),
    Column("ignore_until_count", Integer, nullable=True),
    Column("ignore_until_users", Integer, nullable=True),
    Column("assignee_user_id", Integer, nullable=True),
    Column("assignee_team_id", Integer, nullable=True),
    Column("metadata", Text, nullable=False, default="{}"),  # JSON
    UniqueConstraint("project_id", "short_id"),
    Index("ix_issues_project_last_seen", "project_id", "last_seen"),
    # The digest's once-a-minute sweep of ignores that ran out: partial, so it holds only
    # the few issues ignored for a time.
    Index(
        "ix_issues_ignore_until",
        "ignore_until",
        sqlite_where=text("ignore_until IS NOT NULL"),
        postgresql_where=text("ignore_until IS NOT NULL"),
    ),
)

# Every grouping hash routes to exactly one issue of its project.
issue_hashes = Table(
    "issue_hashes",
    metadata,
    Column("project_id", Integer, primary_key=True),
    Column("hash", String(64), primary_key=True),
    Column("issue_id", ForeignKey("issues.id"), nullable=False, index=True),
    Column("strategy", String(64), nullable=False),
)

# Events per issue and hour: sparklines and event charts without scanning events.
issue_counts = Table(
    "issue_counts",
    metadata,
    Column("issue_id", BigInteger, primary_key=True),
    Column("bucket", Integer, primary_key=True),  # hour start, epoch seconds
    Column("count", Integer, nullable=False),
)

# Who did what to an issue, and what happened to it: first seen, status changes,
# regressions, assignment, comments, merges.
activity = Table(
    "activity",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("issue_id", BigInteger, nullable=False),
    Column("project_id", Integer, nullable=False),
    Column("user_id", Integer, nullable=True),  # NULL: Heron itself
    Column("kind", String(32), nullable=False),
    Column("data", Text, nullable=False, default="{}"),  # JSON
    Column("created_at", Float, nullable=False),
    Index("ix_activity_issue_created", "issue_id", "created_at"),
)

bookmarks = Table(
    "bookmarks",
    metadata,
    Column("user_id", Integer, primary_key=True),
    Column("issue_id", BigInteger, primary_key=True, index=True),
    Column("created_at", Float, nullable=False),
)

# Releases and environments each project has seen (first seen decides "the next release").
releases = Table(
    "releases",
    metadata,
    Column("project_id", Integer, primary_key=True),
    Column("version", String(250), primary_key=True),
    Column("first_seen", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
)

environments = Table(
    "environments",
    metadata,
    Column("project_id", Integer, primary_key=True),
    Column("name", String(64), primary_key=True),
)

events = Table(
    "events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("project_id", Integer, nullable=False),
    Column("event_id", String(32), nullable=False),
    Column("issue_id", BigInteger, nullable=True),
    Column("type", String(32), nullable=False),
    Column("timestamp", Float, nullable=False),
    Column("received_at", Float, nullable=False),
    Column("level", String(16), nullable=False),
    Column("title", Text, nullable=False),
    Column("release", String(250), nullable=True),
    Column("environment", String(64), nullable=True),
    Column("user_key", String(300), nullable=True),
    Column("hash", String(64), nullable=True),  # the grouping hash that routed it (unmerge)
    Column("trace_id", String(32), nullable=True),  # contexts.trace.trace_id: the trace view
    Column("data", LargeBinary, nullable=False),  # zstd(orjson(normalized event))
    UniqueConstraint("project_id", "event_id"),
    Index("ix_events_trace_id", "trace_id"),
    Index("ix_events_issue_timestamp", "issue_id", "timestamp"),
    Index("ix_events_project_hash", "project_id", "hash"),
)

issue_tags = Table(
    "issue_tags",
    metadata,
    Column("issue_id", BigInteger, primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("value", String(200), primary_key=True),
    Column("times_seen", Integer, nullable=False),
    Column("first_seen", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
    Index("ix_issue_tags_key_value", "key", "value"),
)

issue_users = Table(
    "issue_users",
    metadata,
    Column("issue_id", BigInteger, primary_key=True),
    Column("user_key", String(300), primary_key=True),
)

attachments = Table(
    "attachments",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("project_id", Integer, nullable=False),
    Column("event_id", String(32), nullable=False, index=True),
    Column("filename", String(500), nullable=False),
    Column("content_type", String(200), nullable=True),
    Column("attachment_type", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("received_at", Float, nullable=False),
)

# Items of types a later stage will process (transactions, spans, sessions, logs, …): kept
# raw and compressed so nothing acknowledged is lost before those stages exist.
stored_items = Table(
    "stored_items",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("project_id", Integer, nullable=False),
    Column("type", String(64), nullable=False),
    Column("event_id", String(32), nullable=True),
    # Transactions and span containers: the trace view rebuilds a trace's spans from these.
    Column("trace_id", String(32), nullable=True),
    Column("received_at", Float, nullable=False),
    Column("headers", Text, nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Index("ix_stored_items_project_type", "project_id", "type", "received_at"),
    Index("ix_stored_items_trace_id", "trace_id"),
    Index("ix_stored_items_event_id", "event_id"),
)

# Transactions (classic transaction items and span-v2 segments), one row each: the slowest
# events of a transaction, the trace view and related issues read these. The raw payload
# stays in stored_items.
transactions = Table(
    "transactions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("project_id", Integer, nullable=False),
    Column("event_id", String(32), nullable=False),
    Column("trace_id", String(32), nullable=False),
    Column("span_id", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("op", String(64), nullable=False),
    Column("status", String(32), nullable=False),
    Column("environment", String(64), nullable=False, server_default=""),
    Column("release", String(250), nullable=False, server_default=""),
    Column("timestamp", Float, nullable=False),  # end, epoch seconds
    Column("duration_ms", Float, nullable=False),
    Column("is_failure", Boolean, nullable=False),
    Column("user_key", String(300), nullable=True),
    Column("http_status", Integer, nullable=True),
    Column("span_count", Integer, nullable=False),
    UniqueConstraint("project_id", "event_id"),
    Index("ix_transactions_project_name_timestamp", "project_id", "name", "timestamp"),
    Index("ix_transactions_trace_id", "trace_id"),
)

# Performance rollups per transaction name, environment and release, in minute, hour and day
# buckets (``size`` seconds): counts, failures and mergeable sketches (heron.rollup), so
# percentiles, apdex and misery over any range never scan transactions.
perf_rollups = Table(
    "perf_rollups",
    metadata,
    Column("project_id", Integer, primary_key=True),
    Column("name", String(200), primary_key=True),
    Column("environment", String(64), primary_key=True),
    Column("release", String(250), primary_key=True),
    Column("size", Integer, primary_key=True),
    Column("bucket", Integer, primary_key=True),
    Column("count", BigInteger, nullable=False),
    Column("failures", BigInteger, nullable=False),
    Column("data", LargeBinary, nullable=False),  # heron.rollup.codec: sketches, users
    Index("ix_perf_rollups_project_size_bucket", "project_id", "size", "bucket"),
)

# perf_rollups rows with this name total all of a project's transactions (per environment,
# release and bucket), so project-wide charts read one row per bucket. Real names are never "".
ALL_TRANSACTIONS = ""
# Hour and day perf_rollups rows with this release total every release of their name,
# environment and bucket; with this environment too, every environment and release. Pages
# without those filters read them: one row per name and day instead of one per environment and
# release. The digest takes this character out of real environments and releases.
ALL_VALUES = "\x1f"
ALL_VALUES_SIZES = (3600, 86400)  # hour and day rows

# The same per span group (op + normalized description) under a transaction name.
span_rollups = Table(
    "span_rollups",
    metadata,
    Column("project_id", Integer, primary_key=True),
    Column("transaction", String(200), primary_key=True),
    Column("op", String(64), primary_key=True),
    Column("group", String(16), primary_key=True),
    Column("size", Integer, primary_key=True),
    Column("bucket", Integer, primary_key=True),
    Column("description", Text, nullable=False),
    Column("count", BigInteger, nullable=False),
    Column("durations", LargeBinary, nullable=False),  # DurationSketch bytes
)

# One row per model call found in AI spans (heron.llm): tokens as reported (NULL = not
# reported, never 0), the cost in USD at the prices of ``price_version`` (NULL = unpriced
# model or unknown tokens), and the context the call is attributed to.
llm_calls = Table(
    "llm_calls",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("project_id", Integer, nullable=False),
    Column("event_id", String(32), nullable=False),  # the transaction's
    Column("trace_id", String(32), nullable=False),
    Column("span_id", String(32), nullable=False),
    Column("timestamp", Float, nullable=False),
    Column("duration_ms", Float, nullable=False),
    Column("status", String(16), nullable=False),  # ok | error
    Column("operation", String(64), nullable=False),
    Column("provider", String(64), nullable=True),
    Column("request_model", String(200), nullable=True),
    Column("response_model", String(200), nullable=True),
    Column("model", String(200), nullable=False),  # the priced model, or the one reported
    Column("streaming", Boolean, nullable=True),
    Column("ttft_ms", Float, nullable=True),
    Column("input_tokens", BigInteger, nullable=True),
    Column("cache_read_tokens", BigInteger, nullable=True),
    Column("cache_write_tokens", BigInteger, nullable=True),
    Column("output_tokens", BigInteger, nullable=True),
    Column("reasoning_tokens", BigInteger, nullable=True),
    Column("total_tokens", BigInteger, nullable=True),
    Column("cost_usd", Float, nullable=True),
    Column("cache_savings_usd", Float, nullable=True),  # cache reads over the input price
    Column("price_version", String(64), nullable=True),
    Column("transaction", String(200), nullable=False),
    Column("environment", String(64), nullable=False, server_default=""),
    Column("release", String(250), nullable=False, server_default=""),
    Column("user_key", String(300), nullable=True),
    Column("job_id", String(200), nullable=True),
    Column("channel", String(200), nullable=True),
    Column("agent_name", String(200), nullable=True),
    Column("conversation_id", String(200), nullable=True),
    Column("prompt_chars", Integer, nullable=True),
    Column("response_chars", Integer, nullable=True),
    Column("prompt", Text, nullable=True),  # only where the project keeps prompts
    Column("response", Text, nullable=True),
    Column("source", String(16), nullable=False),  # span | measurements
    UniqueConstraint("project_id", "trace_id", "span_id"),
    Index("ix_llm_calls_project_timestamp", "project_id", "timestamp"),
    Index("ix_llm_calls_project_job", "project_id", "job_id"),
)

# LLM usage summed per hour and per day (``size``) of each project, environment and value of a
# dimension (``dimension`` "" with value "" is every call; else model, user, job…; value ""
# is none), so the LLM pages and budgets never scan ``llm_calls``. The every-call rows also
# hold sketches of the calls' durations and times to first token (milliseconds).
# The dimensions of ``llm_rollups`` → the ``llm_calls`` column their values come from.
LLM_DIMENSIONS = {
    "model": "model",
    "provider": "provider",
    "user": "user_key",
    "job": "job_id",
    "channel": "channel",
    "transaction": "transaction",
    "release": "release",
    "operation": "operation",
}
LLM_TOKENS = ("input", "cache_read", "cache_write", "output", "reasoning", "total")
llm_rollups = Table(
    "llm_rollups",
    metadata,
    Column("project_id", Integer, primary_key=True),
    Column("dimension", String(16), primary_key=True),
    Column("size", Integer, primary_key=True),
    Column("bucket", Integer, primary_key=True),
    Column("environment", String(64), primary_key=True),
    Column("value", String(300), primary_key=True),
    Column("calls", BigInteger, nullable=False),
    Column("errors", BigInteger, nullable=False),
    Column("input_tokens", BigInteger, nullable=False),
    Column("cache_read_tokens", BigInteger, nullable=False),
    Column("cache_write_tokens", BigInteger, nullable=False),
    Column("output_tokens", BigInteger, nullable=False),
    Column("reasoning_tokens", BigInteger, nullable=False),
    Column("total_tokens", BigInteger, nullable=False),
    Column("usage_tokens", BigInteger, nullable=False),  # total, else input + output
    Column("unknown_tokens", BigInteger, nullable=False),  # calls whose usage is unknown
    Column("unpriced", BigInteger, nullable=False),
    Column("cost_usd", Float, nullable=False),
    Column("cache_savings_usd", Float, nullable=False),
    Column("duration_ms", Float, nullable=False),  # summed
    Column("durations", LargeBinary, nullable=True),  # DurationSketch bytes (dimension "")
    Column("ttfts", LargeBinary, nullable=True),
)

# A project's own LLM prices (USD per 1M tokens, exact decimals as text): they win over the
# bundled table, and a rate of 0 is a price (a free or self-hosted model).
llm_prices = Table(
    "llm_prices",
    metadata,
    Column("project_id", Integer, primary_key=True),
    Column("model", String(200), primary_key=True),
    Column("input", String(40), nullable=False),
    Column("output", String(40), nullable=False),
    Column("cached_input", String(40), nullable=True),
    Column("cache_write", String(40), nullable=True),
    Column("reasoning", String(40), nullable=True),
    Column("updated_at", Float, nullable=False),
)

# LLM budgets: spend (USD) or tokens of a scope (the project, or one environment, model,
# user, job, channel or transaction) per calendar period (UTC day, ISO week, month), with
# thresholds in percent; each threshold crossed is recorded once per period.
llm_budgets = Table(
    "llm_budgets",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("project_id", Integer, nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("scope", String(16), nullable=False),  # project|environment|model|user|job|…
    Column("scope_value", String(300), nullable=True),
    Column("period", String(8), nullable=False),  # day|week|month
    Column("unit", String(8), nullable=False),  # usd|tokens
    Column("amount", String(40), nullable=False),  # exact decimal
    Column("thresholds", String(200), nullable=False),  # "50,80,100"
    Column("created_at", Float, nullable=False),
)

llm_budget_events = Table(
    "llm_budget_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("budget_id", BigInteger, nullable=False),
    Column("project_id", Integer, nullable=False),
    Column("period_start", Float, nullable=False),
    Column("threshold", Integer, nullable=False),
    Column("spent", Float, nullable=False),
    Column("crossed_at", Float, nullable=False),
    UniqueConstraint("budget_id", "period_start", "threshold"),
)

# Counters of what happened to items: accepted, filtered, rate limited, invalid, or
# discarded by the client (client reports). One row per project, minute, outcome, category,
# reason.
outcomes = Table(
    "outcomes",
    metadata,
    Column("project_id", Integer, primary_key=True),
    Column("bucket", Integer, primary_key=True),  # minute start, epoch seconds
    Column("outcome", String(32), primary_key=True),
    Column("category", String(32), primary_key=True),
    Column("reason", String(64), primary_key=True),
    Column("quantity", BigInteger, nullable=False),
)

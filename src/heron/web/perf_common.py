"""What the performance pages share: the filter bar (project, environment, release, period)
read from the address, the read models' scope, links, and how figures are written."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import HTTPException, Request

from heron import query
from heron.query import PerfScope, Project, SeriesPoint, Viewer

DEFAULT_PERIOD = "24h"
PERIOD_LABELS = {
    "1h": "Last hour",
    "24h": "Last 24 hours",
    "7d": "Last 7 days",
    "14d": "Last 14 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
}
MAX_FILTER_CHARS = 250  # the longest release the tables hold


class FilterError(ValueError):
    """A filter the pages cannot use (shown above the page with a 400)."""


@dataclass(frozen=True)
class Filters:
    """The filter bar: the viewer's projects, the one chosen (None: all), and the rest."""

    projects: list[Project]
    project: Project | None
    environment: str
    release: str
    period: str

    @property
    def project_ids(self) -> tuple[int, ...]:
        chosen = [self.project] if self.project else self.projects
        return tuple(p.id for p in chosen)

    @property
    def apdex_ms(self) -> dict[int, float]:
        """Each project's own apdex threshold, as the read models take them."""
        return {p.id: float(p.apdex_threshold_ms) for p in self.projects}

    def scope(self, transaction: str | None = None) -> PerfScope:
        return PerfScope.for_period(
            self.project_ids,
            self.period,
            environment=self.environment or None,
            release=self.release or None,
            transaction=transaction,
        )

    def params(self, **more: str) -> dict[str, str]:
        """The filters as query parameters (empty ones left out), with ``more``."""
        values = {
            "project": str(self.project.id) if self.project else "",
            "environment": self.environment,
            "release": self.release,
            "period": self.period if self.period != DEFAULT_PERIOD else "",
            **more,
        }
        return {k: v for k, v in values.items() if v}


def read_filters(request: Request, viewer: Viewer, *, need_project: bool = False) -> Filters:
    """The filters of the address. A project that is not the viewer's is a 404 (as if it did
    not exist); a malformed value is a :class:`FilterError`."""
    params = request.query_params
    projects = query.list_projects(request.app.state.db, viewer).items
    project = named_project(projects, params.get("project", ""), required=need_project)
    period = params.get("period", "") or params.get("statsPeriod", "") or DEFAULT_PERIOD
    if period not in query.PERF_PERIODS:
        raise FilterError(f"Unknown period {period!r}: choose one of {', '.join(PERIOD_LABELS)}.")
    environment = params.get("environment", "").strip()
    release = params.get("release", "").strip()
    if len(environment) > MAX_FILTER_CHARS or len(release) > MAX_FILTER_CHARS:
        raise FilterError(f"An environment or release is at most {MAX_FILTER_CHARS} characters.")
    return Filters(projects, project, environment, release, period)


def named_project(
    projects: Sequence[Project], wanted: str, *, required: bool = False
) -> Project | None:
    """The project (by id) the address names, or None when it names none. One that is not
    among the viewer's ``projects``, or none where one is ``required``, is a 404 (as if it
    did not exist)."""
    wanted = wanted.strip()
    if not wanted and not required:
        return None
    found = None
    if wanted.isascii() and wanted.isdigit():
        found = next((p for p in projects if p.id == int(wanted)), None)
    if found is None:
        raise HTTPException(404, "No such project")
    return found


def fallback_filters(request: Request, viewer: Viewer) -> Filters:
    """The viewer's projects with default filters: the page around a :class:`FilterError`."""
    projects = query.list_projects(request.app.state.db, viewer).items
    return Filters(projects, None, "", "", DEFAULT_PERIOD)


def filter_context(request: Request, viewer: Viewer, filters: Filters) -> dict[str, Any]:
    """What the filter bar shows (the menus and the chosen values), and the formats."""
    ids = [filters.project.id] if filters.project else None
    environments = query.list_environments(request.app.state.db, viewer, project_ids=ids)
    if filters.environment and filters.environment not in environments:
        environments.append(filters.environment)
    return {
        "filters": filters,
        "projects": filters.projects,
        "project_value": str(filters.project.id) if filters.project else "",
        "environments": environments,
        "periods": PERIOD_LABELS,
        **FORMATS,
    }


def chart_labels(points: Sequence[SeriesPoint]) -> list[str]:
    """The buckets of a series, named for the chart's hover text and axis."""
    size = int(points[1].start - points[0].start) if len(points) > 1 else 3600
    return [bucket_label(p.start, size) for p in points]


def url(path: str, params: dict[str, str]) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def summary_url(project_id: int, transaction: str, filters: Filters | None = None) -> str:
    params = filters.params() if filters else {}
    params.update(project=str(project_id), transaction=transaction)
    return url("/performance/summary/", params)


def profile_url(project_id: int, event_id: str) -> str:
    return f"/profiles/{project_id}/{event_id}.json"


# --- how figures are written ----------------------------------------------------------------


def ms(value: float | None) -> str:
    """``0.42 ms``, ``12.5 ms``, ``340 ms``, ``1.25 s``, ``2.5 min``; ``—`` for no value."""
    if value is None:
        return "—"
    if value < 10:
        return f"{value:.2f}".rstrip("0").rstrip(".") + " ms"
    if value < 1000:
        return f"{value:.0f} ms" if value >= 100 else f"{value:.1f}".removesuffix(".0") + " ms"
    if value < 60_000:
        return f"{value / 1000:.2f} s"
    return f"{value / 60_000:.1f} min"


def pct(rate: float | None) -> str:
    """A rate of 1 as a percentage: ``0%``, ``<0.1%``, ``2.5%``, ``100%``."""
    if rate is None:
        return "—"
    percent = rate * 100
    if 0 < percent < 0.1:
        return "<0.1%"
    return f"{percent:.1f}%".replace(".0%", "%")


def score(value: float | None) -> str:
    """Apdex and user misery: two decimals."""
    return "—" if value is None else f"{value:.2f}"


def per_minute(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}" if value >= 0.01 or value == 0 else "<0.01"


def bucket_label(start: float, size: int) -> str:
    moment = datetime.fromtimestamp(start, UTC)
    if size >= 86400:
        return moment.strftime("%Y-%m-%d")
    if size >= 3600:
        return moment.strftime("%Y-%m-%d %H:00 UTC")
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def user_label(user_key: str | None) -> str:
    """``id:u-1`` → ``u-1``: the rollups key users by kind and value."""
    if not user_key:
        return ""
    kind, _, value = user_key.partition(":")
    return value if kind in ("id", "email", "username", "ip_address") and value else user_key


FORMATS = {"ms": ms, "pct": pct, "score": score, "per_minute": per_minute, "user": user_label}

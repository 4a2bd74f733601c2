"""The Jinja2 environment (autoescaped), its filters, and rendering a page."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from heron.web.session import CSRF_FIELD, csrf_token

TEMPLATES = Path(__file__).parent / "templates"

# The colour scheme a person picked (a cookie the theme form sets); without one, the
# browser's preference decides (prefers-color-scheme in heron.css).
THEME_COOKIE = "heron_theme"
THEMES = ("light", "dark")

# Pages carry no inline script or style, so the policy can be strict.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def utc(timestamp: float | None) -> str:
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def clock(timestamp: float | None) -> str:
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%H:%M:%S.%f")[:-3]


def ago(timestamp: float | None, now: float | None = None) -> str:
    """``5 min ago``, ``3 hours ago``, ``2 days ago``…"""
    if timestamp is None:
        return ""
    seconds = (now if now is not None else time.time()) - timestamp
    if seconds < -60:
        return "in the future"
    if seconds < 60:
        return "just now"
    for unit, size in (("year", 365 * 86400), ("day", 86400), ("hour", 3600), ("min", 60)):
        if seconds >= size:
            count = int(seconds // size)
            plural = "s" if count != 1 and unit != "min" else ""
            return f"{count} {unit}{plural} ago"
    return "just now"  # pragma: no cover - the loop always returns


def compact(number: int) -> str:
    """``1234`` → ``1.2k``, ``2500000`` → ``2.5M``."""
    if number < 1000:
        return str(number)
    for suffix, size in (("M", 1_000_000), ("k", 1000)):
        if number >= size:
            value = f"{number / size:.1f}".removesuffix(".0")
            return f"{value}{suffix}"
    return str(number)  # pragma: no cover


def duration(minutes: int | float | None) -> str:
    """``30`` → ``30 minutes``, ``60`` → ``1 hour``, ``1440`` → ``24 hours``, ``10080`` →
    ``7 days``."""
    if not minutes:
        return ""
    for unit, size in (("day", 1440), ("hour", 60), ("minute", 1)):
        if minutes >= max(size, 2880 if unit == "day" else 0) and minutes % size == 0:
            count = int(minutes // size)
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{int(minutes)} minutes"


def theme_of(request: Request) -> str:
    """The picked theme, or "" to follow the browser."""
    theme = request.cookies.get(THEME_COOKIE, "")
    return theme if theme in THEMES else ""


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(utc=utc, ago=ago, compact=compact, clock=clock, duration=duration)
    return env


ENV = _environment()


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    viewer: Any = None,
) -> HTMLResponse:
    """Render a page with what every page needs: the viewer, the CSRF token, the path."""
    values: dict[str, Any] = {
        "request_path": request.url.path,
        "request_url": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "theme": theme_of(request),
        "viewer": viewer,
        "csrf_field": CSRF_FIELD,
        # The 500 page renders outside the session middleware: no session, no forms.
        "csrf_token": csrf_token(request) if "session" in request.scope else "",
    }
    values.update(context or {})
    html = ENV.get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)

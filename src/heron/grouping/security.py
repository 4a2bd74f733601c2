"""Components for browser security reports (CSP, Expect-CT, HPKP, Expect-Staple)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

from heron.grouping.component import Component, container, leaf

# Directives whose "local" violations (inline code, eval) are worth telling apart.
_SCRIPT_DIRECTIVES: Final = frozenset(
    {
        "default-src",
        "script-src",
        "script-src-elem",
        "script-src-attr",
        "style-src",
        "style-src-elem",
        "style-src-attr",
    }
)
_LOCAL_SOURCES: Final = {
    "": "'self'",
    "self": "'self'",
    "'self'": "'self'",
    "inline": "'unsafe-inline'",
    "'unsafe-inline'": "'unsafe-inline'",
    "eval": "'unsafe-eval'",
    "'unsafe-eval'": "'unsafe-eval'",
}
_HOSTNAME_REPORTS: Final = (
    ("expectct", "expect-ct"),
    ("hpkp", "hpkp"),
    ("expectstaple", "expect-staple"),
)


def _str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""


def normalize_blocked_uri(uri: str) -> str:
    """What was blocked, reduced to something stable: a keyword, a scheme or a host."""
    local = _LOCAL_SOURCES.get(uri.lower())
    if local is not None:
        return local
    if "://" in uri:
        netloc = urlsplit(uri).netloc
        return netloc or uri
    scheme, sep, _ = uri.partition(":")
    if sep and scheme.isalpha():
        return f"{scheme.lower()}:"
    return uri


def csp_component(csp: Mapping[str, Any]) -> Component:
    violated = _str(csp, "violated_directive")
    directive = _str(csp, "effective_directive") or (violated.split() or [""])[0]
    blocked = _str(csp, "blocked_uri")
    uri = normalize_blocked_uri(blocked)
    children: list[Component | str] = [leaf("salt", directive, True, "a static salt")]
    local = directive in _SCRIPT_DIRECTIVES and uri in (
        "'self'",
        "'unsafe-inline'",
        "'unsafe-eval'",
    )
    if local:
        keyword = next(
            (k for k in ("'unsafe-inline'", "'unsafe-eval'") if k in violated.split()), None
        )
        if keyword is None:
            keyword = "'unsafe-eval'" if blocked.lower() == "eval" else "'unsafe-inline'"
        children.append(leaf("violation", keyword))
        children.append(leaf("uri", uri, False, "violation takes precedence"))
    else:
        children.append(Component("violation", [], False, "not a local script violation"))
        children.append(leaf("uri", uri))
    return container("csp", children)


def hostname_report_component(event: Mapping[str, Any]) -> Component | None:
    """Expect-CT / HPKP / Expect-Staple: a salt plus the reported hostname."""
    for key, salt in _HOSTNAME_REPORTS:
        report = event.get(key)
        if isinstance(report, Mapping):
            children: list[Component | str] = [leaf("salt", salt, True, "a static salt")]
            hostname = _str(report, "hostname")
            if hostname:
                children.append(leaf("hostname", hostname))
            return container(salt, children)
    return None


def security_component(event: Mapping[str, Any]) -> Component | None:
    csp = event.get("csp")
    if isinstance(csp, Mapping):
        return csp_component(csp)
    return hostname_report_component(event)

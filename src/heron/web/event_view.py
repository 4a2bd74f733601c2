"""An event prepared for reading: newest exception and frame first, values as text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from heron.query import Event


@dataclass(frozen=True)
class Line:
    number: int
    text: str
    current: bool


@dataclass(frozen=True)
class Frame:
    filename: str
    module: str
    function: str
    lineno: int | None
    colno: int | None
    in_app: bool
    context: list[Line]
    vars: list[tuple[str, str]]


@dataclass(frozen=True)
class ExceptionView:
    type: str
    value: str
    module: str
    mechanism: str
    handled: bool | None
    frames: list[Frame]

    @property
    def system_frames(self) -> int:
        return sum(1 for f in self.frames if not f.in_app)

    @property
    def first_in_app(self) -> int:
        """The position of the newest in-app frame (-1: none), opened on the page."""
        return next((i for i, f in enumerate(self.frames) if f.in_app), -1)


@dataclass(frozen=True)
class Crumb:
    timestamp: float | None
    type: str
    category: str
    level: str
    message: str
    data: str


@dataclass(frozen=True)
class RequestView:
    method: str
    url: str
    query: list[tuple[str, str]]
    headers: list[tuple[str, str]]
    cookies: list[tuple[str, str]]
    data: str
    env: list[tuple[str, str]]


@dataclass(frozen=True)
class EventView:
    event: Event
    message: str
    exceptions: list[ExceptionView]
    breadcrumbs: list[Crumb]
    request: RequestView | None
    user: list[tuple[str, str]]
    tags: list[tuple[str, str]]
    contexts: list[tuple[str, list[tuple[str, str]]]]
    extra: list[tuple[str, str]]
    sdk: str
    fingerprints: list[str] = field(default_factory=list)
    # The contexts people look at first (browser, OS, runtime, device, trace) in one line.
    highlights: list[tuple[str, str]] = field(default_factory=list)
    sdk_integrations: list[str] = field(default_factory=list)
    sdk_packages: list[str] = field(default_factory=list)

    @property
    def has_in_app(self) -> bool:
        """Whether any frame is the application's own (the trace then starts with only those)."""
        return any(f.in_app for e in self.exceptions for f in e.frames)


def event_view(event: Event) -> EventView:
    data = event.data
    logentry = _dict(data.get("logentry"))
    message = logentry.get("formatted") or logentry.get("message") or data.get("message") or ""
    exceptions = [_exception(e) for e in _values(data.get("exception")) if isinstance(e, dict)]
    sdk = _dict(data.get("sdk"))
    grouping = _dict(data.get("_grouping"))
    return EventView(
        event=event,
        message=text(message),
        exceptions=list(reversed(exceptions)),
        breadcrumbs=[_crumb(c) for c in _values(data.get("breadcrumbs")) if isinstance(c, dict)],
        request=_request(data.get("request")),
        user=_pairs(data.get("user")),
        tags=_pairs(data.get("tags")),
        contexts=[
            (str(name), [(k, v) for k, v in _pairs(ctx) if k != "type"])
            for name, ctx in sorted(_dict(data.get("contexts")).items())
            if isinstance(ctx, dict)
        ],
        extra=_pairs(data.get("extra")),
        sdk=" ".join(str(sdk[k]) for k in ("name", "version") if sdk.get(k)),
        fingerprints=[str(h) for h in grouping.get("hashes") or []],
        highlights=_highlights(_dict(data.get("contexts"))),
        sdk_integrations=[text(i) for i in sdk.get("integrations") or [] if i],
        sdk_packages=[
            f"{text(p.get('name'))} {text(p.get('version'))}".strip()
            for p in sdk.get("packages") or []
            if isinstance(p, dict)
        ],
    )


# (context name, label, the keys whose values describe it, in order).
_HIGHLIGHTS = (
    ("browser", "Browser", ("name", "version")),
    ("os", "OS", ("name", "version")),
    ("runtime", "Runtime", ("name", "version")),
    ("device", "Device", ("model", "family", "arch")),
    ("trace", "Trace", ("trace_id",)),
)


def _highlights(contexts: dict[str, Any]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for name, label, keys in _HIGHLIGHTS:
        context = _dict(contexts.get(name))
        words = [text(context[k]) for k in keys if context.get(k) not in (None, "")]
        if words:
            found.append((label, " ".join(dict.fromkeys(words))))
    return found


def text(value: Any) -> str:
    """A value as the page shows it: strings as they are, anything else as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    try:
        return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return repr(value)


def _exception(exc: dict[str, Any]) -> ExceptionView:
    mechanism = _dict(exc.get("mechanism"))
    handled = mechanism.get("handled")
    frames = _dict(exc.get("stacktrace")).get("frames") or []
    return ExceptionView(
        type=text(exc.get("type")),
        value=text(exc.get("value")),
        module=text(exc.get("module")),
        mechanism=text(mechanism.get("type")),
        handled=handled if isinstance(handled, bool) else None,
        frames=[_frame(f) for f in reversed(frames) if isinstance(f, dict)],
    )


def _frame(frame: dict[str, Any]) -> Frame:
    lineno = frame.get("lineno") if isinstance(frame.get("lineno"), int) else None
    context: list[Line] = []
    if lineno is not None and frame.get("context_line") is not None:
        pre = [text(x) for x in frame.get("pre_context") or []]
        post = [text(x) for x in frame.get("post_context") or []]
        lines = [*pre, text(frame.get("context_line")), *post]
        first = lineno - len(pre)
        context = [Line(first + i, line, first + i == lineno) for i, line in enumerate(lines)]
    return Frame(
        filename=text(frame.get("filename") or frame.get("abs_path")),
        module=text(frame.get("module")),
        function=text(frame.get("function")),
        lineno=lineno,
        colno=frame.get("colno") if isinstance(frame.get("colno"), int) else None,
        in_app=bool(frame.get("in_app")),
        context=context,
        vars=_pairs(frame.get("vars")),
    )


def _crumb(crumb: dict[str, Any]) -> Crumb:
    timestamp = crumb.get("timestamp")
    return Crumb(
        timestamp=float(timestamp) if isinstance(timestamp, int | float) else None,
        type=text(crumb.get("type") or "default"),
        category=text(crumb.get("category")),
        level=text(crumb.get("level") or "info"),
        message=text(crumb.get("message")),
        data=text(crumb.get("data")) if crumb.get("data") else "",
    )


def _request(value: Any) -> RequestView | None:
    request = _dict(value)
    if not request:
        return None
    query = request.get("query_string")
    return RequestView(
        method=text(request.get("method")),
        url=text(request.get("url")),
        query=[("", query)] if isinstance(query, str) and query else _pairs(query),
        headers=_pairs(request.get("headers")),
        cookies=_pairs(request.get("cookies")),
        data=text(request.get("data")),
        env=_pairs(request.get("env")),
    )


def _pairs(value: Any) -> list[tuple[str, str]]:
    """A dict or a ``[[k, v], …]`` list as ``(key, text)`` pairs."""
    if isinstance(value, dict):
        return [(str(k), text(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [
            (str(p[0]), text(p[1])) for p in value if isinstance(p, list | tuple) and len(p) == 2
        ]
    return []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _values(container: Any) -> list[Any]:
    if isinstance(container, dict):
        values = container.get("values")
        return values if isinstance(values, list) else []
    return container if isinstance(container, list) else []

"""Read-only access to the parts of a canonical event that grouping uses.

Tolerant of shapes the normaliser might still let through (an exception list
instead of ``{"values": […]}``, tags as a dict), never mutates the event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from heron.grouping.enhancements import Enhancements
from heron.grouping.fingerprinting import EventFacts
from heron.grouping.stack import Stack, prepare_stack
from heron.grouping.stackrules import ExceptionFacts, FrameState, family_for_platform

Event = Mapping[str, Any]


def _values(container: Any) -> list[Mapping[str, Any]]:
    if isinstance(container, Mapping):
        container = container.get("values")
    if isinstance(container, Sequence) and not isinstance(container, str):
        return [v for v in container if isinstance(v, Mapping)]
    return []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def exceptions(event: Event) -> list[Mapping[str, Any]]:
    return _values(event.get("exception"))


def threads(event: Event) -> list[Mapping[str, Any]]:
    return _values(event.get("threads"))


def frames_of(stacktrace: Any) -> list[Mapping[str, Any]]:
    if not isinstance(stacktrace, Mapping):
        return []
    frames = stacktrace.get("frames")
    if not isinstance(frames, Sequence) or isinstance(frames, str):
        return []
    return [f for f in frames if isinstance(f, Mapping)]


def message_text(event: Event) -> str:
    """The logentry template when it has params, else the formatted text."""
    for source in (event.get("logentry"), event.get("message")):
        if isinstance(source, Mapping):
            template = _text(source.get("message"))
            if source.get("params") and template:
                return template
            text = _text(source.get("formatted")) or template
            if text:
                return text
        elif isinstance(source, str) and source:
            return source
    return ""


def tags(event: Event) -> dict[str, str]:
    raw = event.get("tags")
    pairs: Any = (
        raw.items() if isinstance(raw, Mapping) else raw if isinstance(raw, Sequence) else ()
    )
    out: dict[str, str] = {}
    for pair in pairs:
        if isinstance(pair, Sequence) and len(pair) == 2 and isinstance(pair[0], str):
            out[pair[0]] = str(pair[1])
    return out


def mechanism_type(exception: Mapping[str, Any]) -> str:
    mechanism = exception.get("mechanism")
    return _text(mechanism.get("type")) if isinstance(mechanism, Mapping) else ""


@dataclass(slots=True)
class PreparedEvent:
    """Every stack of an event, prepared once and shared by rules and strategies."""

    event: Event
    platform: str
    exceptions: list[Mapping[str, Any]]
    exception_stacks: list[Stack | None]
    stacktrace: Stack | None  # top-level "stacktrace"
    has_stacktrace_key: bool
    thread_stack: Stack | None
    all_states: list[FrameState] = field(default_factory=list)


def _crashed_thread(event: Event) -> Mapping[str, Any] | None:
    candidates = [t for t in threads(event) if frames_of(t.get("stacktrace"))]
    for flag in ("crashed", "current"):
        for thread in candidates:
            if thread.get(flag) is True:
                return thread
    return candidates[0] if len(candidates) == 1 else None


def prepare(event: Event, rules: Enhancements) -> PreparedEvent:
    platform = _text(event.get("platform")) or "other"
    excs = exceptions(event)
    top_frames = frames_of(event.get("stacktrace"))
    exc_stacks: list[Stack | None] = []
    use_top_for_exception = (
        bool(top_frames) and len(excs) == 1 and not frames_of(excs[0].get("stacktrace"))
    )
    for exc in excs:
        frames = top_frames if use_top_for_exception else frames_of(exc.get("stacktrace"))
        facts = ExceptionFacts(_text(exc.get("type")), _text(exc.get("value")), mechanism_type(exc))
        exc_stacks.append(prepare_stack(frames, platform, rules, facts) if frames else None)
    top = None
    if top_frames and not use_top_for_exception:
        top = prepare_stack(top_frames, platform, rules, None)
    thread = _crashed_thread(event)
    thread_stack = None
    if thread is not None:
        thread_stack = prepare_stack(frames_of(thread.get("stacktrace")), platform, rules, None)
    prepared = PreparedEvent(
        event=event,
        platform=platform,
        exceptions=excs,
        exception_stacks=exc_stacks,
        stacktrace=top,
        has_stacktrace_key=isinstance(event.get("stacktrace"), Mapping)
        and not use_top_for_exception,
        thread_stack=thread_stack,
    )
    for stack in (*exc_stacks, top, thread_stack):
        if stack is not None:
            prepared.all_states.extend(stack.states)
    return prepared


def event_facts(prepared: PreparedEvent) -> EventFacts:
    event = prepared.event
    types = tuple(_text(e.get("type")) for e in prepared.exceptions if _text(e.get("type")))
    values = tuple(_text(e.get("value")) for e in prepared.exceptions if _text(e.get("value")))
    message = message_text(event)
    sdk = event.get("sdk")
    families = {family_for_platform(prepared.platform)} | {s.family for s in prepared.all_states}
    candidates: dict[str, tuple[str, ...]] = {
        "type": types,
        "value": values,
        "message": ((message,) if message else ()) + values,
        "logger": (_text(event.get("logger")),),
        "level": (_text(event.get("level")) or "error",),
        "sdk": (_text(sdk.get("name")),) if isinstance(sdk, Mapping) else (),
        "family": tuple(sorted(families)),
        "release": (_text(event.get("release")),),
        "transaction": (_text(event.get("transaction")),),
    }
    for key, value in tags(event).items():
        candidates[f"tags.{key}"] = (value,)
    return EventFacts(candidates, prepared.all_states)


def fingerprint_variables(prepared: PreparedEvent) -> dict[str, str]:
    """Values for ``{{ name }}`` in fingerprints and titles."""
    event = prepared.event
    main = prepared.exceptions[-1] if prepared.exceptions else {}
    stack = (
        prepared.exception_stacks[-1] if prepared.exception_stacks else None
    ) or prepared.stacktrace
    frame: Mapping[str, Any] = {}
    if stack is not None and stack.frames:
        in_app = [f for f, s in zip(stack.frames, stack.states, strict=True) if s.in_app]
        frame = (in_app or stack.frames)[-1]
    out = {
        "transaction": _text(event.get("transaction")) or "<no-transaction>",
        "type": _text(main.get("type")) or "<no-type>",
        "value": _text(main.get("value")) or "<no-value>",
        "module": _text(frame.get("module")) or "<no-module>",
        "function": _text(frame.get("function")) or "<no-function>",
        "package": _text(frame.get("package")) or "<no-package>",
        "level": _text(event.get("level")) or "error",
        "logger": _text(event.get("logger")) or "<no-logger>",
        "message": message_text(event) or "<no-message>",
        "release": _text(event.get("release")) or "<no-release>",
    }
    for alias, name in (
        ("error.type", "type"),
        ("error.value", "value"),
        ("stack.module", "module"),
    ):
        out[alias] = out[name]
    out["stack.function"], out["stack.package"] = out["function"], out["package"]
    for key, value in tags(event).items():
        out[f"tags.{key}"] = value
    return out

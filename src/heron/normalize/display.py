"""What an issue shows: ``title``, ``culprit`` and ``metadata`` derived from the event."""

from __future__ import annotations

from typing import Any

from heron.normalize.coerce import first_line, nonempty_text, truncate

MAX_TITLE_LENGTH = 200
MAX_CULPRIT_LENGTH = 200
MAX_METADATA_VALUE_LENGTH = 1024
UNLABELED = "<unlabeled event>"

_JAVASCRIPT_PLATFORMS = frozenset({"javascript", "node"})


def add_display_fields(event: dict[str, Any]) -> None:
    """Set ``title``, ``culprit`` and ``metadata`` on a normalised event."""
    exception = _last_exception(event)
    if exception is not None:
        title, metadata = _exception_display(exception)
        title = title or UNLABELED
    else:
        title = _message_title(event) or _fallback_title(event)
        metadata = {"title": title}
    event["title"] = title
    event["metadata"] = metadata
    event["culprit"] = _culprit(event)


def crash_frame(frames: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The frame that crashed: the innermost in-app frame, else the innermost frame."""
    in_app = [frame for frame in frames if frame.get("in_app") is True]
    candidates = in_app or frames
    return candidates[-1] if candidates else None


def _exception_display(exception: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    exc_type = nonempty_text(exception.get("type"))
    exc_value = nonempty_text(exception.get("value")) or ""
    summary = truncate(first_line(exc_value), MAX_TITLE_LENGTH)
    title = f"{exc_type}: {summary}" if exc_type and summary else exc_type or summary
    metadata: dict[str, Any] = {
        "type": exc_type or "",
        "value": truncate(exc_value, MAX_METADATA_VALUE_LENGTH),
    }
    frames = _frames(exception.get("stacktrace"))
    frame = crash_frame(frames)
    if frame is not None:
        for key in ("filename", "function"):
            value = nonempty_text(frame.get(key))
            if value is not None:
                metadata[key] = value
    if frames:
        in_app = {frame.get("in_app") is True for frame in frames}
        metadata["in_app_frame_mix"] = (
            "mixed" if len(in_app) == 2 else "in-app-only" if True in in_app else "system-only"
        )
    return title, metadata


def _message_title(event: dict[str, Any]) -> str:
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        formatted = nonempty_text(logentry.get("formatted")) or ""
        return truncate(first_line(formatted), MAX_TITLE_LENGTH)
    return ""


def _fallback_title(event: dict[str, Any]) -> str:
    # Not errors or messages, but Sentry still labels them meaningfully.
    if event.get("type") == "transaction":
        name = nonempty_text(event.get("transaction"))
        if name:
            return truncate(first_line(name), MAX_TITLE_LENGTH) or UNLABELED
    if event.get("type") == "feedback":
        contexts = event.get("contexts")
        feedback = contexts.get("feedback") if isinstance(contexts, dict) else None
        if isinstance(feedback, dict):
            message = first_line(nonempty_text(feedback.get("message")) or "")
            if message:
                return truncate(f"User Feedback: {message}", MAX_TITLE_LENGTH)
    return UNLABELED


def _culprit(event: dict[str, Any]) -> str:
    transaction = nonempty_text(event.get("transaction"))
    if transaction:
        return truncate(transaction, MAX_CULPRIT_LENGTH)
    frame = crash_frame(_event_frames(event))
    culprit = _frame_label(frame, event.get("platform")) if frame is not None else ""
    if not culprit:
        # raven-era clients computed a culprit themselves; better than nothing.
        culprit = nonempty_text(event.get("culprit")) or ""
    return truncate(culprit, MAX_CULPRIT_LENGTH)


def _frame_label(frame: dict[str, Any], platform: Any) -> str:
    function = nonempty_text(frame.get("function"))
    platform = frame.get("platform") or platform
    if platform in _JAVASCRIPT_PLATFORMS:
        filename = nonempty_text(frame.get("filename")) or nonempty_text(frame.get("abs_path"))
        if filename:
            return f"{function or '?'}({filename})"
        return function or ""
    location = nonempty_text(frame.get("module")) or nonempty_text(frame.get("filename"))
    if location and function:
        return f"{location} in {function}"
    return location or function or ""


def _event_frames(event: dict[str, Any]) -> list[dict[str, Any]]:
    """Frames of the stack that best explains the event, for the culprit."""
    exception = _last_exception(event)
    if exception is not None:
        frames = _frames(exception.get("stacktrace"))
        if frames:
            return frames
    frames = _frames(event.get("stacktrace"))
    if frames:
        return frames
    threads = event.get("threads")
    values = threads.get("values") if isinstance(threads, dict) else None
    if isinstance(values, list):
        # Prefer the crashed thread, then the current one, then any with a stack.
        threads_with_rank = [
            (thread.get("crashed") is not True, thread.get("current") is not True, index, thread)
            for index, thread in enumerate(values)
            if isinstance(thread, dict)
        ]
        for *_, thread in sorted(threads_with_rank, key=lambda ranked: ranked[:3]):
            frames = _frames(thread.get("stacktrace"))
            if frames:
                return frames
    return []


def _last_exception(event: dict[str, Any]) -> dict[str, Any] | None:
    exception = event.get("exception")
    values = exception.get("values") if isinstance(exception, dict) else None
    if isinstance(values, list) and values and isinstance(values[-1], dict):
        last: dict[str, Any] = values[-1]
        return last
    return None


def _frames(stacktrace: Any) -> list[dict[str, Any]]:
    frames = stacktrace.get("frames") if isinstance(stacktrace, dict) else None
    if not isinstance(frames, list):
        return []
    return [frame for frame in frames if isinstance(frame, dict)]

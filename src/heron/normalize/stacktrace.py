"""Stack traces and frames, including the ``in_app`` decision."""

from __future__ import annotations

import re
from typing import Any

from heron.normalize.coerce import as_int, text

# Third-party code, whatever the client claims: installed packages never count as the app.
_VENDORED = re.compile(r"site-packages|dist-packages|node_modules")

_FRAME_STRINGS = (
    "filename",
    "abs_path",
    "function",
    "raw_function",
    "module",
    "package",
    "context_line",
    "platform",
    "instruction_addr",
    "symbol_addr",
    "image_addr",
)


def normalize_stacktrace(value: Any) -> dict[str, Any] | None:
    """A ``{"frames": [...]}`` dict (a bare frame list is accepted), or None if unusable."""
    if isinstance(value, list):
        value = {"frames": value}
    if not isinstance(value, dict):
        return None
    stacktrace = dict(value)
    frames = stacktrace.get("frames")
    if not isinstance(frames, list):
        frames = []
    stacktrace["frames"] = [normalize_frame(frame) for frame in frames if isinstance(frame, dict)]
    return stacktrace


def normalize_frame(value: dict[str, Any]) -> dict[str, Any]:
    """A copy of one frame with typed fields and a boolean ``in_app``."""
    frame = dict(value)
    for key in _FRAME_STRINGS:
        if key in frame:
            _set_or_drop(frame, key, text(frame[key]))
    for key in ("lineno", "colno"):
        if key in frame:
            _set_or_drop(frame, key, as_int(frame[key]))
    for key in ("pre_context", "post_context"):
        if key in frame:
            lines = frame[key]
            if isinstance(lines, list):
                frame[key] = [text(line) or "" for line in lines]
            else:
                del frame[key]
    if "vars" in frame and not isinstance(frame["vars"], dict | list):
        del frame["vars"]
    frame["in_app"] = _in_app(frame)
    return frame


def _in_app(frame: dict[str, Any]) -> bool:
    for key in ("abs_path", "filename", "module"):
        path = frame.get(key)
        if isinstance(path, str) and _VENDORED.search(path):
            return False
    return frame.get("in_app") is True


def _set_or_drop(frame: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        del frame[key]
    else:
        frame[key] = value

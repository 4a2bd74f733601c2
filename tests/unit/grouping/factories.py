"""Small builders for canonical events used across the grouping tests."""

from __future__ import annotations

from typing import Any


def frame(**fields: Any) -> dict[str, Any]:
    fields.setdefault("in_app", False)
    return fields


def exception_event(
    frames: list[dict[str, Any]] | None = None,
    *,
    platform: str = "python",
    type: str = "ValueError",
    value: str = "bad thing",
    **extra: Any,
) -> dict[str, Any]:
    exception: dict[str, Any] = {"type": type, "value": value}
    if frames is not None:
        exception["stacktrace"] = {"frames": frames}
    return {"platform": platform, "exception": {"values": [exception]}, **extra}


def message_event(message: str, **extra: Any) -> dict[str, Any]:
    return {
        "platform": "python",
        "logentry": {"message": message, "params": [], "formatted": message},
        **extra,
    }


def python_frame(
    module: str, function: str, *, in_app: bool = True, **extra: Any
) -> dict[str, Any]:
    path = module.replace(".", "/") + ".py"
    fields: dict[str, Any] = {"filename": path, "abs_path": f"/srv/app/{path}", **extra}
    return frame(module=module, function=function, in_app=in_app, **fields)

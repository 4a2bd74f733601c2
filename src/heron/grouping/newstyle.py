"""Component trees for the ``newstyle:2023-01-11`` strategy.

The first applicable source wins: exceptions with frames → a top-level stack
trace → exceptions without frames → the crashed thread → a security report or
a template (the message is shown but does not count) → the message.
Stack-bearing sources give an ``app`` and a ``system`` tree; exceptions without
frames give ``app`` only; the rest give ``default``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from heron.grouping.component import Component, collect_values, container, leaf
from heron.grouping.eventview import PreparedEvent, message_text
from heron.grouping.exception_groups import select_exceptions
from heron.grouping.frames import basename, normalize_context_line
from heron.grouping.parameterize import parameterize
from heron.grouping.security import security_component
from heron.grouping.stack import Stack

VariantName = Literal["app", "system"]
# Frame nodes (never modified once built), whether the stack trace contributes, its hint,
# and the values below it that count.
_StackParts = tuple[tuple[Component, ...], bool, str | None, tuple[str, ...]]
STACK_VARIANTS: tuple[VariantName, VariantName] = ("app", "system")
STRIPPED = "stripped event-specific values"
SYSTEM_STACK_WINS = (
    "ignored because this variant does not have a contributing stacktrace, "
    "but the system variant does"
)


def _in_app_hint(stack: Stack, idx: int) -> str:
    state = stack.states[idx]
    if state.in_app_rule:
        where = "in-app" if state.in_app else "out of app"
        return f"marked {where} by stack trace rule ({state.in_app_rule})"
    return "marked in-app by the client" if state.in_app else "non app frame"


def _frame_node(stack: Stack, idx: int, variant: VariantName) -> Component:
    state = stack.states[idx]
    node = Component("frame", list(stack.leaves[idx]), stack.identified[idx])
    if variant == "app" and not state.in_app:
        node.contributes, node.hint = False, _in_app_hint(stack, idx)
    elif not state.contributes:
        node.contributes = False
        node.hint = (
            f"ignored by stack trace rule ({state.group_rule})" if state.group_rule else None
        )
    elif stack.recursive[idx]:
        node.contributes, node.hint = False, "ignored due to recursion"
    elif variant == "app":
        node.hint = _in_app_hint(stack, idx)
    values: list[str] = []
    collect_values(node, values)
    node.known_values = tuple(values)
    return node


def frame_component(stack: Stack, idx: int, variant: VariantName) -> Component:
    """The frame's node, shared by every stack trace where the frame got the same decisions
    (so it must not be modified)."""
    state = stack.states[idx]
    decision = (
        variant,
        state.in_app,
        state.in_app_rule,
        state.contributes,
        state.group_rule,
        stack.recursive[idx],
    )
    memo = stack.frame_memos[idx]
    node = memo.get(decision)
    if node is None:
        node = memo[decision] = _frame_node(stack, idx, variant)
    return node


def _stacktrace_parts(stack: Stack, variant: VariantName) -> _StackParts:
    frames = [frame_component(stack, i, variant) for i in range(len(stack.frames))]
    limits = stack.variables
    if limits.max_frames is not None:
        kept = 0
        for idx in range(len(frames) - 1, -1, -1):  # the crash end counts first
            if frames[idx].contributes:
                kept += 1
                if kept > limits.max_frames:
                    hint = f"ignored because only {limits.max_frames} frames are considered"
                    shared = frames[idx]
                    frames[idx] = Component(
                        "frame", list(shared.values), False, hint, shared.known_values
                    )
    node = container("stacktrace", list(frames))
    count = sum(1 for f in frames if f.contributes)
    if limits.min_frames is not None and 0 < count < limits.min_frames:
        node.contributes = False
        node.hint = (
            f"discarded because stack trace only contains {count} frames, below the threshold"
        )
    elif not node.contributes and frames:
        if variant == "app" and not any(s.in_app for s in stack.states):
            node.hint = "ignored because it contains no in-app frames"
        else:
            node.hint = "ignored because it contains no contributing frames"
    values: list[str] = []
    collect_values(node, values)
    return tuple(frames), node.contributes, node.hint, tuple(values)


def stacktrace_component(stack: Stack, variant: VariantName) -> Component:
    """A new stack trace node over frame nodes shared by every event with this stack trace."""
    parts = stack.derived.get(variant)
    if parts is None:
        parts = stack.derived[variant] = _stacktrace_parts(stack, variant)
    frames, contributes, hint, values = parts
    return Component("stacktrace", list(frames), contributes, hint, values)


def _str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""


def exception_component(
    exception: Mapping[str, Any], stack: Stack | None, variant: VariantName
) -> Component:
    children: list[Component | str] = []
    stack_node = stacktrace_component(stack, variant) if stack is not None else None
    if stack_node is not None:
        children.append(stack_node)
    exc_type = _str(exception, "type")
    if exc_type:
        children.append(leaf("type", exc_type))
    value = _str(exception, "value")
    if value:
        cleaned = parameterize(value)
        if stack_node is not None and stack_node.contributes:
            children.append(
                leaf("value", cleaned, False, "ignored because stacktrace takes precedence")
            )
        else:
            children.append(leaf("value", cleaned, True, STRIPPED if cleaned != value else None))
    return container("exception", children)


def _has_contributing_stack(node: Component) -> bool:
    if node.id == "stacktrace":
        return node.contributes
    return node.contributes and any(
        isinstance(child, Component) and _has_contributing_stack(child) for child in node.values
    )


def _exception_top(prepared: PreparedEvent, variant: VariantName) -> Component:
    nodes = [
        exception_component(exc, stack, variant)
        for exc, stack in zip(prepared.exceptions, prepared.exception_stacks, strict=True)
    ]
    kept = select_exceptions(prepared.exceptions, nodes)
    return kept[0] if len(kept) == 1 else container("chained-exception", list(kept))


def _stack_trees(tops: dict[VariantName, Component]) -> dict[str, Component]:
    """Variant roots for app/system, letting a system stack trace win over an app without one."""
    app, system = tops["app"], tops["system"]
    hint = None
    if not _has_contributing_stack(app) and _has_contributing_stack(system):
        if app.id != "stacktrace":
            app.contributes = False
            app.hint = SYSTEM_STACK_WINS
        hint = f"{system.id} of system takes precedence"
    return {
        "app": Component("app", [app], app.contributes, hint),
        "system": Component("system", [system], system.contributes),
    }


def mark_system_duplicate(roots: dict[str, Component], values: dict[str, list[str]]) -> None:
    """When app and system hash alike only app counts; ``values`` is updated to match."""
    app, system = roots.get("app"), roots.get("system")
    if app is None or system is None or not app.contributes or not system.contributes:
        return
    if values["app"] != values["system"]:
        return
    top = system.values[0]
    assert isinstance(top, Component)
    top.contributes, top.hint = False, "ignored because hash matches app variant"
    system.contributes, system.hint = False, f"{top.id} of app takes precedence"
    values["system"] = []


def build_trees(prepared: PreparedEvent) -> dict[str, Component]:
    """Variant name → root component, in variant order."""
    if any(s is not None for s in prepared.exception_stacks):
        return _stack_trees({v: _exception_top(prepared, v) for v in STACK_VARIANTS})
    if prepared.stacktrace is not None:
        top = prepared.stacktrace
        return _stack_trees({v: stacktrace_component(top, v) for v in STACK_VARIANTS})
    if prepared.exceptions:
        node = _exception_top(prepared, "app")
        return {"app": Component("app", [node], node.contributes)}
    if prepared.thread_stack is not None:
        stack = prepared.thread_stack
        return _stack_trees(
            {v: container("threads", [stacktrace_component(stack, v)]) for v in STACK_VARIANTS}
        )
    if prepared.has_stacktrace_key:  # an empty stack trace still asks for app/system
        return {"app": Component("app", [], False), "system": Component("system", [], False)}
    return {"default": _default_tree(prepared)}


def _message_component(prepared: PreparedEvent) -> Component | None:
    text = message_text(prepared.event)
    if not text:
        return None
    cleaned = parameterize(text)
    return leaf("message", cleaned, True, STRIPPED if cleaned != text else None)


def _template_component(prepared: PreparedEvent) -> Component | None:
    template = prepared.event.get("template")
    if not isinstance(template, Mapping):
        return None
    children: list[Component | str] = []
    filename = basename(_str(template, "filename") or _str(template, "abs_path"))
    if filename:
        children.append(leaf("filename", filename))
    line = normalize_context_line(_str(template, "context_line"))
    if line:
        children.append(leaf("context-line", line))
    return container("template", children)


def _default_tree(prepared: PreparedEvent) -> Component:
    message = _message_component(prepared)
    for source in (security_component(prepared.event), _template_component(prepared)):
        if source is not None and source.contributes:
            children: list[Component | str] = [source]
            if message is not None:
                message.contributes, message.hint = False, f"{source.id} takes precedence"
                children.append(message)
            return Component("default", children, True)
    if message is not None:
        return Component("default", [message], True)
    return Component("default", [], False)

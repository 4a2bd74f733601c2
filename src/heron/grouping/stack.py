"""One stack trace made ready for grouping: rule decisions and frame leaves.

Grouping runs for every event, and events repeat: the same stack trace comes back
thousands of times, and a new one usually shares most of its frames with earlier ones.
Two bounded caches use that.  Per frame: a frame's leaves and what the rules can see of
it depend on nothing but its own fields.  Per stack trace: the rules' decisions depend on
the whole stack trace (``^``/``v`` actions, caller and callee context) and on the
exception when some rule looks at it.  Cached values are never modified afterwards, so
results of different events share them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from heron.grouping.component import Component
from heron.grouping.enhancements import Enhancements
from heron.grouping.frames import frame_leaves, frame_state, recursion_key
from heron.grouping.stackrules import ExceptionFacts, FrameState
from heron.grouping.stackrun import StackVariables

_STACK_MEMO_SIZE: Final = 2048
_FRAME_MEMO_SIZE: Final = 16384
Signature = tuple[Any, ...]


@dataclass(slots=True)
class Stack:
    """One stack trace with the rule decisions and frame leaves worked out.

    Everything but ``frames`` may be shared with other events and is never modified.
    """

    frames: list[Mapping[str, Any]]
    states: list[FrameState]
    leaves: list[list[Component]]
    identified: list[bool]  # some leaf of the frame contributes
    recursive: list[bool]
    variables: StackVariables
    # Per frame: a cache shared by every stack trace with an equal frame, where strategies
    # keep what they derive from one frame (its node for a variant and a decision).
    frame_memos: list[dict[Any, Any]]
    # What strategies derive from the whole stack trace, shared by every event with an
    # equal stack trace; entries are never modified once stored.
    derived: dict[Any, Any] = field(default_factory=dict)

    def sharing(self, frames: list[Mapping[str, Any]]) -> Stack:
        """This stack trace's shared parts over another event's (equal) frames."""
        return Stack(
            frames,
            self.states,
            self.leaves,
            self.identified,
            self.recursive,
            self.variables,
            self.frame_memos,
            self.derived,
        )


@dataclass(frozen=True, slots=True)
class _FrameWork:
    """The rule-independent part of one frame (``state`` before the rules ran: shared)."""

    state: FrameState
    leaves: list[Component]
    recursion: tuple[tuple[str, Any, bool], ...]
    identified: bool
    # Final states after the rules ran, by decision, so that stack traces sharing this
    # frame share them too (fewer long-lived objects); and the strategies' per-frame cache.
    finals: dict[tuple[Any, ...], FrameState] = field(default_factory=dict)
    memo: dict[Any, Any] = field(default_factory=dict)


_FRAMES: dict[tuple[str, Signature], _FrameWork] = {}


def frame_signature(frame: Mapping[str, Any]) -> Signature:
    """Everything about ``frame`` that the rules or its leaves look at, as a hashable value
    (when the fields are).  Line numbers are deliberately absent."""
    get = frame.get  # spelled out: this runs for every frame of every event
    in_app = get("in_app")
    data = get("data")
    return (
        get("platform"),
        get("abs_path"),
        get("filename"),
        get("module"),
        get("function"),
        get("raw_function"),
        get("symbol"),
        get("package"),
        get("context_line"),
        # Only a real bool is the client's word; 1 == True must not share a cache slot.
        in_app if in_app is True or in_app is False else None,
        data is not None and isinstance(data, Mapping) and bool(data.get("sourcemap")),
    )


def _frame_work(frame: Mapping[str, Any], platform: str) -> _FrameWork:
    leaves = frame_leaves(frame, platform)
    return _FrameWork(
        frame_state(frame, platform),
        leaves,
        recursion_key(leaves),
        any(leaf.contributes for leaf in leaves),
    )


def _cached_frame_work(frame: Mapping[str, Any], signature: Signature, platform: str) -> _FrameWork:
    key = (platform, signature)
    work = _FRAMES.get(key)
    if work is None:
        work = _frame_work(frame, platform)
        if len(_FRAMES) >= _FRAME_MEMO_SIZE:
            _FRAMES.clear()  # crude but thread-safe; hot frames come back quickly
        _FRAMES[key] = work
    return work


def _build(
    frames: list[Mapping[str, Any]],
    works: list[_FrameWork],
    rules: Enhancements,
    exception: ExceptionFacts | None,
) -> Stack:
    states = [work.state for work in works]
    variables = rules.apply(states, exception, copy_on_write=True)
    for i, (state, work) in enumerate(zip(states, works, strict=True)):
        if state is work.state:
            continue  # the rules left it alone
        decision = (
            state.category,
            state.in_app,
            state.in_app_known,
            state.contributes,
            state.in_app_rule,
            state.group_rule,
        )
        states[i] = work.finals.setdefault(decision, state)
    keys = [work.recursion for work in works]
    recursive = [i > 0 and bool(keys[i]) and keys[i] == keys[i - 1] for i in range(len(works))]
    leaves = [work.leaves for work in works]
    identified = [work.identified for work in works]
    memos = [work.memo for work in works]
    return Stack(frames, states, leaves, identified, recursive, variables, memos)


def prepare_stack(
    frames: list[Mapping[str, Any]],
    platform: str,
    rules: Enhancements,
    exception: ExceptionFacts | None,
) -> Stack:
    """Apply the rules and build frame leaves; identical stacks and frames reuse earlier work."""
    try:
        signatures = [frame_signature(f) for f in frames]
        facts = exception if rules.uses_exception else None
        key: Any = (platform, facts, tuple(signatures))
        cached: Stack | None = rules.memo.get(key)
    except TypeError:  # an unhashable value in a frame: just compute
        return _build(frames, [_frame_work(f, platform) for f in frames], rules, exception)
    if cached is not None:
        return cached.sharing(frames)
    works = [
        _cached_frame_work(f, sig, platform) for f, sig in zip(frames, signatures, strict=True)
    ]
    stack = _build(frames, works, rules, exception)
    if len(rules.memo) >= _STACK_MEMO_SIZE:
        rules.memo.clear()  # crude but thread-safe; hot stacks come back quickly
    rules.memo[key] = stack.sharing([])  # without the event's frames: they are not needed
    return stack

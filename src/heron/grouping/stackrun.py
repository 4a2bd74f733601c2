"""Running planned stack-trace rules over one stack trace.

A plan (see ``stackplan``) is run rule by rule in the documented order.  Two
things keep that cheap for the stack traces that come in all day:

* what a rule can make of a frame's unchanging fields (family, paths, module,
  function, package) is worked out once per distinct frame;
* when every rule of the plan acts on the matched frame alone and looks at
  nothing but that frame, each frame's outcome depends on the frame only, so it
  is worked out once per distinct frame too — unless some frame ends up with a
  category, which the category rules (caller context, ``^``/``v`` actions) may
  look at: then the stack trace is run rule by rule after all.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableSequence, Sequence
from dataclasses import dataclass, field
from typing import Final, cast

from heron.grouping.stackplan import Step
from heron.grouping.stackrules import ExceptionFacts, FlagAction, FrameState, StackRule

_FRAME_MEMO_SIZE: Final = 8192
# (step number, rule position) pairs; steps are numbered classifiers first, then modifiers.
_Hits = tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class StackVariables:
    """Per-stack-trace settings made by ``max-frames=`` / ``min-frames=`` rules."""

    max_frames: int | None = None
    min_frames: int | None = None


def _is_local(step: Step) -> bool:
    """Whether the step's rules change a frame by looking at that frame's fixed fields
    only; a step on categories counts too (it acts only when some frame has one)."""
    if step.needs_category:
        return True
    return (
        step.key is not None
        and all(step.static)
        and all(action.scope == "" for rule in step.rules for action in rule.flags)
    )


@dataclass(frozen=True, slots=True, eq=False)
class Plan:
    """The rules that can apply to one frame family, in steps, with per-frame caches."""

    classifiers: tuple[Step, ...]
    modifiers: tuple[Step, ...]
    variables: tuple[StackRule, ...]
    local: bool = field(init=False)
    # What the keyed steps make of a frame's unchanging fields, per distinct frame.
    _hits: dict[tuple[object, ...], _Hits] = field(default_factory=dict, init=False)
    # A frame's state after every rule ran, per distinct frame and starting state (local
    # plans only); the states are shared and never modified.
    _outcomes: dict[tuple[object, ...], FrameState] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        local = all(_is_local(step) for step in (*self.classifiers, *self.modifiers))
        object.__setattr__(self, "local", local)

    def frame_hits(self, frame: FrameState) -> _Hits:
        key = (frame.family, frame.paths, frame.module, frame.function, frame.package)
        hits = self._hits.get(key)
        if hits is None:
            steps = (*self.classifiers, *self.modifiers)
            hits = tuple(
                (number, pos)
                for number, step in enumerate(steps)
                if step.key is not None
                for pos in step.static_hits(frame)
            )
            if len(self._hits) >= _FRAME_MEMO_SIZE:
                self._hits.clear()  # crude but thread-safe; hot frames come back quickly
            self._hits[key] = hits
        return hits

    def _outcome(self, frame: FrameState) -> FrameState:
        key = (
            frame.family,
            frame.paths,
            frame.module,
            frame.function,
            frame.package,
            frame.in_app,
            frame.client_in_app,
            frame.in_app_known,
            frame.category,
            frame.contributes,
            frame.in_app_rule,
            frame.group_rule,
        )
        outcome = self._outcomes.get(key)
        if outcome is None:
            alone = [frame]
            self._run(alone, None, copy_on_write=True)
            outcome = alone[0]
            if len(self._outcomes) >= _FRAME_MEMO_SIZE:
                self._outcomes.clear()
            self._outcomes[key] = outcome
        return outcome

    def run(
        self,
        frames: MutableSequence[FrameState],
        exception: ExceptionFacts | None,
        *,
        copy_on_write: bool,
    ) -> StackVariables:
        """Apply the rules to ``frames`` (see ``Enhancements.apply``)."""
        if copy_on_write and self.local:
            outcomes = [self._outcome(frame) for frame in frames]
            # Categories only ever get set, so none at the end means the category rules
            # never had anything to act on.
            if not any(outcome.category for outcome in outcomes):
                frames[:] = outcomes
                return _stack_variables(self.variables, frames, exception)
        self._run(frames, exception, copy_on_write=copy_on_write)
        return _stack_variables(self.variables, frames, exception)

    def _run(
        self,
        frames: MutableSequence[FrameState],
        exception: ExceptionFacts | None,
        *,
        copy_on_write: bool,
    ) -> None:
        hits: dict[tuple[int, int], list[int]] = {}
        for idx, frame in enumerate(frames):
            for hit in self.frame_hits(frame):
                hits.setdefault(hit, []).append(idx)
        owned = [not copy_on_write] * len(frames)

        def own(idx: int) -> FrameState:
            if not owned[idx]:
                frames[idx] = frames[idx].copy()
                owned[idx] = True
            return frames[idx]

        for rule, matched in _matches(self.classifiers, 0, frames, exception, hits):
            category = cast(str, rule.category)
            for idx in matched:
                if frames[idx].category != category:
                    own(idx).category = category
        count = len(frames)
        offset = len(self.classifiers)
        for rule, matched in _matches(self.modifiers, offset, frames, exception, hits):
            for idx in matched:
                for action in rule.flags:
                    if action.scope == "^":
                        targets: Sequence[int] = range(idx + 1, count)
                    elif action.scope == "v":
                        targets = range(idx)
                    else:
                        targets = (idx,)
                    for target in targets:
                        if _changes(frames[target], action):
                            _set_flag(own(target), action, rule.text)


def _matches(
    steps: Sequence[Step],
    offset: int,
    frames: Sequence[FrameState],
    exception: ExceptionFacts | None,
    hits: dict[tuple[int, int], list[int]],
) -> Iterator[tuple[StackRule, list[int]]]:
    """Each rule with the frames it matches, rule by rule: a rule's matches are worked out
    only after the caller has applied the previous rule's actions."""
    hit_steps = {number for number, _ in hits}
    for number, step in enumerate(steps, start=offset):
        if step.key is not None and number not in hit_steps:
            continue
        if step.key is None:
            candidates = step.candidates(frames)
            for pos, rule in enumerate(step.rules if candidates else ()):
                if rule.exception_matchers and not _exception_matches(rule, exception):
                    continue
                yield rule, step.matching(pos, frames, candidates)
            continue
        for pos, rule in enumerate(step.rules):
            matched = hits.get((number, pos))
            if matched:
                if not step.static[pos]:
                    matched = [idx for idx in matched if rule.matches_at(frames, idx)]
                yield rule, matched


def _stack_variables(
    rules: Sequence[StackRule], frames: Sequence[FrameState], exception: ExceptionFacts | None
) -> StackVariables:
    max_frames = min_frames = None
    for rule in rules:
        if rule.exception_matchers and not _exception_matches(rule, exception):
            continue
        if rule.frame_matchers and not any(rule.matches_at(frames, i) for i in range(len(frames))):
            continue
        for var in rule.variables:
            if var.name == "max-frames":
                max_frames = int(var.value)
            elif var.name == "min-frames":
                min_frames = int(var.value)
    return StackVariables(max_frames, min_frames)


def _exception_matches(rule: StackRule, exception: ExceptionFacts | None) -> bool:
    return all(m.matches_exception(exception) for m in rule.exception_matchers)


def _changes(frame: FrameState, action: FlagAction) -> bool:
    """Whether ``action`` changes ``frame`` (the last rule to change a flag is its hint)."""
    if action.flag == "app":
        return frame.in_app != action.value or not frame.in_app_known
    return frame.contributes != action.value


def _set_flag(frame: FrameState, action: FlagAction, text: str) -> None:
    if action.flag == "app":
        frame.in_app = action.value
        frame.in_app_known = True
        frame.in_app_rule = text
    else:
        frame.contributes = action.value
        frame.group_rule = text

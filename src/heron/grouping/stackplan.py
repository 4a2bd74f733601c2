"""How a list of stack-trace rules is run quickly over a stack trace.

Consecutive rules keyed on the same frame field (path, package, module,
function) form one step: a combined regex — or, for globs that start with
``*``, the rules' fixed texts — picks the frames worth looking at, and each
rule's own fixed text rules frames out before its matchers run.  Rule order is
never changed, so the outcome is the same as trying every rule on every frame.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from heron.grouping.stackrules import STATIC_FRAME_KEYS, FrameState, Matcher, StackRule

_PREFILTER_KEYS: Final = frozenset({"path", "package", "module", "function"})
_GLOB_SPECIAL: Final = re.compile(r"[*?\\]")


def _literal(matcher: Matcher) -> str:
    """Longest fixed text every match of the glob contains ("" when unknown)."""
    if "[" in matcher.pattern:
        return ""
    best = max(_GLOB_SPECIAL.split(matcher.pattern), key=len)
    # "**/" may match nothing, and path globs ignore case.
    return best.strip("/").lower() if matcher.key in ("path", "package") else best


def _texts(frame: FrameState, key: str) -> tuple[str, ...]:
    """The frame's values for a prefilter key (paths and packages lower-cased)."""
    if key == "path":
        return tuple(p.lower() for p in frame.paths)
    if key == "package":
        package = frame.package.lower()
        return (package, package.rsplit("/", 1)[-1]) if package else ()
    value = frame.module if key == "module" else frame.function
    return (value,) if value else ()


def _contains_any(texts: tuple[str, ...], literals: tuple[str, ...]) -> bool:
    for text in texts:
        for literal in literals:
            if literal in text:
                return True
    return False


Candidates = list[tuple[int, tuple[str, ...]]]


@dataclass(frozen=True, slots=True)
class Step:
    """Rules run together: a run of rules keyed on the same frame field shares one
    combined regex, and each rule's fixed text rules frames out before its matchers run."""

    rules: tuple[StackRule, ...]
    key: str | None = None
    regex: re.Pattern[str] | None = None
    literals: tuple[str, ...] = ()  # one per rule
    needs_category: bool = False
    search: bool = False  # pick candidates by the rules' fixed texts instead of the regex
    static: tuple[bool, ...] = ()  # per rule: StackRule.is_static

    def static_hits(self, frame: FrameState) -> tuple[int, ...]:
        """Rules (by position) that may match ``frame`` as far as its unchanging fields tell.

        For a static rule that is the answer; the others still need ``matches_at`` in their
        stack trace.  Only for steps with a key; the same for equal frames, so cacheable.
        """
        key = self.key
        assert key is not None and self.regex is not None
        texts = _texts(frame, key)
        if self.search:
            if not _contains_any(texts, self.literals):
                return ()
        else:
            match = self.regex.fullmatch
            values = frame.paths if key == "path" else texts
            if not any(map(match, values)):
                return ()
        return tuple(
            pos
            for pos, (rule, literal) in enumerate(zip(self.rules, self.literals, strict=True))
            if (not literal or any(literal in text for text in texts))
            and all(
                m.matches_frame(frame) for m in rule.frame_matchers if m.key in STATIC_FRAME_KEYS
            )
        )

    def candidates(self, frames: Sequence[FrameState]) -> Candidates:
        if self.key is None or self.regex is None:
            if self.needs_category:  # computed right before its only rule runs: exact
                return [(i, ()) for i, frame in enumerate(frames) if frame.category]
            return [(i, ()) for i in range(len(frames))]
        key = self.key
        if self.search:
            found: Candidates = []
            for idx, frame in enumerate(frames):
                texts = _texts(frame, key)
                if _contains_any(texts, self.literals):
                    found.append((idx, texts))
            return found
        match = self.regex.fullmatch
        if key == "path":
            hits = [i for i, f in enumerate(frames) if any(map(match, f.paths))]
        elif key == "module":
            hits = [i for i, f in enumerate(frames) if f.module and match(f.module)]
        elif key == "function":
            hits = [i for i, f in enumerate(frames) if f.function and match(f.function)]
        else:
            hits = [i for i, f in enumerate(frames) if any(map(match, _texts(f, key)))]
        return [(i, _texts(frames[i], key)) for i in hits]

    def matching(self, pos: int, frames: Sequence[FrameState], candidates: Candidates) -> list[int]:
        """Frames (by index) that rule ``pos`` of this step matches."""
        rule = self.rules[pos]
        literal = self.literals[pos] if self.literals else ""
        return [
            idx
            for idx, texts in candidates
            if (not literal or any(literal in text for text in texts))
            and rule.matches_at(frames, idx)
        ]


def _prefilter_matcher(rule: StackRule) -> Matcher | None:
    """A positive matcher on an immutable frame field that the rule cannot match without."""
    if rule.exception_matchers:
        return None
    for matcher in rule.frame_matchers:
        if not matcher.negated and matcher.key in _PREFILTER_KEYS and matcher.regex is not None:
            return matcher
    return None


def plan_steps(rules: Sequence[StackRule]) -> tuple[Step, ...]:
    """Runs of rules keyed on the same field share one combined regex (order is kept)."""
    steps: list[Step] = []
    run: list[tuple[StackRule, Matcher]] = []

    def flush() -> None:
        if run:
            key = run[0][1].key
            flags = re.DOTALL | (re.IGNORECASE if key in ("path", "package") else 0)
            literals = tuple(_literal(m) for _, m in run)
            # Globs that start with "*" are slow to try one by one; looking for
            # their fixed texts first is much cheaper.
            search = all(literals) and any(m.pattern.startswith("*") for _, m in run)
            sources = [f"(?:{m.regex.pattern})" for _, m in run if m.regex is not None]
            combined = re.compile("|".join(sources), flags)
            rules = tuple(r for r, _ in run)
            static = tuple(r.is_static for r in rules)
            steps.append(Step(rules, key, combined, literals, search=search, static=static))
            run.clear()

    for rule in rules:
        matcher = _prefilter_matcher(rule)
        if matcher is None or (run and run[0][1].key != matcher.key):
            flush()
        if matcher is None:
            needs_category = any(m.key == "category" and not m.negated for m in rule.frame_matchers)
            steps.append(Step((rule,), needs_category=needs_category))
        else:
            run.append((rule, matcher))
    flush()
    return tuple(steps)

"""Stack-trace rules: matchers, actions and how they apply to one stack trace.

Rules run in two passes over a stack trace (frames oldest first): first every
rule's ``category=`` assignment in rule order, then every ``+app``/``-app``/
``+group``/``-group`` action in rule order, so flag rules can rely on the final
categories.  A rule's matches are collected before its actions run.  ``^``
applies an action to the frames above the match (toward the crash, higher
index), ``v`` to the frames below it (its callers).  The last rule that changes
a flag wins and is remembered as the hint.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from heron.grouping.glob import compile_glob
from heron.grouping.ruletext import quote

NATIVE_PLATFORMS: Final = frozenset({"native", "c", "cocoa", "objc", "swift", "cpp", "rust"})
JAVASCRIPT_PLATFORMS: Final = frozenset({"javascript", "node"})
FAMILIES: Final = frozenset({"native", "javascript", "other", "all"})

FRAME_KEYS: Final = {
    "family": "family",
    "path": "path",
    "stack.abs_path": "path",
    "stack.path": "path",
    "module": "module",
    "stack.module": "module",
    "function": "function",
    "stack.function": "function",
    "package": "package",
    "stack.package": "package",
    "app": "app",
    "stack.app": "app",
    "category": "category",
}
EXCEPTION_KEYS: Final = {
    "type": "type",
    "error.type": "type",
    "value": "value",
    "error.value": "value",
    "mechanism": "mechanism",
    "error.mechanism": "mechanism",
}
TRUE_WORDS: Final = frozenset({"yes", "true", "1"})
FALSE_WORDS: Final = frozenset({"no", "false", "0"})
STACK_VARIABLES: Final = frozenset({"max-frames", "min-frames", "invert-stacktrace"})
# Frame keys whose values the rules never change: a matcher on them gives the same answer
# for equal frames in any stack trace, so its answer can be cached per frame.
STATIC_FRAME_KEYS: Final = frozenset({"family", "path", "module", "function", "package"})


def family_for_platform(platform: str | None) -> str:
    if platform in JAVASCRIPT_PLATFORMS:
        return "javascript"
    if platform in NATIVE_PLATFORMS:
        return "native"
    return "other"


@dataclass(slots=True)
class FrameState:
    """What the rules see of one frame, and what they decide about it."""

    family: str
    paths: tuple[str, ...]
    module: str
    function: str
    package: str
    in_app: bool
    client_in_app: bool | None
    in_app_known: bool = False
    category: str = ""
    contributes: bool = True
    in_app_rule: str | None = None
    group_rule: str | None = None

    def copy(self) -> FrameState:
        return FrameState(
            self.family,
            self.paths,
            self.module,
            self.function,
            self.package,
            self.in_app,
            self.client_in_app,
            self.in_app_known,
            self.category,
            self.contributes,
            self.in_app_rule,
            self.group_rule,
        )


@dataclass(frozen=True, slots=True)
class ExceptionFacts:
    type: str = ""
    value: str = ""
    mechanism: str = ""


@dataclass(frozen=True, slots=True)
class Matcher:
    key: str  # canonical key, see FRAME_KEYS / EXCEPTION_KEYS
    pattern: str
    negated: bool = False
    regex: re.Pattern[str] | None = field(default=None, compare=False)
    families: frozenset[str] = frozenset()
    app: bool | None = None

    @classmethod
    def build(cls, key: str, pattern: str, negated: bool = False) -> Matcher:
        """Matcher for an already canonical ``key``; raises ValueError on bad values."""
        if key == "family":
            families = frozenset(p.strip() for p in pattern.split(",") if p.strip())
            unknown = families - FAMILIES
            if not families or unknown:
                raise ValueError(f"unknown family {pattern!r}")
            return cls(key, pattern, negated, None, families)
        if key == "app":
            word = pattern.lower()
            if word not in TRUE_WORDS | FALSE_WORDS:
                raise ValueError(f"app: expects yes or no, got {pattern!r}")
            return cls(key, pattern, negated, app=word in TRUE_WORDS)
        is_path = key in ("path", "package")
        return cls(key, pattern, negated, compile_glob(pattern, path=is_path, ignorecase=is_path))

    @property
    def is_exception(self) -> bool:
        return self.key in ("type", "value", "mechanism")

    def matches_family(self, family: str) -> bool:
        return family in self.families or "all" in self.families

    def _frame_hit(self, frame: FrameState) -> bool:
        key = self.key
        if key == "family":
            return self.matches_family(frame.family)
        if key == "app":
            return frame.in_app == self.app
        regex = self.regex
        assert regex is not None
        if key == "path":
            return any(map(regex.fullmatch, frame.paths))
        if key == "package":
            package = frame.package
            if not package:
                return False
            if regex.fullmatch(package) is not None:
                return True
            return (
                "/" not in self.pattern and regex.fullmatch(package.rsplit("/", 1)[-1]) is not None
            )
        value = (
            frame.module
            if key == "module"
            else frame.function
            if key == "function"
            else frame.category
        )
        return bool(value) and regex.fullmatch(value) is not None

    def matches_frame(self, frame: FrameState) -> bool:
        return self._frame_hit(frame) != self.negated

    def matches_exception(self, facts: ExceptionFacts | None) -> bool:
        value = "" if facts is None else getattr(facts, self.key)
        assert self.regex is not None
        return (self.regex.fullmatch(value) is not None) != self.negated

    def __str__(self) -> str:
        text = self.pattern
        if not text or any(ch.isspace() or ch in '"#' for ch in text):
            text = quote(text)
        return f"{'!' if self.negated else ''}{self.key}:{text}"


@dataclass(frozen=True, slots=True)
class FlagAction:
    flag: Literal["app", "group"]
    value: bool
    scope: Literal["", "^", "v"] = ""

    def __str__(self) -> str:
        return f"{self.scope}{'+' if self.value else '-'}{self.flag}"


@dataclass(frozen=True, slots=True)
class VarAction:
    name: str
    value: str

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


@dataclass(frozen=True)
class StackRule:
    """One rule: matchers (optionally with caller/callee context) and actions."""

    frame_matchers: tuple[Matcher, ...]
    exception_matchers: tuple[Matcher, ...] = ()
    caller: tuple[Matcher, ...] = ()
    callee: tuple[Matcher, ...] = ()
    flags: tuple[FlagAction, ...] = ()
    variables: tuple[VarAction, ...] = ()
    text: str = ""

    def __post_init__(self) -> None:
        if not self.text:
            object.__setattr__(self, "text", self.render())

    def render(self) -> str:
        parts: list[str] = []
        if self.caller:
            parts += ["[", *map(str, self.caller), "]", "|"]
        parts += [str(m) for m in (*self.exception_matchers, *self.frame_matchers)]
        if self.callee:
            parts += ["|", "[", *map(str, self.callee), "]"]
        parts += [str(a) for a in (*self.flags, *self.variables)]
        return " ".join(parts)

    @property
    def category(self) -> str | None:
        for var in self.variables:
            if var.name == "category":
                return var.value
        return None

    @property
    def is_static(self) -> bool:
        """Whether the rule looks at nothing but the matched frame's unchanging fields."""
        return (
            not self.caller
            and not self.callee
            and not self.exception_matchers
            and all(m.key in STATIC_FRAME_KEYS for m in self.frame_matchers)
        )

    def applies_to_family(self, family: str) -> bool:
        return all(
            m.matches_family(family)
            for m in self.frame_matchers
            if m.key == "family" and not m.negated
        )

    def matches_at(self, frames: Sequence[FrameState], idx: int) -> bool:
        frame = frames[idx]
        for m in self.frame_matchers:
            if not m.matches_frame(frame):
                return False
        if self.caller and (
            idx == 0 or not all(m.matches_frame(frames[idx - 1]) for m in self.caller)
        ):
            return False
        return not self.callee or (
            idx + 1 < len(frames) and all(m.matches_frame(frames[idx + 1]) for m in self.callee)
        )

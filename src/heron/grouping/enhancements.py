"""Parsing and applying stack-trace rules (Sentry's "enhancement" syntax).

Grammar of one line::

    [ [ caller-matcher… ] | ] matcher… [ | [ callee-matcher… ] ] action…

Matchers are ``[!]key:glob`` (keys: family, path, module, function, package,
app, category, their ``stack.*`` spellings, and error.type / error.value /
error.mechanism); actions are ``[^|v](+|-)(app|group)`` or ``name=value`` for
``category``, ``max-frames``, ``min-frames`` and ``invert-stacktrace``.
"""

from __future__ import annotations

import re
from collections.abc import MutableSequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, cast

from heron.grouping.errors import GroupingRuleError
from heron.grouping.ruletext import Token, iter_rule_lines, tokenize
from heron.grouping.stackplan import plan_steps
from heron.grouping.stackrules import (
    EXCEPTION_KEYS,
    FALSE_WORDS,
    FRAME_KEYS,
    STACK_VARIABLES,
    TRUE_WORDS,
    ExceptionFacts,
    FlagAction,
    FrameState,
    Matcher,
    StackRule,
    VarAction,
)
from heron.grouping.stackrun import Plan, StackVariables

_FLAG_RE: Final = re.compile(r"([\^v]?)([+-])(app|group)")


@dataclass(frozen=True)
class Enhancements:
    """An ordered list of stack-trace rules; later rules win."""

    rules: tuple[StackRule, ...] = ()
    _plans: dict[str | None, Plan] = field(default_factory=dict, compare=False, repr=False)
    # Results of applying these rules, kept by callers (see stack.prepare_stack).
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)
    _uses_exception: bool = field(init=False, compare=False, repr=False, default=False)

    def __add__(self, other: Enhancements) -> Enhancements:
        return Enhancements(self.rules + other.rules)

    def __len__(self) -> int:
        return len(self.rules)

    @property
    def uses_exception(self) -> bool:
        """Whether any rule looks at the exception (type, value, mechanism)."""
        return self._uses_exception

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "_uses_exception", any(rule.exception_matchers for rule in self.rules)
        )

    def _plan(self, family: str | None) -> Plan:
        plan = self._plans.get(family)
        if plan is None:
            rules = [r for r in self.rules if family is None or r.applies_to_family(family)]
            plan = Plan(
                plan_steps([r for r in rules if r.category is not None]),
                plan_steps([r for r in rules if r.flags]),
                tuple(
                    r
                    for r in rules
                    if any(v.name in ("max-frames", "min-frames") for v in r.variables)
                ),
            )
            self._plans[family] = plan
        return plan

    def apply(
        self,
        frames: MutableSequence[FrameState],
        exception: ExceptionFacts | None = None,
        *,
        copy_on_write: bool = False,
    ) -> StackVariables:
        """Set category, in_app and contributes on ``frames`` in place.

        With ``copy_on_write`` the given states may be shared and are never modified: one
        the rules change is replaced (by a copy, or by an equal state shared with other
        stack traces), one they leave alone stays as it is.
        """
        if not frames:
            return StackVariables()
        family = frames[0].family
        plan = self._plan(family if all(f.family == family for f in frames) else None)
        return plan.run(frames, exception, copy_on_write=copy_on_write)


# -- parsing -----------------------------------------------------------------


def parse_enhancements(text: str) -> Enhancements:
    """Parse stack-trace rules; raises GroupingRuleError naming the bad line."""
    return Enhancements(
        tuple(parse_stack_rule(line, lineno) for lineno, line in iter_rule_lines(text))
    )


def parse_matcher(token: Token, lineno: int, line: str, *, frame_only: bool = False) -> Matcher:
    key, pattern = token.split()
    negated = key.startswith("!")
    key = key.removeprefix("!")
    canonical = FRAME_KEYS.get(key) or (None if frame_only else EXCEPTION_KEYS.get(key))
    if canonical is None:
        raise GroupingRuleError(f"unknown matcher {key!r}", lineno, line)
    if not pattern and canonical not in ("type", "value", "mechanism"):
        raise GroupingRuleError(f"matcher {key!r} needs a value", lineno, line)
    try:
        return Matcher.build(canonical, pattern, negated)
    except ValueError as exc:
        raise GroupingRuleError(str(exc), lineno, line) from None


def _is_matcher(token: Token) -> bool:
    return not token.structural and token.sep > 0 and token.sep_char == ":"


def _bracket(
    tokens: list[Token], pos: int, lineno: int, line: str
) -> tuple[tuple[Matcher, ...], int]:
    """Matchers inside ``[ … ]`` starting at ``tokens[pos] == '['``."""
    pos += 1
    matchers: list[Matcher] = []
    while pos < len(tokens) and not (tokens[pos].structural and tokens[pos].text == "]"):
        if not _is_matcher(tokens[pos]):
            raise GroupingRuleError(f"expected a matcher, got {tokens[pos].raw!r}", lineno, line)
        matchers.append(parse_matcher(tokens[pos], lineno, line, frame_only=True))
        pos += 1
    if pos >= len(tokens):
        raise GroupingRuleError("missing ']'", lineno, line)
    if not matchers:
        raise GroupingRuleError("empty '[ ]' context", lineno, line)
    return tuple(matchers), pos + 1


def _is(tokens: list[Token], pos: int, text: str) -> bool:
    return pos < len(tokens) and tokens[pos].structural and tokens[pos].text == text


def parse_action(token: Token, lineno: int, line: str) -> FlagAction | VarAction:
    if token.sep > 0 and token.sep_char == "=":
        name, value = token.split()
        if name != "category" and name not in STACK_VARIABLES:
            raise GroupingRuleError(f"unknown variable {name!r}", lineno, line)
        if not value:
            raise GroupingRuleError(f"variable {name!r} needs a value", lineno, line)
        if name in ("max-frames", "min-frames") and not value.isdigit():
            raise GroupingRuleError(f"{name} expects a number, got {value!r}", lineno, line)
        if name == "invert-stacktrace" and value.lower() not in TRUE_WORDS | FALSE_WORDS:
            raise GroupingRuleError(
                f"invert-stacktrace expects 1 or 0, got {value!r}", lineno, line
            )
        return VarAction(name, value)
    match = _FLAG_RE.fullmatch(token.text) if not token.quoted else None
    if match is None:
        raise GroupingRuleError(f"invalid action {token.raw!r}", lineno, line)
    scope, sign, flag = match.groups()
    return FlagAction(
        cast("Literal['app', 'group']", flag), sign == "+", cast("Literal['', '^', 'v']", scope)
    )


def parse_stack_rule(line: str, lineno: int = 1) -> StackRule:
    tokens = tokenize(line, lineno)
    pos = 0
    caller: tuple[Matcher, ...] = ()
    callee: tuple[Matcher, ...] = ()
    if _is(tokens, 0, "["):
        caller, pos = _bracket(tokens, 0, lineno, line)
        if not _is(tokens, pos, "|"):
            raise GroupingRuleError("expected '|' after the caller context", lineno, line)
        pos += 1
    frame: list[Matcher] = []
    exception: list[Matcher] = []
    while pos < len(tokens) and _is_matcher(tokens[pos]):
        matcher = parse_matcher(tokens[pos], lineno, line)
        (exception if matcher.is_exception else frame).append(matcher)
        pos += 1
    if _is(tokens, pos, "|"):
        pos += 1
        if not _is(tokens, pos, "["):
            raise GroupingRuleError("expected '[' after '|'", lineno, line)
        callee, pos = _bracket(tokens, pos, lineno, line)
    if not frame and not exception:
        raise GroupingRuleError("rule has no matchers", lineno, line)
    actions = []
    for token in tokens[pos:]:
        if token.structural or _is_matcher(token):
            raise GroupingRuleError(f"unexpected {token.raw!r} among the actions", lineno, line)
        actions.append(parse_action(token, lineno, line))
    if not actions:
        raise GroupingRuleError("rule has no actions", lineno, line)
    return StackRule(
        frame_matchers=tuple(frame),
        exception_matchers=tuple(exception),
        caller=caller,
        callee=callee,
        flags=tuple(a for a in actions if isinstance(a, FlagAction)),
        variables=tuple(a for a in actions if isinstance(a, VarAction)),
        text=" ".join(t.raw for t in tokens),
    )

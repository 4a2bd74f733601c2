"""Server-side fingerprint rules (Sentry's syntax) and fingerprint variables.

One rule per line::

    matcher:glob [matcher:glob …] -> value [value …] [title="…"]

Event-level matchers (type, value, message, logger, level, tags.<k>, sdk,
family, release, transaction) must each match some candidate of the event;
frame matchers (path, module, function, package, app) must all match one and
the same frame.  The first matching rule wins.  Globs ignore case.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from heron.grouping.errors import GroupingRuleError
from heron.grouping.glob import compile_glob
from heron.grouping.ruletext import Token, iter_rule_lines, quote, tokenize
from heron.grouping.stackrules import FALSE_WORDS, FRAME_KEYS, TRUE_WORDS, FrameState

DEFAULT_FINGERPRINT: Final = "{{ default }}"
_DEFAULT_RE: Final = re.compile(r"\{\{\s*default\s*\}\}")
_VARIABLE_RE: Final = re.compile(r"\{\{\s*([\w.-]+)\s*\}\}")

_EVENT_KEYS: Final = {
    "type": "type",
    "error.type": "type",
    "value": "value",
    "error.value": "value",
    "message": "message",
    "logger": "logger",
    "level": "level",
    "sdk": "sdk",
    "family": "family",
    "release": "release",
    "transaction": "transaction",
}
# Fingerprint rules match frames with the stack-trace rules' keys, less the two that only
# stack-trace rules know.
_FRAME_KEYS: Final = {k: v for k, v in FRAME_KEYS.items() if v not in ("family", "category")}
ATTRIBUTES: Final = frozenset({"title"})


def is_default_value(value: str) -> bool:
    return _DEFAULT_RE.fullmatch(value.strip()) is not None


@dataclass(frozen=True, slots=True)
class EventFacts:
    """The matchable properties of one event, gathered once."""

    candidates: Mapping[str, tuple[str, ...]]  # key -> values (tags as "tags.<k>")
    frames: Sequence[FrameState]


@dataclass(frozen=True, slots=True)
class FingerprintMatcher:
    key: str  # canonical; tags as "tags.<name>"
    pattern: str
    negated: bool = False
    regex: re.Pattern[str] | None = field(default=None, compare=False)

    @property
    def is_frame(self) -> bool:
        return self.key in _FRAME_KEYS.values()

    def _hit(self, value: str) -> bool:
        assert self.regex is not None
        return self.regex.fullmatch(value) is not None

    def matches_event(self, facts: EventFacts) -> bool:
        return any(self._hit(v) for v in facts.candidates.get(self.key, ())) != self.negated

    def matches_frame(self, frame: FrameState) -> bool:
        if self.key == "app":
            hit = frame.in_app == (self.pattern.lower() in TRUE_WORDS)
        elif self.key == "path":
            hit = any(self._hit(p) for p in frame.paths)
        else:
            value = getattr(frame, self.key)
            hit = bool(value) and self._hit(value)
        return hit != self.negated

    def __str__(self) -> str:
        return f"{'!' if self.negated else ''}{self.key}:{quote(self.pattern)}"


@dataclass(frozen=True)
class FingerprintRule:
    matchers: tuple[FingerprintMatcher, ...]
    fingerprint: tuple[str, ...]
    attributes: Mapping[str, str] = field(default_factory=dict)
    is_builtin: bool = False

    @property
    def text(self) -> str:
        parts = [*map(str, self.matchers), "->", *map(quote, self.fingerprint)]
        parts += [f"{k}={quote(v)}" for k, v in self.attributes.items()]
        return " ".join(parts)

    def matches(self, facts: EventFacts) -> bool:
        frame_matchers = [m for m in self.matchers if m.is_frame]
        if not all(m.matches_event(facts) for m in self.matchers if not m.is_frame):
            return False
        if not frame_matchers:
            return True
        return any(all(m.matches_frame(f) for m in frame_matchers) for f in facts.frames)

    def info(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "matchers": [[m.key, m.pattern] for m in self.matchers],
            "fingerprint": list(self.fingerprint),
            "attributes": dict(self.attributes),
            "is_builtin": self.is_builtin,
        }


@dataclass(frozen=True)
class FingerprintRules:
    rules: tuple[FingerprintRule, ...] = ()

    def __len__(self) -> int:
        return len(self.rules)

    def first_match(self, facts: EventFacts) -> FingerprintRule | None:
        for rule in self.rules:
            if rule.matches(facts):
                return rule
        return None


def build_matcher(key: str, pattern: str, negated: bool = False) -> FingerprintMatcher:
    """Matcher from a key as written; raises ValueError for unknown keys or values."""
    canonical = _EVENT_KEYS.get(key) or _FRAME_KEYS.get(key)
    if canonical is None and key.startswith("tags.") and len(key) > 5:
        canonical = key
    if canonical is None:
        raise ValueError(f"unknown matcher {key!r}")
    if canonical == "app" and pattern.lower() not in TRUE_WORDS | FALSE_WORDS:
        raise ValueError(f"app: expects yes or no, got {pattern!r}")
    regex = compile_glob(pattern, path=canonical == "path", ignorecase=True)
    return FingerprintMatcher(canonical, pattern, negated, regex)


def make_rule(
    matchers: Sequence[tuple[str, str]],
    fingerprint: Sequence[str],
    attributes: Mapping[str, str] | None = None,
    *,
    is_builtin: bool = False,
) -> FingerprintRule:
    """Rule from structured parts (``[("type", "Foo*")]``, ``["foo"]``); ValueError if invalid."""
    built = tuple(build_matcher(k.removeprefix("!"), v, k.startswith("!")) for k, v in matchers)
    if not built:
        raise ValueError("rule has no matchers")
    if not fingerprint:
        raise ValueError("rule has no fingerprint values")
    unknown = set(attributes or {}) - ATTRIBUTES
    if unknown:
        raise ValueError(f"unknown attribute {sorted(unknown)[0]!r}")
    return FingerprintRule(built, tuple(fingerprint), dict(attributes or {}), is_builtin)


def parse_fingerprint_rule(line: str, lineno: int = 1) -> FingerprintRule:
    tokens = tokenize(line, lineno)
    arrow = next((i for i, t in enumerate(tokens) if t.structural and t.text == "->"), None)
    if arrow is None:
        raise GroupingRuleError("missing '->' between matchers and fingerprint", lineno, line)
    matchers: list[tuple[str, str]] = []
    for token in tokens[:arrow]:
        if token.structural or token.sep <= 0 or token.sep_char != ":":
            raise GroupingRuleError(f"expected matcher:value, got {token.raw!r}", lineno, line)
        matchers.append(token.split())
    values: list[str] = []
    attributes: dict[str, str] = {}
    for token in tokens[arrow + 1 :]:
        if token.structural:
            raise GroupingRuleError(f"unexpected {token.raw!r}", lineno, line)
        if _is_attribute(token):
            name, value = token.split()
            attributes[name] = value
        elif attributes:
            raise GroupingRuleError("fingerprint values must come before attributes", lineno, line)
        else:
            values.append(token.text)
    try:
        return make_rule(matchers, values, attributes)
    except ValueError as exc:
        raise GroupingRuleError(str(exc), lineno, line) from None


def _is_attribute(token: Token) -> bool:
    return token.sep > 0 and token.sep_char == "=" and token.text[: token.sep].isidentifier()


def parse_fingerprint_rules(text: str) -> FingerprintRules:
    """Parse project fingerprint rules; raises GroupingRuleError naming the bad line."""
    return FingerprintRules(
        tuple(parse_fingerprint_rule(line, n) for n, line in iter_rule_lines(text))
    )


def rules_to_text(rules: Sequence[Mapping[str, Any]]) -> str:
    """Render structured rules (``{"matchers", "fingerprint", "attributes"}``) as rule text."""
    lines = []
    for rule in rules:
        built = make_rule(
            [(str(k), str(v)) for k, v in rule.get("matchers", ())],
            [str(v) for v in rule.get("fingerprint", ())],
            {str(k): str(v) for k, v in (rule.get("attributes") or {}).items()},
        )
        lines.append(built.text)
    return "\n".join(lines)


BUILTIN_FINGERPRINT_RULES: Final = FingerprintRules(
    (
        # Browsers fail to fetch a lazily loaded bundle (deploys, flaky networks):
        # one issue for all of them instead of one per chunk name.
        make_rule(
            [("family", "javascript"), ("type", "ChunkLoadError")],
            ["chunkloaderror"],
            is_builtin=True,
        ),
        make_rule(
            [("family", "javascript"), ("value", "ChunkLoadError*")],
            ["chunkloaderror"],
            is_builtin=True,
        ),
    )
)


def resolve_variables(value: str, variables: Mapping[str, str]) -> str:
    """Replace ``{{ name }}`` (except ``{{ default }}``) using ``variables``."""
    if "{{" not in value:
        return value

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "default":
            return match.group(0)
        if name in variables:
            return variables[name]
        if name.startswith("tags."):
            return f"<no-value-for-tag-{name[5:]}>"
        return match.group(0)

    return _VARIABLE_RE.sub(substitute, value)

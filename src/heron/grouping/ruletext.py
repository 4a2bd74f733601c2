"""Tokeniser shared by the stack-trace and fingerprint rule languages.

A rule line is split on whitespace into tokens.  Double quotes group text with
spaces (``\\"`` and ``\\\\`` are unescaped; any other backslash pair is kept for
the glob layer), ``{{ … }}`` is kept whole, ``#`` at a token start begins a
comment, and ``[``, ``]``, ``|`` and ``->`` are structural tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

from heron.grouping.errors import GroupingRuleError

STRUCTURAL = frozenset({"[", "]", "|", "->"})


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # quotes removed, escapes resolved
    raw: str  # as written
    sep: int  # index in ``text`` of the first ':' or '=' outside quotes, or -1
    quoted: bool  # some part was quoted

    @property
    def structural(self) -> bool:
        return not self.quoted and self.text in STRUCTURAL

    def split(self) -> tuple[str, str]:
        """(key, value) around the separator; the separator itself is dropped."""
        return self.text[: self.sep], self.text[self.sep + 1 :]

    @property
    def sep_char(self) -> str:
        return self.text[self.sep] if self.sep >= 0 else ""


def tokenize(line: str, lineno: int) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch.isspace():
            i += 1
            continue
        if ch == "#":
            break
        if ch in "[]|":
            tokens.append(Token(ch, ch, -1, False))
            i += 1
            continue
        start = i
        text: list[str] = []
        sep = -1
        quoted = False
        while i < n and not line[i].isspace():
            ch = line[i]
            if ch == '"':
                quoted = True
                i += 1
                while True:
                    if i >= n:
                        raise GroupingRuleError("unterminated quoted string", lineno, line)
                    ch = line[i]
                    if ch == "\\" and i + 1 < n and line[i + 1] in '"\\':
                        text.append(line[i + 1])
                        i += 2
                    elif ch == '"':
                        i += 1
                        break
                    else:
                        text.append(ch)
                        i += 1
                continue
            if line.startswith("{{", i):
                end = line.find("}}", i + 2)
                if end == -1:
                    raise GroupingRuleError("unterminated '{{' variable", lineno, line)
                text.append(line[i : end + 2])
                i = end + 2
                continue
            if ch == "]" and (i + 1 == n or line[i + 1].isspace()) and text:
                break  # "foo]" closes a bracket group
            if ch in ":=" and sep == -1:
                sep = len(text)
            text.append(ch)
            i += 1
        tokens.append(Token("".join(text), line[start:i], sep, quoted))
    return tokens


def quote(value: str) -> str:
    """Render ``value`` as a quoted rule string."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def iter_rule_lines(text: str) -> list[tuple[int, str]]:
    """Non-empty, non-comment lines with their 1-based numbers."""
    out = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            out.append((lineno, line))
    return out

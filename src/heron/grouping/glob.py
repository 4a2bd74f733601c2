"""Glob patterns as used by stack-trace and fingerprint rules.

Two flavours: *path* globs, where ``*`` and ``?`` stay inside one path segment,
``**`` crosses segments and a leading ``**/`` may match nothing; and *plain*
globs (modules, functions, messages) where ``*`` matches anything.
``[abc]`` / ``[!abc]`` are character classes and a backslash escapes the next
character, so ``[[]`` and ``\\[`` both match a literal ``[``.
"""

from __future__ import annotations

import re
from functools import lru_cache


def _char_class(pattern: str, start: int) -> tuple[str, int] | None:
    """Translate ``[...]`` starting at ``start``; None when it is not closed."""
    i = start + 1
    negate = i < len(pattern) and pattern[i] in "!^"
    if negate:
        i += 1
    # A "]" right after the opening bracket is a member, not the end.
    end = pattern.find("]", i + 1)
    if end == -1:
        return None
    members = "".join("\\" + ch if ch in "\\^-[]" else ch for ch in pattern[i:end])
    return f"[{'^' if negate else ''}{members}]", end + 1


def translate(pattern: str, *, path: bool) -> str:
    """Regex source (anchored by the caller with fullmatch) for a glob."""
    out: list[str] = []
    i, n = 0, len(pattern)
    one = "[^/]" if path else "."
    while i < n:
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            out.append(re.escape(pattern[i + 1]))
            i += 2
        elif ch == "*":
            if pattern.startswith("**", i):
                i += 2
                if path and i < n and pattern[i] == "/":
                    out.append("(?:.*/)?")
                    i += 1
                else:
                    out.append(".*")
            else:
                out.append(f"{one}*")
                i += 1
        elif ch == "?":
            out.append(one)
            i += 1
        elif ch == "[":
            translated = _char_class(pattern, i)
            if translated is None:
                out.append(re.escape(ch))
                i += 1
            else:
                out.append(translated[0])
                i = translated[1]
        else:
            out.append(re.escape(ch))
            i += 1
    return "".join(out)


@lru_cache(maxsize=2048)
def compile_glob(pattern: str, *, path: bool = False, ignorecase: bool = False) -> re.Pattern[str]:
    """Compiled, cached regex for ``pattern``; use ``.fullmatch``."""
    flags = re.DOTALL | (re.IGNORECASE if ignorecase else 0)
    return re.compile(translate(pattern, path=path), flags)


def glob_match(value: str, pattern: str, *, path: bool = False, ignorecase: bool = False) -> bool:
    if path:
        value = value.replace("\\", "/")
    return compile_glob(pattern, path=path, ignorecase=ignorecase).fullmatch(value) is not None

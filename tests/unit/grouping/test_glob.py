from __future__ import annotations

import pytest

from heron.grouping.glob import glob_match


@pytest.mark.parametrize(
    ("value", "pattern", "expected"),
    [
        ("/usr/lib/python3/site-packages/a/b.py", "**/site-packages/**", True),
        ("site-packages/a.py", "**/site-packages/**", True),  # leading **/ may match nothing
        ("/go/pkg/mod/github.com/x/y.go", "**/go/pkg/mod/**", True),
        ("/srv/app/main.py", "**/site-packages/**", False),
        ("/a/b.py", "/a/*.py", True),
        ("/a/b/c.py", "/a/*.py", False),  # * stays inside one segment
        ("C:\\src\\vendor\\x.php", "**/vendor/**", True),  # backslashes normalised
        ("/SRC/Vendor/X.php", "**/vendor/**", True),  # paths ignore case
        ("https://unpkg.com/react@18/x.js", "**https://unpkg.com/**", True),
    ],
)
def test_path_globs(value: str, pattern: str, expected: bool) -> None:
    assert glob_match(value, pattern, path=True, ignorecase=True) is expected


@pytest.mark.parametrize(
    ("value", "pattern", "expected"),
    [
        ("sun.reflect.Foo", "sun.*", True),
        ("@babel/runtime/helpers/x", "@babel/**", True),
        ("log_error", "log_*", True),
        ("Log_error", "log_*", False),  # case matters outside paths
        ("[KSCrash foo]", "?[[]KSCrash*", False),
        ("-[KSCrash foo]", "?[[]KSCrash*", True),
        ("-[NSISEngine x]", "-\\[NSISEngine*", True),
        ("b", "[!a]", True),
        ("a", "[!a]", False),
        ("a.b", "a?b", True),
        ("[", "[", True),  # unclosed bracket is literal
    ],
)
def test_plain_globs(value: str, pattern: str, expected: bool) -> None:
    assert glob_match(value, pattern) is expected

from __future__ import annotations

import pytest

from heron.grouping import GroupingRuleError
from heron.grouping.ruletext import iter_rule_lines, quote, tokenize


def texts(line: str) -> list[str]:
    return [t.text for t in tokenize(line, 1)]


def test_splits_on_whitespace_and_drops_comments() -> None:
    assert texts("path:**/vendor/** -app   # vendored") == ["path:**/vendor/**", "-app"]


def test_quoted_values_keep_spaces_and_unescape() -> None:
    tokens = tokenize(r'message:"a \"b\" c" -> x', 1)
    assert tokens[0].text == 'message:a "b" c'
    assert tokens[0].split() == ("message", 'a "b" c')
    assert tokens[0].quoted


def test_other_backslashes_reach_the_glob() -> None:
    assert texts(r'function:"-\[NSISEngine*"') == [r"function:-\[NSISEngine*"]


def test_brackets_and_pipes_are_structural() -> None:
    assert texts("[ category:ui ] | category:ui") == ["[", "category:ui", "]", "|", "category:ui"]
    assert texts("[category:ui] | x:y") == ["[", "category:ui", "]", "|", "x:y"]


def test_variables_stay_whole() -> None:
    assert texts("a:b -> {{ default }} x") == ["a:b", "->", "{{ default }}", "x"]


def test_separator_is_the_first_outside_quotes() -> None:
    token = tokenize("stack.abs_path:package:sentry/**", 1)[0]
    assert token.split() == ("stack.abs_path", "package:sentry/**")
    assert tokenize("category=ui", 1)[0].sep_char == "="


@pytest.mark.parametrize("line", ['message:"open', "a:b -> {{ default"])
def test_unterminated_constructs(line: str) -> None:
    with pytest.raises(GroupingRuleError) as info:
        tokenize(line, 7)
    assert info.value.lineno == 7


def test_quote_round_trips() -> None:
    value = 'a "b" \\ c'
    assert tokenize(quote(value), 1)[0].text == value


def test_rule_lines_skip_blanks_and_comments() -> None:
    assert iter_rule_lines("# c\n\n  a:b -app\n") == [(3, "  a:b -app")]

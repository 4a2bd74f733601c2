"""Apply log-message parameters (``%s`` or ``{}`` style) without trusting the template.

Python's own ``%`` and ``str.format`` are not used on whole templates: a client-controlled
template could ask for a billion-character field width or (with ``format``) reach attributes
of the parameters. Each placeholder is parsed here and only vetted ones are rendered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

# Field widths and precisions above this are refused (memory-exhaustion guard).
_MAX_WIDTH = 1000

_PERCENT = re.compile(
    r"%(?:\((?P<key>[^)]*)\))?(?P<flags>[-#0 +]*)(?P<width>\d*)(?:\.(?P<precision>\d*))?"
    r"[hlL]?(?P<conversion>[diouxXeEfFgGcrsa%])"
)
_BRACE = re.compile(r"\{\{|\}\}|\{(?P<field>[^{}]*)\}|[{}]")
_SPEC_NUMBER = re.compile(r"\d+")


class _FormatError(Exception):
    """The template and parameters do not fit together."""


def format_message(template: str, params: Sequence[Any] | Mapping[str, Any]) -> str | None:
    """`template` with `params` applied, trying ``%`` style then ``{}`` style; None on failure."""
    if not params:
        return None
    if "%" in template:
        try:
            return _format_percent(template, params)
        except _FormatError:
            pass
    if "{" in template:
        try:
            return _format_braces(template, params)
        except _FormatError:
            pass
    return None


def _format_percent(template: str, params: Sequence[Any] | Mapping[str, Any]) -> str:
    out: list[str] = []
    index = 0
    used = 0
    while True:
        start = template.find("%", index)
        if start < 0:
            out.append(template[index:])
            break
        out.append(template[index:start])
        match = _PERCENT.match(template, start)
        if match is None:
            raise _FormatError("bad placeholder")
        index = match.end()
        if match["conversion"] == "%":
            if match.group(0) != "%%":
                raise _FormatError("decorated %%")
            out.append("%")
            continue
        if match["key"] is not None:
            if not isinstance(params, Mapping) or match["key"] not in params:
                raise _FormatError("missing key")
            value = params[match["key"]]
        else:
            if isinstance(params, Mapping) or used >= len(params):
                raise _FormatError("not enough parameters")
            value = params[used]
            used += 1
        out.append(_render_percent(match, value))
    if not isinstance(params, Mapping) and used != len(params):
        raise _FormatError("unused parameters")
    return "".join(out)


def _render_percent(match: re.Match[str], value: Any) -> str:
    width, precision = match["width"], match["precision"]
    if (width and int(width) > _MAX_WIDTH) or (precision and int(precision) > _MAX_WIDTH):
        raise _FormatError("field too wide")
    spec = "%" + match["flags"] + width
    if precision is not None:
        spec += "." + precision
    spec += match["conversion"]
    try:
        return spec % (value,)
    except (TypeError, ValueError, OverflowError, RecursionError) as exc:
        raise _FormatError(str(exc)) from None


def _format_braces(template: str, params: Sequence[Any] | Mapping[str, Any]) -> str:
    out: list[str] = []
    index = 0
    auto = 0
    for match in _BRACE.finditer(template):
        out.append(template[index : match.start()])
        index = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            out.append(token[0])
            continue
        field = match["field"]
        if field is None:
            raise _FormatError("unbalanced brace")
        name, _, spec = field.partition(":")
        name, _, conversion = name.partition("!")
        if name == "":
            key: int | str = auto
            auto += 1
        elif name.isdigit():
            key = int(name)
        else:
            key = name
        out.append(_render_brace(_lookup(params, key), conversion, spec))
    out.append(template[index:])
    return "".join(out)


def _lookup(params: Sequence[Any] | Mapping[str, Any], key: int | str) -> Any:
    if isinstance(params, Mapping):
        if isinstance(key, str) and key in params:
            return params[key]
    elif isinstance(key, int) and key < len(params):
        return params[key]
    raise _FormatError("missing parameter")


def _render_brace(value: Any, conversion: str, spec: str) -> str:
    if conversion not in ("", "s", "r"):
        raise _FormatError("bad conversion")
    if any(int(number) > _MAX_WIDTH for number in _SPEC_NUMBER.findall(spec)):
        raise _FormatError("field too wide")
    try:
        if conversion == "r":
            value = repr(value)
        elif conversion == "s":
            value = str(value)
        return format(value, spec)
    except (TypeError, ValueError, OverflowError, RecursionError) as exc:
        raise _FormatError(str(exc)) from None

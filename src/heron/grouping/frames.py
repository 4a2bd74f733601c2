"""Per-platform frame components: which parts of a frame identify it.

Leaves are built once per frame and shared by the app and system trees; they
are never modified afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from heron.grouping.component import Component, leaf
from heron.grouping.stackrules import FrameState, family_for_platform

MAX_CONTEXT_LINE: Final = 120
UNKNOWN_FUNCTIONS: Final = frozenset({"?", "<anonymous>", "<unknown>", "anonymous"})

_URL_ABS_PATH: Final = re.compile(r"(?:https?://|blob:)", re.IGNORECASE)
# Sources the JS SDK or a source map resolved (webpack:///, app:///, http…);
# local file paths give context lines we do not trust for grouping.
_JS_SOURCE_ORIGIN: Final = re.compile(r"(?!file:)[a-z][a-z0-9+.-]+:", re.IGNORECASE)
_ERB_SUFFIX: Final = re.compile(r"__\d+_\d+$")
_JS_ALIAS: Final = re.compile(r"\s*\[as [^\]]*\]$")
_RUST_HASH: Final = re.compile(r"::h[0-9a-f]{16}$")
_CODEGEN: Final = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"\$\$Lambda(?:\$\d+)?(?:/(?:0x)?[0-9a-fA-F]+)?", "$$Lambda$<auto>"),
        (r"(Generated(?:Serialization)?(?:Method|Constructor)Accessor)\d+", r"\1<auto>"),
        (r"(_\$\$_javassist)_\d+", r"\1<auto>"),
        (r"(_\$\$_jvst)[0-9a-fA-F]+_[0-9a-fA-F]+", r"\1<auto>"),
        (r"(\$\$(?:EnhancerBy|FastClassBy)[A-Za-z]*CGLIB\$\$)[0-9a-fA-F]+", r"\1<auto>"),
        (r"(\$HibernateProxy\$)[A-Za-z0-9]+", r"\1<auto>"),
        (r"(\$MockitoMock\$)\d+", r"\1<auto>"),
        (r"(\$Proxy)\d+", r"\1<auto>"),
    )
)


def _str(frame: Mapping[str, Any], key: str) -> str:
    value = frame.get(key)
    return value if isinstance(value, str) else ""


def frame_platform(frame: Mapping[str, Any], event_platform: str) -> str:
    platform = frame.get("platform")
    return platform if isinstance(platform, str) and platform else event_platform


def frame_state(frame: Mapping[str, Any], event_platform: str) -> FrameState:
    """What the stack-trace rules can see of ``frame``."""
    client_in_app = frame.get("in_app")
    known = isinstance(client_in_app, bool)
    paths = tuple(
        p.replace("\\", "/") for p in (_str(frame, "abs_path"), _str(frame, "filename")) if p
    )
    return FrameState(
        family=family_for_platform(frame_platform(frame, event_platform)),
        paths=paths,
        module=_str(frame, "module"),
        function=_str(frame, "function") or _str(frame, "raw_function"),
        package=_str(frame, "package").replace("\\", "/"),
        in_app=bool(client_in_app) if known else False,
        client_in_app=client_in_app if known else None,
        # Canonical events carry in_app=False for "not said", so only True is
        # certainly the client's decision; a rule confirming False still names itself.
        in_app_known=client_in_app is True,
    )


def basename(path: str) -> str:
    path = path.replace("\\", "/").rstrip("/")
    return path.rsplit("/", 1)[-1]


def normalize_context_line(line: str) -> str:
    return " ".join(line.split())


def strip_codegen(module: str) -> str:
    for regex, replacement in _CODEGEN:
        module = regex.sub(replacement, module)
    return module


def trim_javascript_function(name: str) -> str:
    name = _JS_ALIAS.sub("", name)
    if name.startswith("<") or "." not in name:
        return name
    tail = name.rsplit(".", 1)[1]
    return tail or name


def _cut_trailing_group(name: str, open_ch: str, close_ch: str) -> str:
    """Remove a balanced ``open…close`` group that ends ``name``."""
    if not name.endswith(close_ch):
        return name
    depth = 0
    for idx in range(len(name) - 1, -1, -1):
        ch = name[idx]
        if ch == close_ch:
            depth += 1
        elif ch == open_ch:
            depth -= 1
            if depth == 0:
                return name[:idx].rstrip() if idx else name
    return name


def _collapse_templates(name: str) -> str:
    if "operator" in name:
        return name  # operator<, operator<< … are names, not templates
    out: list[str] = []
    depth = 0
    for idx, ch in enumerate(name):
        if ch == "<" and idx and (name[idx - 1].isalnum() or name[idx - 1] in "_>"):
            if depth == 0:
                out.append("<T>")
            depth += 1
        elif ch == ">" and depth:
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out) if depth == 0 else name


def clean_native_function(name: str) -> str:
    """Function name without signature, return type, template arguments or hash."""
    if name[:2] in ("-[", "+[") or name.startswith("<"):
        return name
    name = _RUST_HASH.sub("", name)
    for qualifier in (" const", " volatile", " &&", " &"):
        name = name.removesuffix(qualifier)
    name = _cut_trailing_group(name, "(", ")")
    name = _collapse_templates(name)
    if " " in name and "operator" not in name and "(anonymous" not in name:
        name = name.rsplit(" ", 1)[1]
    return name


def _function(name: str, family: str, platform: str) -> Component | None:
    if not name:
        return None
    hint = None
    if family == "javascript":
        trimmed = trim_javascript_function(name)
        if trimmed != name:
            name, hint = trimmed, "trimmed javascript function"
    elif family == "native":
        cleaned = clean_native_function(name)
        if cleaned != name:
            name, hint = cleaned, "stripped symbol signature"
    elif platform == "ruby":
        stripped = _ERB_SUFFIX.sub("", name)
        if stripped != name:
            name, hint = stripped, "removed generated erb template suffix"
    if name in UNKNOWN_FUNCTIONS:
        return leaf("function", name, False, "ignored unknown function name")
    return leaf("function", name, True, hint)


def _context_line(frame: Mapping[str, Any]) -> Component | None:
    raw = _str(frame, "context_line")
    line = normalize_context_line(raw)
    if not line:
        return None
    if len(raw.strip()) > MAX_CONTEXT_LINE:
        return leaf("context-line", line, False, "discarded because line too long")
    return leaf("context-line", line)


def frame_leaves(frame: Mapping[str, Any], event_platform: str) -> list[Component]:
    """The identifying parts of one frame, in tree order."""
    platform = frame_platform(frame, event_platform)
    family = family_for_platform(platform)
    function = _str(frame, "function") or _str(frame, "raw_function")
    if family == "native":
        component = _function(function or _str(frame, "symbol"), family, platform)
        return [component] if component else []
    if family == "javascript":
        return _javascript_leaves(frame, function, platform)
    out: list[Component] = []
    module = _str(frame, "module")
    if module:
        stripped = (
            strip_codegen(module) if platform in ("java", "kotlin", "scala", "groovy") else module
        )
        out.append(
            leaf("module", stripped, True, "removed codegen marker" if stripped != module else None)
        )
    filename = basename(_str(frame, "filename") or _str(frame, "abs_path"))
    if filename:
        out.append(
            leaf("filename", filename, not module, "module takes precedence" if module else None)
        )
    for component in (_function(function, family, platform), _context_line(frame)):
        if component is not None:
            out.append(component)
    return out


def _javascript_leaves(frame: Mapping[str, Any], function: str, platform: str) -> list[Component]:
    out: list[Component] = []
    abs_path = _str(frame, "abs_path")
    from_url = _URL_ABS_PATH.match(abs_path) is not None
    module = _str(frame, "module")
    module_ok = bool(module) and not from_url
    if module:
        out.append(
            leaf(
                "module", module, module_ok, None if module_ok else "ignored bad javascript module"
            )
        )
    filename = basename(
        (_str(frame, "filename") or abs_path).split("?", 1)[0].split("#", 1)[0]
    ).lower()
    if filename:
        if from_url:
            out.append(leaf("filename", filename, False, "ignored because frame points to a URL"))
        elif module_ok:
            out.append(leaf("filename", filename, False, "module takes precedence"))
        else:
            out.append(leaf("filename", filename))
    context = _context_line(frame) if _JS_SOURCE_ORIGIN.match(abs_path) else None
    func = _function(function, "javascript", platform)
    if func is not None:
        data = frame.get("data")
        sourcemapped = isinstance(data, Mapping) and bool(data.get("sourcemap"))
        if sourcemapped and func.contributes and context is not None and context.contributes:
            func.contributes = False
            func.hint = "ignored because sourcemap used and context line available"
        out.append(func)
    if context is not None:
        out.append(context)
    return out


def recursion_key(leaves: list[Component]) -> tuple[tuple[str, Any, bool], ...]:
    """What grouping sees of a frame; a frame equal to its caller is recursion."""
    return tuple((c.id, c.values[0] if c.values else None, c.contributes) for c in leaves)

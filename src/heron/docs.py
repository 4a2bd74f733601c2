"""Write the generated reference docs: ``python -m heron.docs [--check]``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from heron.settings import render_markdown


def render_cli() -> str:
    from heron.cli import build_parser

    os.environ["COLUMNS"] = "100"  # argparse wraps to the terminal: make the text stable
    parser = build_parser()
    out = [
        "# The `heron` command",
        "",
        "Generated from `src/heron/cli.py` (`python -m heron.docs`).",
        "",
    ]
    out += ["```", parser.format_help().rstrip(), "```", ""]
    stack = [("heron", parser)]
    while stack:
        prefix, p = stack.pop(0)
        for action in p._actions:
            choices = getattr(action, "choices", None)
            if isinstance(choices, dict):
                for name, sub in choices.items():
                    out += [
                        f"## `{prefix} {name}`",
                        "",
                        "```",
                        sub.format_help().rstrip(),
                        "```",
                        "",
                    ]
                    stack.append((f"{prefix} {name}", sub))
    return "\n".join(out)


def generated() -> dict[str, str]:
    return {"settings.md": render_markdown(), "cli.md": render_cli()}


def main(argv: list[str]) -> int:
    docs = Path(__file__).resolve().parents[2] / "docs"
    stale = []
    for name, text in generated().items():
        path = docs / name
        if "--check" in argv:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
    if stale:
        print("stale docs: " + ", ".join(stale) + " (run python -m heron.docs)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

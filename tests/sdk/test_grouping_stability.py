"""Grouping as people feel it, with real SDKs: one bug is one issue, two bugs are two.

Python (sentry-sdk) and JavaScript (@sentry/node) processes raise errors against the live
server; the same code path twice lands in one issue, two call sites in two, and moving the
code down a few lines or changing a local variable's value does not split an issue.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.live import LiveServer
from tests.sdk.helpers import SDK_INIT, marker, run_sdk_file, wait_issues

JS_DIR = Path(__file__).resolve().parents[1] / "js"


def _python_app(mark: str, *, padding: int = 0, amount: int = 10) -> str:
    blank = "\n" * padding  # moves every line below it down
    return (
        SDK_INIT
        + blank
        + textwrap.dedent(
            f"""
            sentry_sdk.set_tag("marker", "{mark}")

            def charge_{mark}(order):
                amount = {amount}
                return amount / order["quantity"]

            def checkout_{mark}():
                return charge_{mark}({{"quantity": 0}})

            try:
                checkout_{mark}()
            except ZeroDivisionError:
                sentry_sdk.capture_exception()
            sentry_sdk.flush()
            """
        )
    )


def test_moved_lines_and_changed_locals_keep_one_issue(server: LiveServer, tmp_path: Path) -> None:
    mark = marker()
    run_sdk_file(tmp_path, _python_app(mark), server.dsn)
    run_sdk_file(tmp_path, _python_app(mark, padding=7), server.dsn)  # new line numbers
    run_sdk_file(tmp_path, _python_app(mark, amount=99), server.dsn)  # another local value
    (issue,) = wait_issues(server, f"marker:{mark}", issues=1, events=3)
    assert issue["count"] == "3"


def test_python_call_sites_split_and_repeats_join(server: LiveServer, tmp_path: Path) -> None:
    mark = marker()
    source = SDK_INIT + textwrap.dedent(
        f"""
        sentry_sdk.set_tag("marker", "{mark}")

        def parse_{mark}(text):
            return int(text)

        def from_form_{mark}():
            return parse_{mark}("not a number")

        def from_api_{mark}():
            return int("also not a number")

        for call in (from_form_{mark}, from_form_{mark}, from_api_{mark}):
            try:
                call()
            except ValueError:
                sentry_sdk.capture_exception()
        sentry_sdk.flush()
        """
    )
    run_sdk_file(tmp_path, source, server.dsn)
    issues = wait_issues(server, f"marker:{mark}", issues=2, events=3)
    assert sorted(i["count"] for i in issues) == ["1", "2"]


def _node() -> str:
    node = shutil.which("node")
    if node is None or not (JS_DIR / "node_modules" / "@sentry" / "node").exists():
        if os.environ.get("CI"):
            pytest.fail("node and tests/js/node_modules are required in CI (scripts/test)")
        pytest.skip("node or @sentry/node not installed (run scripts/test)")
    return node


def test_node_sdk_groups_like_python(server: LiveServer, tmp_path: Path) -> None:
    node = _node()
    mark = marker()
    script = tmp_path / f"{mark}.js"
    script.write_text(
        textwrap.dedent(
            f"""
            const Sentry = require("@sentry/node");
            Sentry.init({{ dsn: process.env.SENTRY_DSN, defaultIntegrations: false }});
            Sentry.setTag("marker", "{mark}");

            function loadUser_{mark}(id) {{
              const users = {{}};
              return users[id].name;  // TypeError: cannot read properties of undefined
            }}
            function fromRoute_{mark}() {{ return loadUser_{mark}(7); }}
            function fromJob_{mark}() {{ return null.trim(); }}

            for (const call of [fromRoute_{mark}, fromRoute_{mark}, fromJob_{mark}]) {{
              try {{ call(); }} catch (err) {{ Sentry.captureException(err); }}
            }}
            Sentry.flush(5000).then(() => process.exit(0));
            """
        )
    )
    env = {**os.environ, "SENTRY_DSN": server.dsn, "NODE_PATH": str(JS_DIR / "node_modules")}
    proc = subprocess.run([node, str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    issues = wait_issues(server, f"marker:{mark}", issues=2, events=3)
    assert sorted(i["count"] for i in issues) == ["1", "2"]
    assert all(i["title"].startswith("TypeError") for i in issues)

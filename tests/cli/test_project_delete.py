"""``heron project delete``: asks for --yes, deletes the project and its data, says what."""

from __future__ import annotations

from pathlib import Path

from tests.live import heron_env, run_cli


def test_delete_a_project(tmp_path: Path, fresh_database: str) -> None:
    env = heron_env(tmp_path, fresh_database)
    run_cli(env, "project", "create", "doomed")
    assert "heron/doomed" in run_cli(env, "project", "list").stdout

    unconfirmed = run_cli(env, "project", "delete", "doomed", check=False)
    assert unconfirmed.returncode == 2
    assert "--yes" in unconfirmed.stderr
    assert "heron/doomed" in run_cli(env, "project", "list").stdout

    deleted = run_cli(env, "project", "delete", "doomed", "--yes")
    assert deleted.stdout.startswith("deleted heron/doomed (")
    assert "1 projects" in deleted.stdout and "1 project_keys" in deleted.stdout
    listing = run_cli(env, "project", "list").stdout
    assert "heron/doomed" not in listing and "heron/default" in listing

    again = run_cli(env, "project", "delete", "doomed", "--yes", check=False)
    assert again.returncode == 1
    assert "does not exist" in again.stderr and "Traceback" not in again.stderr

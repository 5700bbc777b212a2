"""The command line: summaries and exit codes (0 ok, 1 some files failed, 2 usage)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from askclinic.cli import app

runner = CliRunner()


@pytest.mark.slow
def test_ingest_then_stats_then_noop(archive: Path, tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    first = runner.invoke(app, ["ingest", str(archive), "--store", store])
    assert first.exit_code == 0, first.output
    assert "new" in first.output and "failed" in first.output

    again = runner.invoke(app, ["ingest", str(archive), "--store", store])
    assert again.exit_code == 0
    assert "0 chunks embedded" in again.output

    stats = runner.invoke(app, ["stats", "--store", store])
    assert stats.exit_code == 0
    posts_row = next(line for line in stats.output.splitlines() if "posts" in line and "incomplete" not in line)
    assert f" {len(list(archive.iterdir()))} " in posts_row
    assert "all-MiniLM-L6-v2" in stats.output


def test_failed_files_exit_1_and_are_named(archive: Path, tmp_path: Path, monkeypatch) -> None:
    (archive / "broken.txt").write_bytes(b"\x00binary")
    monkeypatch.setenv("ASKCLINIC_STORE", str(tmp_path / "store"))
    result = runner.invoke(app, ["ingest", str(archive / "broken.txt"), str(tmp_path / "missing"), "--dry-run"])
    assert result.exit_code == 1
    assert "broken.txt: the file is binary" in result.output
    assert "missing: no such file or folder" in result.output


def test_usage_errors_exit_2() -> None:
    assert runner.invoke(app, ["ingest"]).exit_code == 2
    assert runner.invoke(app, ["ingest", "x", "--no-such-flag"]).exit_code == 2


def test_bad_store_url_is_one_clear_line(archive: Path) -> None:
    result = runner.invoke(app, ["ingest", str(archive), "--store", "http://"])
    assert result.exit_code == 2
    assert "has no host" in result.output


def test_ask_json_lines_from_stdin(built_store: str) -> None:
    import json

    result = runner.invoke(
        app,
        ["ask", "-", "--json", "--store", built_store],
        input="How common is thread exposure?\n\nI have a fever after my thread lift\n",
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["status"] for r in rows] == ["answered", "urgent"]
    assert set(rows[0]) == {"question", "status", "answer", "citations", "disclaimer"}
    assert set(rows[0]["citations"][0]) == {
        "n",
        "post_id",
        "title",
        "clinic",
        "published",
        "section",
        "quote",
        "source",
    }
    assert rows[0]["disclaimer"] == rows[1]["disclaimer"]

"""``shopchat catalog import`` and ``search`` as a merchant runs them."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from bot.cli import app

from .conftest import make_row

runner = CliRunner()


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.delenv("SHOPCHAT_DATABASE_URL", raising=False)
    return tmp_path


def run(*args: str):
    return runner.invoke(app, ["catalog", *args])


def test_import_prints_a_json_summary_with_the_rejected_rows(project, write_feed):
    feed = write_feed([make_row("a"), make_row("b", price=1.5), make_row("c")])
    result = run("import", str(feed), "--json", "--max-rejected", "50%", "--project", str(project))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["format"], summary["products"], summary["variants"]) == ("jsonl", 2, 2)
    [rejected] = summary["rejected"]
    assert rejected["line"] == 2 and "price" in rejected["reason"]
    assert summary["warnings"] == []


def test_an_unchanged_feed_is_not_imported_again(project, write_feed):
    feed = write_feed([make_row("a")])
    assert run("import", str(feed), "--project", str(project)).exit_code == 0
    again = run("import", str(feed), "--project", str(project))
    assert again.exit_code == 0
    assert "has not changed" in again.stdout
    assert json.loads(run("import", str(feed), "--json", "--project", str(project)).stdout)[
        "unchanged"
    ]


def test_search_lists_matching_products(project, write_feed):
    feed = write_feed(
        [
            make_row("bear", price=4999),
            make_row("kite", title={"en": "Kite"}, description={"en": "Flies high."}, price=1999),
            make_row("big-bear", title={"en": "Giant bear"}, price=25000),
        ]
    )
    run("import", str(feed), "--project", str(project))
    result = run("search", "bear", "--max-price", "10000", "--json", "--project", str(project))
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["total"] == 1 and found["hits"][0]["id"] == "bear"
    table = run("search", "kite", "--in-stock", "--project", str(project))
    assert "Kite" in table.stdout and "1 products match" in table.stdout


def test_a_missing_feed_is_a_usage_error_without_a_traceback(project):
    result = run("import", str(project / "nope.xml"), "--project", str(project))
    assert result.exit_code == 2
    assert "no such feed file" in result.output and "Traceback" not in result.output


def test_a_broken_feed_leaves_the_catalog_as_it_was(project, write_feed, tmp_path):
    good = write_feed([make_row("a")])
    run("import", str(good), "--project", str(project))
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(b"\xff\xfe not utf-8")
    result = run("import", str(broken), "--project", str(project))
    assert result.exit_code == 1
    assert "not changed" in result.output
    found = json.loads(run("search", "", "--json", "--project", str(project)).stdout)
    assert [h["id"] for h in found["hits"]] == ["a"]


def test_an_unknown_age_group_is_a_usage_error(project):
    result = run("search", "x", "--age-group", "ancient", "--project", str(project))
    assert result.exit_code == 2 and "unknown age group" in result.output

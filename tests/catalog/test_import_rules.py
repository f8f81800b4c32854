"""One source of truth: a bad file never empties a working shop, the project's currency, locale
and time zone apply to every import, and a hand import and shop.yaml's feed never overwrite
each other silently."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.project import open_project
from bot.settings import Settings
from catalog import ImportRefused, ImportRules

from .conftest import make_item

runner = CliRunner()
DATA = Path(__file__).resolve().parents[1] / "data" / "feeds"
SHOPIFY_NO_CURRENCY = DATA / "shopify_pt_br.csv"


@pytest.fixture(autouse=True)
def _own_database(monkeypatch):
    monkeypatch.delenv("SHOPCHAT_DATABASE_URL", raising=False)


def run(*args: str):
    return runner.invoke(app, ["catalog", *args])


def make_project(root: Path, *, currency: str = "PLN", feed: str | None = None, extra: str = ""):
    (root / "flows").mkdir(parents=True, exist_ok=True)
    (root / "flows" / "menu.yaml").write_text(
        "triggers:\n  keywords: {en: [hi]}\nsteps:\n  - say: Hello.\n", encoding="utf-8"
    )
    catalog = f"catalog:\n  feed: {feed}\n{extra}" if feed else ""
    (root / "shop.yaml").write_text(
        f"name: Rules Shop\ndefault_locale: pl\nlocales: [pl]\ncurrency: {currency}\n"
        f"timezone: Europe/Warsaw\nstart_flow: menu\n{catalog}",
        encoding="utf-8",
    )
    return root


def search_ids(project: Path) -> list[str]:
    found = json.loads(run("search", "", "--json", "--project", str(project)).stdout)
    return sorted(h["id"] for h in found["hits"])


def jsonl(path: Path, *rows: dict) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def row(id: str, price: str = "10.00 PLN", **extra: object) -> dict:
    return {"id": id, "title": f"Product {id}", "price": price, **extra}


def test_a_feed_whose_every_row_is_rejected_changes_nothing_and_exits_1(tmp_path):
    project = tmp_path / "bare"  # no shop.yaml: no currency to read Shopify's prices in
    project.mkdir()
    good = jsonl(tmp_path / "good.jsonl", row("kept"))
    assert run("import", str(good), "--project", str(project)).exit_code == 0
    result = run("import", str(SHOPIFY_NO_CURRENCY), "--project", str(project))
    assert result.exit_code == 1
    assert "3 of 3 rows were rejected" in result.output
    assert "has no currency" in result.output and "The catalog was not changed" in result.output
    assert search_ids(project) == ["kept"]
    refused = json.loads(
        run("import", str(SHOPIFY_NO_CURRENCY), "--json", "--project", str(project)).stdout
    )
    assert refused["refused"] and len(refused["rejected"]) == 3


def test_the_projects_currency_prices_a_shopify_export(tmp_path):
    project = make_project(tmp_path / "shop", currency="BRL")
    result = run("import", str(SHOPIFY_NO_CURRENCY), "--project", str(project))
    assert result.exit_code == 0, result.output
    assert search_ids(project) == ["avental", "faca-chef"]


def test_a_feed_in_another_currency_is_refused_by_hand_too(tmp_path):
    project = make_project(tmp_path / "shop", currency="PLN")
    foreign = jsonl(tmp_path / "f.jsonl", row("a", "9.000 TND"), row("b", "5.00 EUR"))
    result = run("import", str(foreign), "--project", str(project))
    assert result.exit_code == 1
    assert "not in the shop currency PLN" in result.output
    usage = run("import", str(foreign), "--currency", "EUR", "--project", str(project))
    assert usage.exit_code == 2 and "this shop sells in PLN" in usage.output


def test_a_catalog_with_nothing_to_sell_needs_allow_empty(tmp_path):
    project = make_project(tmp_path / "shop")
    gone = jsonl(tmp_path / "gone.jsonl", row("a", availability="out of stock"))
    result = run("import", str(gone), "--project", str(project))
    assert result.exit_code == 1 and "none of its 1 products can be ordered" in result.output
    assert run("import", str(gone), "--allow-empty", "--project", str(project)).exit_code == 0


def test_max_rejected_is_the_merchants_share(tmp_path, sqlite_catalog):
    items = [make_item(str(n)) for n in range(8)] + [make_item("x", price=-1)] * 2
    with pytest.raises(ImportRefused, match=r"2 of 10 rows were rejected \(20%\)") as caught:
        sqlite_catalog.import_items(items, rules=ImportRules(max_rejected=0.1))
    assert caught.value.report.products == 8
    assert sqlite_catalog.generation is None  # nothing was published
    report = sqlite_catalog.import_items(items, rules=ImportRules(max_rejected=0.2))
    assert report.products == 8
    bad = run("import", "x.jsonl", "--max-rejected", "lots")
    assert bad.exit_code == 2 and "--max-rejected" in bad.output


def test_check_fails_when_shop_yamls_feed_cannot_be_used(tmp_path):
    project = make_project(tmp_path / "shop", currency="PLN", feed="feed.jsonl")
    jsonl(project / "feed.jsonl", row("a", "5.00 USD"), row("b", "6.00 USD"))
    opened = open_project(project, Settings())
    errors = [d for d in opened.diagnostics if d.severity == "error"]
    assert len(errors) == 1
    assert errors[0].path == project / "shop.yaml" and errors[0].line == 8  # catalog.feed
    assert "cannot be used" in errors[0].message and "2 of 2 rows" in errors[0].message
    shown = [d for d in opened.diagnostics if d.path == (project / "feed.jsonl").resolve()]
    assert [(d.line, d.severity) for d in shown] == [(1, "warning"), (2, "warning")]
    assert "not in the shop currency PLN" in shown[0].message


def test_a_broken_or_refused_feed_at_restart_keeps_serving_the_catalog_as_it_was(tmp_path, caplog):
    from bot.app import create_app

    project = make_project(tmp_path / "shop", currency="PLN", feed="feed.jsonl")
    jsonl(project / "feed.jsonl", row("a"), row("b"))
    assert open_project(project, Settings()).project is not None
    jsonl(project / "feed.jsonl", row("a", "5.00 USD"), row("b", "6.00 USD"))  # a bad export
    checked = runner.invoke(app, ["check", str(project)])
    assert checked.exit_code == 1 and "cannot be used" in checked.output
    opened = open_project(project, Settings())
    assert opened.project is not None  # serve and chat start...
    assert search_ids(project) == ["a", "b"]  # ...with the catalog as it was
    (project / "feed.jsonl").write_text('{"id": "a", "title": "A", "price": "1.00 PLN"', "utf-8")
    with caplog.at_level("WARNING", logger="shopchat.app"):
        create_app(project, Settings())  # a cut-off export: reported, not fatal
    logged = [r.getMessage() for r in caplog.records]
    assert any("cannot be used" in m for m in logged), logged
    assert any("feed.jsonl:1:1: warning: row rejected: not valid JSON" in m for m in logged)
    assert search_ids(project) == ["a", "b"]


def test_check_reports_the_configured_feeds_rejected_rows(tmp_path):
    project = make_project(tmp_path / "shop", feed="feed.jsonl", extra="  max_rejected: 50%\n")
    jsonl(project / "feed.jsonl", row("a"), row("b", "-1.00 PLN"), row("c"))
    for _ in range(2):  # imported, then unchanged: the report is the same
        opened = open_project(project, Settings())
        assert opened.project is not None
        messages = [d.format() for d in opened.diagnostics]
        assert any("1 of 3 rows rejected (line 2: price" in m for m in messages), messages
        assert any(
            m.startswith(f"{(project / 'feed.jsonl').resolve()}:2:1: warning") for m in messages
        )


def test_a_hand_import_is_never_silently_replaced_by_shop_yamls_feed(tmp_path):
    project = make_project(tmp_path / "shop", feed="feed.jsonl")
    jsonl(project / "feed.jsonl", row("configured"))
    open_project(project, Settings())  # serve/chat/check import the configured feed
    assert search_ids(project) == ["configured"]
    by_hand = jsonl(tmp_path / "sale.jsonl", row("by-hand"))
    refused = run("import", str(by_hand), "--project", str(project))
    assert refused.exit_code == 2 and "--replace-configured" in refused.output
    done = run("import", str(by_hand), "--replace-configured", "--project", str(project))
    assert done.exit_code == 0 and "imported again only when it changes" in done.output
    opened = open_project(project, Settings())  # the next start keeps the hand import...
    assert search_ids(project) == ["by-hand"]
    assert any("imported by hand" in d.message for d in opened.diagnostics)
    jsonl(project / "feed.jsonl", row("configured"), row("new"))  # ...until the feed changes
    open_project(project, Settings())
    assert search_ids(project) == ["configured", "new"]


def test_a_hand_import_before_the_first_start_is_kept_too(tmp_path):
    project = make_project(tmp_path / "shop", feed="feed.jsonl")
    jsonl(project / "feed.jsonl", row("configured"))
    by_hand = jsonl(tmp_path / "sale.jsonl", row("by-hand"))
    assert (
        run("import", str(by_hand), "--replace-configured", "--project", str(project)).exit_code
        == 0
    )
    open_project(project, Settings())
    assert search_ids(project) == ["by-hand"]


def test_the_shops_locale_and_time_zone_apply_to_the_feed(tmp_path):
    project = make_project(tmp_path / "shop", feed="feed.xml")
    (project / "feed.xml").write_text(
        textwrap.dedent(
            """\
            <?xml version="1.0"?>
            <rss xmlns:g="http://base.google.com/ns/1.0"><channel>
            <item><g:id>K1</g:id><g:title>Klocki</g:title>
            <g:title xml:lang="en">Bricks</g:title><g:price>100.00 PLN</g:price>
            <g:sale_price>80.00 PLN</g:sale_price>
            <g:sale_price_effective_date>2026-12-01T00:00/2026-12-02T00:00</g:sale_price_effective_date>
            </item></channel></rss>
            """
        ),
        encoding="utf-8",
    )
    opened = open_project(project, Settings())
    assert opened.project is not None
    found = json.loads(
        run("search", "klocki", "--json", "--locale", "pl", "--project", str(project)).stdout
    )
    assert found["hits"][0]["title"] == "Klocki"  # the untranslated title is the shop's Polish
    from bot.storage import SessionStore
    from catalog import Catalog

    store = SessionStore(Settings().database_url_for(project))
    product = Catalog(store.engine).get("K1")
    store.close()
    assert product is not None and product.title["pl"] == "Klocki"
    # Midnight in Warsaw (UTC+1 in December), not in UTC.
    assert product.variants[0].sale_start.isoformat() == "2026-11-30T23:00:00+00:00"

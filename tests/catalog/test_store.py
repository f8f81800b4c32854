"""The catalog store contract, on SQLite and PostgreSQL: imports replace the catalog whole."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from catalog import Availability, ImportRules, Status
from catalog.feeds import FeedError

from .conftest import NOW, make_item, make_row


def ids(result) -> list[str]:
    return sorted(hit.product.id for hit in result.hits)


def test_items_of_a_group_become_one_product_with_variants(catalog):
    group = {
        "group_id": "tee",
        "title": "Dino T-shirt",
        "title_i18n": {"pl": "Koszulka z dinozaurem"},
    }
    report = catalog.import_items(
        [
            make_item("tee-s", price=3000, attributes={"size": "S", "color": "green"}, **group),
            make_item("tee-m", price=3500, attributes={"size": "M", "color": "green"}, **group),
            make_item("bear"),
        ]
    )
    assert (report.products, report.variants, report.rejected) == (2, 3, [])
    tee = catalog.get("tee")
    assert [v.id for v in tee.variants] == ["tee-s", "tee-m"]
    assert tee.title_for("pl") == "Koszulka z dinozaurem"
    assert tee.title_for("de") == "Dino T-shirt"
    assert catalog.get("bear").standalone
    assert catalog.get("tee-s") is None  # variants are not products


def test_offer_gives_the_price_in_force_now(catalog):
    window = {
        "sale_price": 2500,
        "sale_start": NOW - timedelta(hours=1),
        "sale_end": NOW + timedelta(hours=1),
    }
    group = {"group_id": "tee", "title": "T-shirt"}
    catalog.import_items(
        [
            make_item(
                "tee-m", price=3000, attributes={"size": "M", "color": "red"}, **window, **group
            ),
            make_item("tee-l", price=3000, attributes={"size": "L"}, quantity=0, **group),
            make_item("bear", title="Teddy", title_i18n={"pl": "Miś"}),
            make_item("draft", status=Status.DRAFT),
        ]
    )
    offer = catalog.offer("tee", "tee-m", locale="en", now=NOW)
    assert (offer.title, offer.price, offer.regular_price, offer.currency) == (
        "T-shirt – M / red",
        2500,
        3000,
        "PLN",
    )
    assert offer.buyable
    later = catalog.offer("tee", "tee-m", locale="en", now=NOW + timedelta(hours=2))
    assert later.price == 3000
    assert not catalog.offer("tee", "tee-l", locale="en", now=NOW).buyable  # none left
    bear = catalog.offer("bear", None, locale="pl", now=NOW)
    assert (bear.title, bear.variant_id, bear.price) == ("Miś", None, 4999)
    assert catalog.offer("tee", None, locale="en", now=NOW) is None  # which size?
    assert catalog.offer("tee", "bear", locale="en", now=NOW) is None
    assert catalog.offer("draft", None, locale="en", now=NOW) is None
    assert catalog.offer("nope", None, locale="en", now=NOW) is None


def test_a_new_full_feed_replaces_the_catalog(catalog):
    catalog.import_items([make_item("a", title="Kite"), make_item("b", title="Kite box")])
    first = catalog.generation
    catalog.import_items(
        [make_item("a", title="Kite", price=1234), make_item("c", title="Kite tail")]
    )
    assert catalog.generation != first
    assert ids(catalog.search("kite")) == ["a", "c"]  # b is gone
    assert catalog.get("b") is None
    assert catalog.get("a").variants[0].price == 1234
    assert catalog.search("kite", max_price=1300).hits[0].product.id == "a"


def test_bad_rows_are_reported_and_skipped_without_undoing_the_rest(catalog):
    report = catalog.import_items(
        [
            make_item("a", line=1),
            make_item("b", price=-5, line=2),
            make_item("", line=3),
            make_item("c", title=" ", line=4),
            make_item("a", line=5),
            make_item("d", currency="zł", line=6),
            make_item("e", line=7),
        ],
        rules=ImportRules(max_rejected=1.0),
    )
    assert (report.products, report.variants) == (2, 2)
    assert [(p.line, p.id) for p in report.rejected] == [
        (2, "b"),
        (3, None),
        (4, "c"),
        (5, "a"),
        (6, "d"),
    ]
    assert "first on line 1" in report.rejected[3].reason
    assert ids(catalog.search("")) == ["a", "e"]


def test_a_variant_listed_after_other_products_joins_its_product(catalog):
    report = catalog.import_items(
        [
            make_item("tee-s", group_id="tee", title="Tee"),
            make_item("bear"),
            make_item("tee-m", group_id="tee", title="Tee", price=100),
        ]
    )
    assert (report.products, report.variants) == (2, 3)
    assert [v.id for v in catalog.get("tee").variants] == ["tee-s", "tee-m"]
    assert ids(catalog.search("", max_price=200)) == ["tee"]


def test_a_failed_import_leaves_the_old_catalog_untouched(catalog):
    catalog.import_items([make_item("a", title="Kite")])
    before = catalog.generation

    def broken():
        yield make_item("b", title="Kite")
        raise FeedError("feed.xml", "not well-formed", 2)

    with pytest.raises(FeedError):
        catalog.import_items(broken())
    assert catalog.generation == before
    assert ids(catalog.search("kite")) == ["a"]
    # Nothing of the failed generation is left behind.
    with catalog.engine.connect() as connection:
        from sqlalchemy import func, select

        from catalog.store import blocks, generations
        from catalog.store import ids as id_rows

        assert connection.execute(select(func.count()).select_from(id_rows)).scalar() == 1
        assert connection.execute(select(func.count()).select_from(blocks)).scalar() == 1
        assert connection.execute(select(func.count()).select_from(generations)).scalar() == 1


def test_shoppers_see_the_old_catalog_during_an_import_and_the_new_one_after(
    catalog, database_url, open_catalog
):
    catalog.import_items([make_item(f"old-{n}", title="Kite") for n in range(50)])
    old = [f"old-{n}" for n in range(50)]
    shopper = open_catalog(database_url)  # another process
    seen_during: list[list[str]] = []

    def feed():
        for n in range(3000):
            if n % 500 == 0:
                seen_during.append(ids(shopper.search("kite", limit=100)))
            yield make_item(f"new-{n}", title="Kite")

    catalog.import_items(feed())
    assert seen_during and all(found == sorted(old) for found in seen_during)
    after = shopper.search("kite", limit=100)
    assert after.total == 3000 and all(h.product.id.startswith("new-") for h in after.hits)


def test_a_reader_thread_never_sees_half_a_catalog(catalog, database_url, open_catalog):
    catalog.import_items([make_item(f"old-{n}", title="Kite") for n in range(20)])
    shopper = open_catalog(database_url)
    stop = threading.Event()
    totals: set[int] = set()
    errors: list[BaseException] = []

    def read() -> None:
        try:
            while not stop.is_set():
                found = shopper.search("kite", limit=5)
                totals.add(found.total)
                prefixes = {h.product.id.split("-")[0] for h in found.hits}
                assert len(prefixes) <= 1, prefixes
        except BaseException as exc:  # reported below
            errors.append(exc)

    thread = threading.Thread(target=read)
    thread.start()
    try:
        for _ in range(3):
            catalog.import_items([make_item(f"new-{n}", title="Kite") for n in range(2000)])
            catalog.import_items([make_item(f"old-{n}", title="Kite") for n in range(20)])
    finally:
        stop.set()
        thread.join()
    assert not errors
    assert totals <= {20, 2000}


def test_an_unchanged_feed_file_is_not_imported_again(catalog, write_feed):
    path = write_feed([make_row("a"), make_row("b")])
    first = catalog.import_path(path)
    assert (first.unchanged, first.products, first.format) == (False, 2, "jsonl")
    again = catalog.import_path(path)
    assert again.unchanged and catalog.generation == first.generation
    write_feed([make_row("a", price=100)])
    changed = catalog.import_path(path)
    assert not changed.unchanged and changed.products == 1
    assert catalog.get("a").variants[0].price == 100


def test_jsonl_rows_with_problems_are_reported_with_their_line(catalog, write_feed):
    path = write_feed([make_row("a"), make_row("b", price=149.99), '{"id": "c"'])
    report = catalog.import_path(path, rules=ImportRules(max_rejected=1.0))
    assert report.products == 1
    assert [p.line for p in report.rejected] == [2, 3]
    assert "14999" in report.rejected[0].reason


def test_a_missing_feed_file_is_a_clear_error(catalog, tmp_path):
    with pytest.raises(FileNotFoundError):
        catalog.import_path(tmp_path / "nope.jsonl")


def test_availability_and_quantity_round_trip(catalog):
    catalog.import_items(
        [
            make_item("a", availability=Availability.PREORDER, quantity=3),
            make_item("b", availability=Availability.DISCONTINUED),
        ]
    )
    assert catalog.get("a").variants[0].quantity == 3 and catalog.get("a").in_stock
    assert not catalog.get("b").in_stock
    assert ids(catalog.search("", in_stock=True)) == ["a"]


class _Reader:
    """What catalog.feeds.read_feed returns: items, then the problems found on the way."""

    format = "google_xml"

    def __init__(self, items, problems):
        self._items, self._later, self.problems = items, problems, []

    def __iter__(self):
        yield from self._items
        self.problems = self._later


def test_the_readers_problems_join_the_report(catalog):
    from catalog import Problem

    reader = _Reader(
        [make_item("a", line=1)],
        [Problem(2, "b", "no price"), Problem(3, "c", "unknown availability 'maybe'", "warning")],
    )
    report = catalog.import_items(reader, format=reader.format, rules=ImportRules(max_rejected=0.5))
    assert report.as_dict() == {
        "format": "google_xml",
        "rows": 2,
        "products": 1,
        "sellable": 1,
        "variants": 1,
        "rejected": [{"line": 2, "id": "b", "reason": "no price"}],
        "warnings": [{"line": 3, "id": "c", "reason": "unknown availability 'maybe'"}],
        "unchanged": False,
    }


def test_two_imports_racing_leave_the_winner_in_place(catalog, database_url, open_catalog):
    other = open_catalog(database_url)  # another process importing at the same time

    def slow_feed():
        yield make_item("mine", title="Kite")
        other.import_items([make_item("theirs", title="Kite")])  # publishes first

    catalog.import_items(slow_feed())  # publishes last: its generation wins
    assert ids(catalog.search("kite")) == ["mine"]
    assert ids(other.search("kite")) == ["mine"]

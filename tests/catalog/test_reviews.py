"""Reviews: Google's Product Ratings feed and a CSV, all or nothing, shown in chat and search."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog import ImportRefused, ImportRules, product_for_locale, register_catalog_actions
from flows.actions import ActionContext, ActionRegistry

from .conftest import NOW, make_item

DATA = Path(__file__).resolve().parents[1] / "data" / "feeds"
LOOSE = ImportRules(max_rejected=1.0)


@pytest.fixture
def shop(catalog):
    catalog.import_items(
        [
            make_item("teddy", title="Teddy Bear", attributes={"gtin": "5901234123457"}),
            make_item("kite-red", group_id="kite", title="Kite", attributes={"color": "red"}),
            make_item("kite-blue", group_id="kite", title="Kite", attributes={"color": "blue"}),
            make_item("ball", title="Ball"),
        ]
    )
    return catalog


def test_googles_product_ratings_feed(shop):
    report = shop.import_reviews(DATA / "google_ratings.xml", rules=LOOSE)
    assert report.format == "google_reviews" and (report.rows, report.variants) == (4, 2)
    # Each rejected review names its line (the <review> element) and why.
    assert [(p.line, p.id) for p in report.rejected] == [(67, "kite"), (75, "no-such-thing")]
    assert "outside 1-5" in report.rejected[0].reason
    assert "no product 'no-such-thing'" in report.rejected[1].reason
    teddy = shop.get("teddy")  # matched by GTIN (leading zeros aside), not the unknown SKU
    assert (teddy.rating, teddy.reviews) == (4.4, 1)
    kite = shop.get("kite")  # 8 of 1-10 is 4.1 stars
    assert (kite.rating, kite.reviews) == (4.1, 1)
    [review] = shop.reviews("kite", locale="pl")
    assert (review.text, review.author, review.locale) == ("Miękki i ładny.", "Jane", "pl")


def test_too_many_bad_reviews_change_nothing(shop):
    shop.import_reviews(DATA / "reviews.csv", rules=LOOSE)
    before = shop.get("teddy")
    with pytest.raises(ImportRefused, match="2 of 4 reviews were rejected"):
        shop.import_reviews(DATA / "google_ratings.xml")
    assert shop.get("teddy") == before


def test_a_csv_of_reviews_and_the_best_in_the_shoppers_language(shop):
    report = shop.import_reviews(DATA / "reviews.csv", rules=ImportRules(max_rejected=0.3))
    assert report.format == "csv" and report.variants == 3
    assert [(p.line, p.id) for p in report.rejected] == [(5, "kite")]  # no rating
    assert [r.author for r in shop.reviews("teddy", locale="pl-PL")] == ["Ania"]
    assert [r.author for r in shop.reviews("teddy", locale="en")] == ["Joe"]
    assert [r.author for r in shop.reviews("teddy", locale="es")] == ["Ania", "Joe"]  # best first
    assert shop.get("kite").reviews == 1  # a variant id names its product


def test_importing_the_same_file_again_replaces_its_reviews(shop, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("product_id,rating,text\nball,5,Bouncy\nball,1,Flat\n", encoding="utf-8")
    shop.import_reviews(path)
    assert (shop.get("ball").rating, shop.get("ball").reviews) == (3.0, 2)
    path.write_text("product_id,rating,text\nball,5,Bouncy\n", encoding="utf-8")
    shop.import_reviews(path)
    assert (shop.get("ball").rating, shop.get("ball").reviews) == (5.0, 1)


def test_search_sorts_and_filters_by_rating(shop):
    shop.import_reviews(DATA / "reviews.csv", rules=LOOSE)  # kite 5.0, teddy 3.0
    assert [h.product.id for h in shop.search("", sort="rating").hits][:2] == ["kite", "teddy"]
    assert [h.product.id for h in shop.search("", min_rating=4).hits] == ["kite"]
    assert [h.product.id for h in shop.search("", min_rating=3).hits] == ["teddy", "kite"]
    with pytest.raises(ValueError):
        shop.search("", sort="price")


def test_cards_and_the_reviews_action_show_ratings_in_the_shoppers_locale(shop):
    shop.import_reviews(DATA / "reviews.csv", rules=LOOSE)
    card = product_for_locale(shop.get("teddy"), "pl", now=NOW)
    assert (card["rating"], card["reviews"], card["rating_text"]) == (3.0, 2, "★ 3,0 (2)")
    assert product_for_locale(shop.get("ball"), "en", now=NOW)["rating_text"] == ""
    registry = ActionRegistry()
    register_catalog_actions(registry, shop)
    spec = registry.get("catalog.reviews")
    said = spec.func(ActionContext("c1", "pl", "PLN"), id="teddy")
    assert said["rating_text"] == "★ 3,0 (2)" and [r["author"] for r in said["reviews"]] == ["Ania"]
    assert said["reviews"][0]["stars"] == "★★★★☆"
    assert "Milutki" in said["text"] and "— Ania" in said["text"]
    assert spec.func(ActionContext("c1", "pl", "PLN"), id="nope")["reviews"] == []


def test_a_missing_or_headerless_reviews_file_is_a_clear_error(shop, tmp_path):
    from catalog.feeds import FeedError

    with pytest.raises(FeedError, match="not found"):
        shop.import_reviews(tmp_path / "nope.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("who,what\nx,y\n", encoding="utf-8")
    with pytest.raises(FeedError, match="product_id and rating"):
        shop.import_reviews(bad)


def test_a_rating_is_written_in_the_locales_digits():
    from catalog.actions import rating_text

    assert rating_text(4.4, 5, "fa") == "★ ۴٫۴ (۵)"
    assert rating_text(4.4, 5, "pl") == "★ 4,4 (5)"

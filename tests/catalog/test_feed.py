"""Loading a product feed: good rows become products, bad rows are reported and skipped."""

from __future__ import annotations

import logging

import pytest

from catalog import FeedFileError
from catalog.feed import FeedRead, read_jsonl

from .conftest import EXAMPLE_FEED, make_row


class _Read:
    """The rows of a JSON Lines feed as the example shop's parser reads them."""

    def __init__(self, read: FeedRead) -> None:
        self.products = read.products
        self.rejected = read.rejected

    def __iter__(self):
        return iter(self.products)

    def __len__(self) -> int:
        return len(self.products)


def load(path) -> _Read:
    return _Read(read_jsonl(path))


@pytest.fixture(scope="module")
def shop_products() -> _Read:
    return load(EXAMPLE_FEED)


LOCALES = {"en", "pl", "es", "ru", "fa"}


def test_a_row_with_a_float_price_is_reported_with_its_line_and_skipped(write_feed, caplog):
    path = write_feed([make_row("a"), make_row("b", price=149.99), make_row("c")])
    with caplog.at_level(logging.WARNING):
        catalog = load(path)
    assert [p.id for p in catalog] == ["a", "c"]
    [problem] = catalog.rejected
    assert problem.line == 2
    assert str(problem).startswith(f"{path}:2: product 'b': price:")
    assert "14999" in problem.reason  # says what to write instead
    assert f"{path}:2:" in caplog.text


def test_broken_json_is_reported_with_line_and_column(write_feed):
    path = write_feed([make_row("a"), '{"id": "b", "title": }'])
    catalog = load(path)
    [problem] = catalog.rejected
    assert (problem.line, problem.column) == (2, 22)
    assert "not valid JSON" in str(problem)
    assert len(catalog) == 1


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"title": "Teddy"}, "title: expected texts per locale"),
        ({"prise": 100}, "unknown field 'prise'"),
        ({"currency": None}, "currency"),
        ({"age_min": 12, "age_max": 3}, "age_min 12 is above age_max 3"),
        ({"availability": "maybe"}, "availability"),
        ({"image": "picsum.photos/x.jpg"}, "image: must be an http(s) URL"),
        ({"variants": [{"id": "v", "title": {"en": "Red"}, "price": "9,99"}]}, "variants.0.price"),
    ],
)
def test_invalid_rows_say_which_field_is_wrong(write_feed, overrides, expected):
    catalog = load(write_feed([make_row(**overrides)]))
    assert len(catalog) == 0
    assert expected in catalog.rejected[0].reason


def test_a_missing_field_is_named(write_feed):
    row = make_row()
    del row["price"]
    catalog = load(write_feed([row]))
    assert "missing field 'price'" in catalog.rejected[0].reason


def test_a_duplicate_id_keeps_the_first_row(write_feed):
    path = write_feed([make_row("a", price=100), "", make_row("a", price=200)])
    catalog = load(path)
    assert [p.price for p in catalog] == [100]
    assert catalog.rejected[0].line == 3
    assert "first on line 1" in catalog.rejected[0].reason


def test_a_missing_feed_is_a_clear_error(tmp_path):
    with pytest.raises(FeedFileError, match="catalog feed not found"):
        load(tmp_path / "nope.jsonl")


def test_the_example_catalog_loads_cleanly(shop_products):
    assert shop_products.rejected == []
    products = list(shop_products)
    assert len(products) >= 44
    assert {p.currency for p in products} == {"PLN"}
    prices = [p.price for p in products]
    assert min(prices) <= 2000 and max(prices) >= 85000
    assert sum(not p.in_stock for p in products) >= 3
    assert any(len(p.variants) >= 3 for p in products)


def test_the_example_catalog_is_translated_into_all_five_locales(shop_products):
    for product in shop_products:
        assert set(product.title) == LOCALES, product.id
        assert set(product.description) == LOCALES, product.id
        for variant in product.variants:
            assert set(variant.title) == LOCALES, variant.id
        # Persian texts use Persian letters, not their Arabic look-alikes.
        assert not set(product.title["fa"] + product.description["fa"]) & set("يكى"), product.id


def test_the_example_catalog_covers_every_age_group(shop_products):
    def available_for(age: int) -> int:
        return sum(1 for p in shop_products if p.in_stock and p.suits_age(age))

    for age in (1, 2, 5, 8, 11, 14, 16, 30, 70):
        assert available_for(age) >= 5, age

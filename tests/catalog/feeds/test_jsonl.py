"""JSON Lines: FeedItem's field names, texts by locale, minor units."""

from __future__ import annotations

from datetime import UTC, datetime

from catalog.records import Availability

from .conftest import assert_problems, errors, warnings

LINES = (
    "\n".join(
        [
            '\ufeff{"id": "J1", "title": {"pl": "Miś", "en": "Teddy"}, "description": {"en": "<b>Soft</b>"}, '
            '"price": 4999, "currency": "PLN", "sale_price": 3999, "sale_start": "2026-12-01", '
            '"sale_end": "2026-12-24", "categories": ["Toys", "Plush"], "attributes": {"color": "brown"}, '
            '"tags": ["gift"], "quantity": 4, "additional_images": ["https://x/2.jpg"], "colour": "x"}',
            '{"id": "J2", "title": "Kite", "price": "30.00 PLN", "availability": "out of stock"}',
            '{"id": "J3", "title": "Float", "price": 49.99, "currency": "PLN"}',
            "not json",
            "",
            '{"id": "J1", "title": "Dup", "price": 1, "currency": "PLN"}',
            '["a list"]',
            '{"id": "J8", "title": "Yen", "price": 1500, "currency": "JPY"}',
            '{"id": "J9", "title": "Bad \xff", "price": 1, "currency": "PLN"}',
        ]
    )
    .encode("utf-8")
    .replace(b"\xc3\xbf", b"\xff")
    + b"\r\n"
)


def test_jsonl_rows(feed):
    items, reader = feed(LINES, name="feed.jsonl")
    assert reader.format == "jsonl"
    assert [(i.id, i.line) for i in items] == [("J1", 1), ("J2", 2), ("J8", 8)]
    j1, j2, j8 = items
    assert j1.title == "Miś" and j1.title_i18n == {"pl": "Miś", "en": "Teddy"}
    assert j1.description == "Soft" and j1.description_i18n == {"en": "Soft"}
    assert (j1.price, j1.sale_price, j1.quantity) == (4999, 3999, 4)
    assert j1.sale_start == datetime(2026, 12, 1, tzinfo=UTC)
    assert j1.sale_end == datetime(
        2026, 12, 24, 23, 59, 59, 999999, tzinfo=UTC
    )  # the whole last day
    assert j1.categories == ("Toys", "Plush") and j1.attributes == {"color": "brown"}
    assert j1.tags == ("gift",) and j1.additional_images == ("https://x/2.jpg",)
    assert (j2.price, j2.availability) == (3000, Availability.OUT_OF_STOCK)
    assert (j8.price, j8.currency) == (1500, "JPY")
    assert_problems(
        errors(reader),
        [
            (3, "J3", "must be whole minor units"),
            (4, None, "not valid JSON"),
            (6, "J1", "duplicate id (first on line 1)"),
            (7, None, "expected a JSON object"),
            (9, None, "invalid UTF-8 bytes"),
        ],
    )
    assert_problems(warnings(reader), [(1, None, "fields not imported: colour")])


def test_jsonl_other_currency_than_the_shop_is_rejected(feed):
    items, reader = feed(
        '{"id": "J1", "title": "Yen", "price": 1500, "currency": "JPY"}\n',
        name="f.jsonl",
        currency="PLN",
    )
    assert items == []
    assert_problems(errors(reader), [(1, "J1", "not in the shop currency PLN")])

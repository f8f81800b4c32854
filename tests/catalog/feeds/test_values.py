"""Money and dates as merchants write them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from catalog.feeds.values import html_to_text, parse_date_range, parse_money


@pytest.mark.parametrize(
    ("text", "shop", "expected"),
    [
        ("15.00 USD", None, (1500, "USD")),
        ("15,00 PLN", None, (1500, "PLN")),
        ("PLN 15.00", None, (1500, "PLN")),
        ("1 234,56 zł", None, (123456, "PLN")),
        ("1\u00a0234,56 PLN", None, (123456, "PLN")),
        ("1,234.56 USD", None, (123456, "USD")),
        ("1.234,56 EUR", None, (123456, "EUR")),
        ("1.234.567 PLN", None, (123456700, "PLN")),
        ("15.5 usd", None, (1550, "USD")),
        ("15 PLN", None, (1500, "PLN")),
        ("1500 JPY", None, (1500, "JPY")),
        ("1,234 USD", None, (123400, "USD")),
        ("1.500 KWD", None, (1500, "KWD")),  # three decimals: not a thousands separator
        ("12.5 BHD", None, (12500, "BHD")),
        ("100.00 IRR", None, (10000, "IRR")),  # ISO 4217 says 2 decimals (CLDR shows 0)
        ("€9.99", None, (999, "EUR")),
        ("$9.99", "CAD", (999, "CAD")),
        ("9.99", "PLN", (999, None)),
    ],
)
def test_prices(text, shop, expected):
    assert parse_money(text, shop) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("-5.00 USD", "negative"),
        ("15.001 USD", "more decimals than USD allows (2)"),
        ("1.5 JPY", "more decimals than JPY allows (0)"),
        ("15.00 XYZ", "not an ISO 4217 currency"),
        ("free", "not a price"),
        ("USD 5 EUR", "currency twice"),
        ("99999999999999 USD", "implausibly large"),
    ],
)
def test_bad_prices(text, reason):
    with pytest.raises(ValueError, match=re.escape(reason)):
        parse_money(text, None)


def test_sale_date_range_with_offsets_and_open_ends():
    assert parse_date_range("2024-02-24T13:00-0800/2024-02-29T15:30-0800") == (
        datetime(2024, 2, 24, 21, 0, tzinfo=UTC),
        datetime(2024, 2, 29, 23, 30, tzinfo=UTC),
    )
    assert parse_date_range("2024-02-24T13:00Z/") == (
        datetime(2024, 2, 24, 13, 0, tzinfo=UTC),
        None,
    )
    with pytest.raises(ValueError, match="ends before it starts"):
        parse_date_range("2024-03-01/2024-02-01")


def test_html_to_text_drops_scripts_and_unescapes_twice():
    assert html_to_text("<p>A&nbsp;<b>b</b></p><script>alert(1)</script><li>c</li>") == "A b c"
    assert html_to_text("&lt;p&gt;Tom &amp;amp; Jerry&lt;/p&gt;") == "Tom & Jerry"


def test_first_lines_remembers_a_million_ids_compactly():
    from catalog.feeds.offers import FirstLines

    seen = FirstLines(capacity=8)  # grows as it fills
    for line in range(1, 20_001):
        assert seen.first(hash(f"SKU-{line}"), line) == line
    assert seen.first(hash("SKU-7"), 30_000) == 7
    assert seen.first(hash("SKU-20000"), 30_001) == 20_000
    assert seen.first(0, 5) == 5 and seen.first(0, 6) == 5  # hash 0 is not the empty slot

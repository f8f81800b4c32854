"""Files straight out of Commerce Manager, Shopify and Merchant Center (tests/data/feeds)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from catalog.feeds import read_feed
from catalog.records import Availability

from .conftest import errors, warnings

DATA = Path(__file__).resolve().parents[2] / "data" / "feeds"


def read(name: str, **kwargs: object):
    reader = read_feed(DATA / name, **kwargs)  # type: ignore[arg-type]
    return list(reader), reader


def test_metas_own_template_with_its_instruction_row_imports():
    items, reader = read("meta_template_en.csv", currency="EUR")
    assert reader.format == "meta_csv"
    assert [(i.id, i.line) for i in items] == [
        ("FB_tshirt_001", 3),  # the header is line 2, under the "# Required | ..." row
        ("FB_tshirt_002", 4),
        ("FB_mug_001", 5),
        ("FB_cap_001", 6),
    ]
    tee, sold_out, mug, cap = items
    assert (tee.price, tee.sale_price, tee.quantity) == (999, 799, 25)
    assert tee.attributes["size"] == "M" and tee.group_id == "FB_tshirt"
    assert sold_out.quantity == 0  # in stock, but none left to sell
    assert mug.availability is Availability.BACKORDER  # "available for order"
    assert cap.availability is Availability.OUT_OF_STOCK
    assert errors(reader) == []


def test_a_localised_template_and_localised_column_names():
    items, reader = read("meta_template_es.csv", currency="EUR")
    assert reader.format == "meta_csv"
    assert [(i.id, i.price) for i in items] == [
        ("ES-CAM-ROJ-M", 1990),
        ("ES-CAM-ROJ-L", 1990),
        ("ES-GORRA", 1250),
    ]
    items, reader = read("meta_template_fr.tsv", currency="EUR")
    assert reader.format in ("meta_tsv", "google_tsv")
    bowl, cup, vase = items
    assert (bowl.id, bowl.title, bowl.price, bowl.sale_price) == (
        "FR-BOL-01",
        "Bol en grès",
        2400,
        1900,
    )
    assert bowl.link == "https://boutique.example/bol" and bowl.image.endswith("bol.jpg")
    assert (bowl.quantity, cup.quantity) == (8, 0)
    assert vase.availability is Availability.OUT_OF_STOCK
    assert errors(reader) == [] and warnings(reader) == []


def test_shopifys_own_template_sells_what_shopify_sells():
    items, reader = read("shopify_template.csv", currency="USD")
    by_id = {i.id: i for i in items}
    # Inventory not tracked (blank tracker): in stock whatever the quantity column says.
    lithograph = by_id["example-t-shirt-lithograph-height-9-x-width-12"]  # no SKU
    small, medium = by_id["example-shirt-s"], by_id["example-shirt-m"]
    assert (lithograph.availability, lithograph.quantity) == (Availability.IN_STOCK, None)
    assert (small.availability, small.quantity) == (Availability.IN_STOCK, None)
    assert (medium.availability, medium.quantity) == (Availability.IN_STOCK, 3)  # tracked
    assert by_id["example-pants"].availability is Availability.IN_STOCK
    # A variant named through the option "Title" is named by its value.
    assert lithograph.options == {"Title": 'Lithograph - Height: 9" x Width: 12"'}
    assert small.options == {"Title": "Small"}
    assert errors(reader) == []
    assert [(line, reason) for line, _, reason in warnings(reader) if "first column" in reason] == [
        (7, "only 'Note: Red column is required' in the first column; not a product row")
    ]


def test_a_french_shopify_export_with_options_in_french_and_a_gift_card():
    items, reader = read("shopify_fr.csv", currency="EUR")
    by_id = {i.id: i for i in items}
    green = by_id["PM-M-VERT"]
    assert green.options == {"Taille": "M", "Couleur": "Vert"}
    assert green.attributes["size"] == "M" and green.attributes["color"] == "Vert"
    assert green.availability is Availability.IN_STOCK  # untracked: Shopify keeps selling
    card = by_id["CC-25"]
    assert card.attributes["gift_card"] == "true"
    assert card.availability is Availability.IN_STOCK  # gift cards are never tracked
    beanie = by_id["BONNET"]
    assert (beanie.availability, beanie.quantity) == (Availability.BACKORDER, 0)  # continue
    [mangled] = [w for w in warnings(reader) if "scientific" in w[2]]
    assert mangled[:2] == (4, "PM-M-MARINE") and "3.76012E+12" in mangled[2]
    assert "gtin" not in by_id["PM-M-MARINE"].attributes


def test_a_brazilian_export_with_untracked_stock_is_all_for_sale():
    items, reader = read("shopify_pt_br.csv", currency="BRL")
    assert [(i.id, i.availability, i.price) for i in items] == [
        ("FC-MAD", Availability.IN_STOCK, 24990),
        ("FC-RES", Availability.IN_STOCK, 26990),
        ("AV-CAR", Availability.IN_STOCK, 12900),
    ]
    assert items[0].options == {"Cabo": "Madeira"}
    assert items[2].attributes["color"] == "Caramelo"
    assert errors(reader) == []


def test_a_romanian_feed_lines_times_and_mangled_gtins():
    items, reader = read("google_ro.xml", currency="RON", timezone="Europe/Bucharest")
    red, blue, mug = items
    assert (red.line, blue.line, mug.line) == (7, 22, 35)  # where each <item> starts
    # "2026-11-27T00:00" has no offset: midnight in Bucharest (UTC+2); the date-only end is
    # the end of that day there.
    assert red.sale_start == datetime(2026, 11, 26, 22, 0, tzinfo=UTC)
    assert red.sale_end == datetime(2026, 11, 30, 21, 59, 59, 999999, tzinfo=UTC)
    assert mug.price == 3550
    assert blue.attributes.get("gtin") is None
    assert [(line, id) for line, id, _ in errors(reader)] == [(45, "CANA-02")]
    gtin = [w for w in warnings(reader) if "gtin" in w[2]]
    assert [(line, id) for line, id, _ in gtin] == [(22, "TRC-ALBASTRU")]


def test_an_atom_feed_in_russian_and_an_arabic_feed_in_a_three_decimal_currency():
    items, reader = read("google_ru_atom.xml", currency="RUB")
    assert [(i.id, i.price, i.link) for i in items] == [
        ("KON-101", 499000, "https://igrushki.example.ru/p/kon-101"),
        ("MYACH-7", 129000, "https://igrushki.example.ru/p/myach-7"),
    ]
    assert items[0].categories == ("Игрушки", "Конструкторы")
    items, reader = read("google_ar.xml", currency="IQD")
    assert [(i.id, i.price) for i in items] == [("AR-001", 25000), ("AR-002", 45500)]
    assert items[0].title == "ساعة يد كلاسيكية" and items[0].title_i18n == {
        "en": "Classic wristwatch"
    }


def test_a_tab_inside_a_csv_cell_is_flagged_and_does_not_merge_two_paths():
    items, reader = read("meta_tab_in_cell.csv", currency="EUR")
    lamp = items[0]
    assert lamp.categories == ("Home & Garden", "Lighting")
    [(line, id, reason)] = warnings(reader)
    assert (line, id) == (2, "M-1") and "tab" in reason


def test_xml_lines_stay_right_past_line_65535(tmp_path):
    padding = "<!--" + "\n" * 70_000 + "-->\n"
    feed = tmp_path / "big.xml"
    feed.write_text(
        '<?xml version="1.0"?>\n<rss xmlns:g="http://base.google.com/ns/1.0"><channel>\n'
        + padding
        + "<item>\n  <g:id>A</g:id>\n  <g:title>A</g:title>\n  <g:price>1.00 PLN</g:price>\n</item>\n"
        + "<item>\n  <g:id>A</g:id>\n  <g:title>B</g:title>\n  <g:price>1.00 PLN</g:price>\n</item>\n"
        + "</channel></rss>\n",
        encoding="utf-8",
    )
    reader = read_feed(feed)
    kept = list(reader)
    first = 3 + 70_001
    assert kept[0].line == first
    assert errors(reader) == [(first + 5, "A", f"duplicate id (first on line {first})")]

"""Variants a shopper can tell apart, and prices written as the shopper's locale writes them."""

from __future__ import annotations

from pathlib import Path

from catalog import ImportRules, product_for_locale
from catalog.feeds import values
from flows.money import MINOR_UNITS, format_money

from .conftest import NOW

DATA = Path(__file__).resolve().parents[1] / "data" / "feeds"


def test_shopify_options_in_any_language_name_the_variants(sqlite_catalog):
    sqlite_catalog.import_path(DATA / "shopify_fr.csv", rules=ImportRules(currency="EUR"))
    card = product_for_locale(sqlite_catalog.get("pull-marin"), "fr", now=NOW)
    assert [v["title"] for v in card["variants"]] == [
        "Taille: M / Couleur: Vert",
        "Taille: L / Couleur: Vert",
        "Taille: M / Couleur: Bleu marine",
    ]
    assert card["in_stock"]  # inventory not tracked: Shopify sells it
    offer = sqlite_catalog.offer("pull-marin", "PM-L-VERT", locale="fr", now=NOW)
    assert offer.title == "Pull marin – Taille: L / Couleur: Vert" and offer.buyable
    assert sqlite_catalog.offer("bonnet", "BONNET", locale="fr", now=NOW).buyable  # backorder


def test_google_variants_that_differ_only_by_title_are_named_by_it(sqlite_catalog):
    sqlite_catalog.import_path(
        DATA / "google_ro.xml", rules=ImportRules(currency="RON", max_rejected=0.5)
    )
    product = sqlite_catalog.get("TRC")
    card = product_for_locale(product, "ro", now=NOW)
    assert card["title"] == "Tricou Bărbați Bumbac"
    assert [v["title"] for v in card["variants"]] == ["Roșu", "Albastru"]
    assert sqlite_catalog.search("albastru").hits[0].product.id == "TRC"


def test_prices_keep_the_space_the_locale_puts_between_code_and_digits(sqlite_catalog):
    sqlite_catalog.import_path(
        DATA / "google_ro.xml", rules=ImportRules(currency="RON", max_rejected=0.5)
    )
    mug = sqlite_catalog.get("CANA-01")
    assert product_for_locale(mug, "en", now=NOW)["price_text"] == "RON\u00a035.50"
    assert product_for_locale(mug, "ro", now=NOW)["price_text"] == "35,50\u00a0RON"
    assert format_money(12000, "USD", "en") == "$120.00"  # a symbol stays glued


def test_stored_minor_units_are_iso_4217s_everywhere():
    # CLDR shows HUF, IDR and IRR without decimals and IQD with none; their amounts are stored
    # with ISO's 2 and 3, so they must be read back with ISO's, not shown 100x too big.
    assert format_money(150000, "HUF", "en") == "HUF\u00a01,500"
    assert format_money(25000, "IQD", "en") == "IQD\u00a025"
    for code in ("HUF", "IQD", "JPY", "KWD", "IRR", "PLN", "XTR"):
        assert values.currency_exponent(code) == MINOR_UNITS.get(code, 2), code
    assert {c: values.currency_exponent(c) for c in MINOR_UNITS} == MINOR_UNITS


def test_the_catalog_exports_as_a_meta_feed_that_imports_back_with_the_same_ids(
    sqlite_catalog, tmp_path
):
    import io

    from catalog.export import export_meta_csv
    from catalog.feeds import read_feed

    sqlite_catalog.import_path(DATA / "shopify_fr.csv", rules=ImportRules(currency="EUR"))
    buffer = io.StringIO()
    rows = export_meta_csv(sqlite_catalog.engine, buffer)
    path = tmp_path / "meta.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    reader = read_feed(path, currency="EUR")
    items = {i.id: i for i in reader}
    assert reader.format == "meta_csv" and len(items) == rows == 6
    green = items["PM-M-VERT"]
    assert (green.group_id, green.price, green.title) == (
        "pull-marin",
        8900,
        "Pull marin – Taille: M / Couleur: Vert",
    )
    assert items["BONNET"].availability.value == "backorder"
    assert [p for p in reader.problems if p.severity == "error"] == []

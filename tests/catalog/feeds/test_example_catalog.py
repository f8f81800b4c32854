"""The example shop's catalog, as a Google Merchant XML feed, imports whole."""

from __future__ import annotations

import json
from pathlib import Path

from catalog.feeds import read_feed

SHOP = Path(__file__).resolve().parents[3] / "examples" / "shop"


def test_example_catalog_xml_has_all_58_products_in_five_locales():
    reader = read_feed(SHOP / "catalog.xml")
    items = list(reader)
    assert reader.problems == []
    products = [
        json.loads(line) for line in (SHOP / "catalog.jsonl").read_text("utf-8").splitlines()
    ]
    assert {item.group_id for item in items} == {p["id"] for p in products}
    assert len(products) == 58
    assert all(set(item.title_i18n) == {"en", "pl", "es", "ru", "fa"} for item in items)
    bunny = [item for item in items if item.group_id == "pl-bunny"]
    assert [(b.id, b.attributes["color"], b.availability.value) for b in bunny] == [
        ("pl-bunny-pink", "pink", "in_stock"),
        ("pl-bunny-grey", "grey", "in_stock"),
        ("pl-bunny-blue", "blue", "out_of_stock"),
    ]
    football = {item.id: item.price for item in items if item.group_id == "os-football"}
    assert football == {"os-football-size4": 6999, "os-football-size5": 7999}

"""The catalog actions as a flow calls them: product dicts for the shopper's locale."""

from __future__ import annotations

import pytest

from catalog import Catalog, register_catalog_actions
from flows.actions import ActionContext, ActionError, ActionRegistry

PRODUCT_KEYS = {
    "id",
    "title",
    "description",
    "brand",
    "category",
    "price",
    "currency",
    "price_text",
    "image",
    "url",
    "in_stock",
    "availability",
    "variants",
    "rating",
    "reviews",
    "rating_text",
}
VARIANT_KEYS = {"id", "title", "price", "price_text", "in_stock", "attributes"}


@pytest.fixture(scope="module")
def registry(shop_catalog: Catalog) -> ActionRegistry:
    registry = ActionRegistry()
    register_catalog_actions(registry, shop_catalog)
    return registry


def run(registry: ActionRegistry, name: str, locale: str = "en", **args):
    spec = registry.get(name)
    assert spec is not None
    return spec.func(ActionContext("conv-1", locale, "PLN"), **args)


def test_the_three_actions_are_registered_with_their_parameters(registry):
    assert {"catalog.search", "catalog.recommend", "catalog.product", "catalog.reviews"} <= set(
        registry.names()
    )
    search = registry.get("catalog.search")
    assert set(search.params) == {
        "query",
        "max_price",
        "min_price",
        "age",
        "in_stock",
        "min_rating",
        "sort",
        "limit",
    }
    assert not any(p.required for p in search.params.values())
    recommend = registry.get("catalog.recommend")
    assert set(recommend.params) == {
        "recipient",
        "age",
        "gender",
        "budget",
        "interests",
        "limit",
    }
    product = registry.get("catalog.product")
    assert product.params["id"].required


def test_search_returns_product_dicts_in_the_shoppers_language(registry):
    found = run(registry, "catalog.search", "pl", query="klocki", max_price=20000)
    assert found
    for item in found:
        assert set(item) == PRODUCT_KEYS
        assert item["price"] <= 20000 and isinstance(item["price"], int)
    fire_station = next(item for item in found if item["id"] == "bw-fire-station")
    assert fire_station["title"] == "Klocki Remiza strażacka"
    assert fire_station["price_text"].replace("\xa0", " ") == "189,99 zł"
    assert fire_station["in_stock"] is True and fire_station["availability"] == "in_stock"


def test_variants_carry_their_own_price_and_stock(registry):
    ball = run(registry, "catalog.product", "es", id="os-football")
    sizes = {v["attributes"]["size"]: v for v in ball["variants"]}
    assert all(set(v) == VARIANT_KEYS for v in ball["variants"])
    assert sizes["4"]["price"] == 6999 and sizes["5"]["price"] == 7999
    assert sizes["5"]["title"] == "Talla 5 (adultos)"
    assert sizes["5"]["price_text"].replace("\xa0", " ") == "79,99 PLN"
    bunny = run(registry, "catalog.product", id="pl-bunny")
    assert [v["in_stock"] for v in bunny["variants"]] == [True, True, False]


@pytest.mark.parametrize(
    ("locale", "title"),
    [
        ("pl-PL", "Drewniane szachy"),
        ("ru_RU", "Деревянные шахматы"),
        ("fa", "ست شطرنج چوبی"),
        ("de", "Wooden Chess Set"),
    ],
)
def test_texts_fall_back_from_region_to_language_to_english(registry, locale, title):
    assert run(registry, "catalog.product", locale, id="bg-chess-wood")["title"] == title


def test_an_unknown_product_id_gives_none(registry):
    assert run(registry, "catalog.product", id="no-such-thing") is None


def test_arguments_rendered_as_text_by_templates_are_understood(registry):
    as_text = run(
        registry, "catalog.search", query="", max_price="5000", age=" 8 ", in_stock="true"
    )
    as_numbers = run(registry, "catalog.search", query="", max_price=5000, age=8)
    assert as_text == as_numbers
    persian_digits = run(registry, "catalog.recommend", age="۸", budget="15000", limit="3")
    assert len(persian_digits) == 3
    assert run(registry, "catalog.recommend", age="", recipient="", interests=None)


def test_recommend_accepts_interests_as_a_list_or_text(registry):
    listed = run(registry, "catalog.recommend", age=8, budget=15000, interests=["science"])
    typed = run(registry, "catalog.recommend", age=8, budget=15000, interests="science")
    assert [p["id"] for p in listed] == [p["id"] for p in typed]
    assert all(set(p) == PRODUCT_KEYS for p in listed)


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("catalog.search", {"age": "eight"}),
        ("catalog.search", {"in_stock": "maybe"}),
        ("catalog.search", {"limit": 0}),
        ("catalog.recommend", {"budget": -5}),
    ],
)
def test_unreadable_arguments_are_action_errors(registry, name, args):
    with pytest.raises(ActionError):
        run(registry, name, **args)


def test_an_unknown_recipient_is_no_error_but_ideas_for_anyone(registry):
    # "nephew" or a shop's own recipient word must never make the gift finder say the
    # catalog is unreachable.
    anyone = run(registry, "catalog.recommend", budget=15000)
    assert run(registry, "catalog.recommend", recipient="nephew", budget=15000) == anyone
    assert run(registry, "catalog.recommend", recipient="alien", budget=15000) == anyone

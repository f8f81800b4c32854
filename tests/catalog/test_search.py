"""Search as a shopper types it: any of the five languages, any accents, any keyboard."""

from __future__ import annotations

import pytest

from catalog import SampleCatalog, fold

from .conftest import make_product


def ids(products) -> list[str]:
    return [p.id for p in products]


def lego_sets(catalog: SampleCatalog) -> set[str]:
    return {p.id for p in catalog if "lego" in p.tags and p.in_stock}


def test_a_polish_shopper_searching_klocki_finds_the_building_sets(shop_catalog):
    found = shop_catalog.search("klocki", locale="pl", limit=20)
    assert set(ids(found)) == lego_sets(shop_catalog)
    assert len(found) >= 4


@pytest.mark.parametrize("query", ["KLOCKÓW", "lego", "конструктор", "لگو", "bloques"])
def test_the_building_sets_come_first_in_every_language(shop_catalog, query):
    sets = lego_sets(shop_catalog)
    found = shop_catalog.search(query, locale="en", limit=20)
    assert set(ids(found[: len(sets)])) == sets


def test_russian_yo_and_ye_find_the_same_products(shop_catalog):
    with_yo = ids(shop_catalog.search("ёлка", locale="ru"))
    assert with_yo == ids(shop_catalog.search("елка", locale="ru"))
    assert with_yo == ids(shop_catalog.search("ЁЛКА", locale="ru"))
    assert with_yo and "ёлка" in shop_catalog.get(with_yo[0]).title["ru"].lower()


def test_polish_letters_fold_both_ways(shop_catalog):
    assert fold("Łódź") == "lodz"
    with_accents = ids(shop_catalog.search("łódź", locale="pl"))
    assert with_accents == ids(shop_catalog.search("lodz", locale="pl"))
    assert with_accents == ids(shop_catalog.search("łodzi", locale="pl"))  # inflected
    assert with_accents and "łódź" in shop_catalog.get(with_accents[0]).title["pl"]


def test_persian_search_finds_puzzles(shop_catalog):
    found = shop_catalog.search("پازل", locale="fa")
    assert found and all(p.category == "puzzles" for p in found)


def test_persian_typed_on_an_arabic_keyboard_matches(shop_catalog):
    persian = ids(shop_catalog.search("کیت", locale="fa", limit=10))  # "kit", Persian letters
    arabic = ids(shop_catalog.search("كيت", locale="fa", limit=10))  # Arabic kaf and yeh
    assert persian and persian == arabic


def test_persian_zwnj_words_match_with_or_without_the_joiner(shop_catalog):
    assert ids(shop_catalog.search("تی‌شرت", locale="fa")) == ["cl-dino-tshirt"]
    assert ids(shop_catalog.search("تیشرت", locale="fa")) == ["cl-dino-tshirt"]


def test_a_word_still_being_typed_matches_as_a_prefix(shop_catalog):
    assert "pz-world-map" in ids(shop_catalog.search("puzz", locale="en"))
    sets = lego_sets(shop_catalog)
    assert set(ids(shop_catalog.search("leg", locale="en", limit=20)[: len(sets)])) == sets


def test_an_interest_in_another_language_finds_the_tagged_products(shop_catalog):
    found = shop_catalog.search("книги", locale="ru", limit=10)
    assert [p.category for p in found[:4]] == ["books"] * 4


def test_budget_filter_excludes_over_budget_products(shop_catalog):
    found = shop_catalog.search("", locale="pl", max_price=5000, limit=50)
    assert found
    assert all(p.price <= 5000 for p in found)
    assert {p.id for p in shop_catalog if p.in_stock and p.price <= 5000} == set(ids(found))


def test_price_and_age_filters_combine_with_words(shop_catalog):
    found = shop_catalog.search("klocki", locale="pl", min_price=10000, max_price=20000, age=6)
    # Not the farm (for ages 2-5), the creative box (99.99 zł) or the space shuttle (249.99 zł).
    assert ids(found) == ["bw-fire-station"]


def test_out_of_stock_products_are_left_out_unless_asked_for(shop_catalog):
    assert "bw-castle" not in ids(shop_catalog.search("castle", locale="en"))
    assert ids(shop_catalog.search("castle", locale="en", in_stock=False)) == ["bw-castle"]


def test_in_stock_products_rank_first_when_out_of_stock_ones_are_included(shop_catalog):
    found = shop_catalog.search("plush", locale="en", in_stock=False, limit=10)
    stock = [p.in_stock for p in found]
    assert stock == sorted(stock, reverse=True) and not stock[-1]


def test_title_matches_rank_above_description_matches():
    catalog = SampleCatalog(
        [
            make_product("mentions", title={"en": "Gift box"}, description={"en": "A puzzle"}),
            make_product("titled", title={"en": "Puzzle"}, description={"en": "A box"}),
        ]
    )
    assert ids(catalog.search("puzzle", locale="en")) == ["titled", "mentions"]


def test_the_shoppers_language_breaks_ties():
    catalog = SampleCatalog(
        [
            make_product("es", title={"en": "Ball", "es": "Gato"}),
            make_product("pl", title={"en": "Toy", "pl": "Gato"}),
        ]
    )
    assert ids(catalog.search("gato", locale="pl")) == ["pl", "es"]
    assert ids(catalog.search("gato", locale="es-MX")) == ["es", "pl"]


def test_products_matching_every_word_win(shop_catalog):
    found = shop_catalog.search("wooden chess", locale="en")
    assert ids(found) == ["bg-chess-wood"]


def test_limit_caps_the_results(shop_catalog):
    assert len(shop_catalog.search("", locale="en", limit=3)) == 3
    assert shop_catalog.search("", locale="en", limit=0) == []


def test_nothing_matching_gives_an_empty_list(shop_catalog):
    assert shop_catalog.search("zzzqqq", locale="en") == []


def test_get_finds_a_product_and_none_for_an_unknown_id(shop_catalog):
    assert shop_catalog.get("bw-fire-station").brand == "BrickWorks"
    assert shop_catalog.get("no-such-product") is None

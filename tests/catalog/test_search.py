"""Search as a shopper types it: any of the five languages, any accents, typos, filters."""

from __future__ import annotations

from datetime import timedelta

import pytest

from catalog import AgeGroup, Availability, Catalog, Gender, Status, fold

from .conftest import NOW, make_item, make_row


def ids(result) -> list[str]:
    return [hit.product.id for hit in result.hits]


def every(catalog: Catalog):
    return [hit.product for hit in catalog.search("", limit=1000).hits]


def lego_sets(catalog: Catalog) -> set[str]:
    return {p.id for p in every(catalog) if "lego" in p.tags and p.in_stock}


def search(catalog: Catalog, query: str, **kwargs):
    kwargs.setdefault("in_stock", True)
    kwargs.setdefault("limit", 6)
    return catalog.search(query, **kwargs)


def test_a_polish_shopper_searching_klocki_finds_the_building_sets(shop_catalog):
    found = search(shop_catalog, "klocki", limit=20)
    assert set(ids(found)) == lego_sets(shop_catalog)
    assert found.total == len(lego_sets(shop_catalog)) >= 4


@pytest.mark.parametrize("query", ["KLOCKÓW", "lego", "конструктор", "لگو", "bloques"])
def test_the_building_sets_come_first_in_every_language(shop_catalog, query):
    sets = lego_sets(shop_catalog)
    found = search(shop_catalog, query, limit=20)
    assert set(ids(found)[: len(sets)]) == sets


def test_russian_yo_and_ye_find_the_same_products(shop_catalog):
    with_yo = ids(search(shop_catalog, "ёлка"))
    assert with_yo == ids(search(shop_catalog, "елка"))
    assert with_yo == ids(search(shop_catalog, "ЁЛКА"))
    assert with_yo and "ёлка" in shop_catalog.get(with_yo[0]).title["ru"].lower()


def test_polish_letters_fold_both_ways(shop_catalog):
    assert fold("Łódź") == "lodz"
    with_accents = ids(search(shop_catalog, "łódź"))
    assert with_accents == ids(search(shop_catalog, "lodz"))
    assert with_accents == ids(search(shop_catalog, "łodzi"))  # inflected
    assert with_accents and "łódź" in shop_catalog.get(with_accents[0]).title["pl"]


def test_persian_search_finds_puzzles(shop_catalog):
    found = search(shop_catalog, "پازل").hits
    assert found and all(hit.product.category == "puzzles" for hit in found)


def test_persian_typed_on_an_arabic_keyboard_matches(shop_catalog):
    persian = ids(search(shop_catalog, "کیت", limit=10))  # "kit", Persian letters
    arabic = ids(search(shop_catalog, "كيت", limit=10))  # Arabic kaf and yeh
    assert persian and persian == arabic


def test_persian_zwnj_words_match_with_or_without_the_joiner(shop_catalog):
    assert ids(search(shop_catalog, "تی‌شرت")) == ["cl-dino-tshirt"]
    assert ids(search(shop_catalog, "تیشرت")) == ["cl-dino-tshirt"]


def test_a_word_still_being_typed_matches_as_a_prefix(shop_catalog):
    assert "pz-world-map" in ids(search(shop_catalog, "puzz"))
    sets = lego_sets(shop_catalog)
    assert set(ids(search(shop_catalog, "leg", limit=20))[: len(sets)]) == sets


@pytest.mark.parametrize("typo", ["microscpoe", "mikroskp", "telescpe"])
def test_one_typo_in_a_long_word_still_finds_it(shop_catalog, typo):
    found = search(shop_catalog, typo).hits
    assert found
    assert any(w in fold(found[0].product.title_for("en")) for w in ("microscope", "telescope"))


def test_short_words_are_not_matched_loosely(shop_catalog):
    assert ids(search(shop_catalog, "zzzqqq")) == []
    assert ids(search(shop_catalog, "lgeo")) == []  # four letters: too short for typos


def test_an_interest_in_another_language_finds_the_tagged_products(shop_catalog):
    found = search(shop_catalog, "книги", limit=10).hits
    assert [hit.product.category for hit in found[:4]] == ["books"] * 4


def test_budget_filter_uses_variant_prices(shop_catalog):
    found = search(shop_catalog, "", max_price=5000, limit=50)
    assert found.hits
    for hit in found.hits:
        assert hit.variants and all(v.price <= 5000 and v.in_stock for v in hit.variants)
    cheap = {
        p.id for p in every(shop_catalog) if any(v.in_stock and v.price <= 5000 for v in p.variants)
    }
    assert set(ids(found)) == cheap


def test_price_and_age_filters_combine_with_words(shop_catalog):
    found = search(shop_catalog, "klocki", min_price=10000, max_price=20000, age=6)
    # Not the farm (for ages 2-5), the creative box (99.99 zł) or the space shuttle (249.99 zł).
    assert ids(found) == ["bw-fire-station"]


def test_out_of_stock_products_are_left_out_unless_asked_for(shop_catalog):
    assert "bw-castle" not in ids(search(shop_catalog, "castle"))
    assert ids(search(shop_catalog, "castle", in_stock=False)) == ["bw-castle"]


def test_in_stock_products_rank_first_when_out_of_stock_ones_are_included(shop_catalog):
    found = search(shop_catalog, "plush", in_stock=False, limit=10).hits
    # The plush toys (exact word) first, in stock before out of stock; then "plus" (a stem).
    plush = [hit.product for hit in found if "plush" in hit.product.tags]
    assert [hit.product for hit in found[: len(plush)]] == plush
    stock = [p.in_stock for p in plush]
    assert stock == sorted(stock, reverse=True) and not stock[-1]


def test_products_matching_every_word_win(shop_catalog):
    assert ids(search(shop_catalog, "wooden chess")) == ["bg-chess-wood"]


def test_limit_and_offset_page_through_results(shop_catalog):
    first = search(shop_catalog, "", limit=3)
    assert len(first.hits) == 3 and first.total > 3
    second = search(shop_catalog, "", limit=3, offset=3)
    assert not set(ids(first)) & set(ids(second))
    assert search(shop_catalog, "", limit=0).hits == []


def test_facets_count_the_matching_products(shop_catalog):
    found = search(shop_catalog, "", limit=1)
    facets = found.facets
    assert sum(count for _, _, count in facets.prices) == found.total
    assert dict(facets.categories)["building"] == len(
        {p.id for p in every(shop_catalog) if p.category == "building" and p.in_stock}
    )
    assert facets.brands and facets.brands[0][1] >= facets.brands[-1][1]
    assert sum(facets.availability.values()) == found.total
    assert set(facets.availability) == {"in_stock", "preorder"}


# A small catalog of our own for ranking, variants and drafts.


def _tshirts():
    common = {"group_id": "tee", "title": "Dino T-shirt", "categories": ("Clothes", "T-shirts")}
    return [
        make_item("tee-s", price=3000, attributes={"size": "S"}, age_group=AgeGroup.KIDS, **common),
        make_item(
            "tee-m",
            price=3500,
            attributes={"size": "M"},
            age_group=AgeGroup.ADULT,
            availability=Availability.OUT_OF_STOCK,
            **common,
        ),
        make_item(
            "tee-l", price=4000, attributes={"size": "L"}, age_group=AgeGroup.ADULT, **common
        ),
    ]


def test_filters_apply_per_variant_and_hits_carry_only_matching_variants(sqlite_catalog):
    sqlite_catalog.import_items(_tshirts())
    found = sqlite_catalog.search("dino", max_price=3600, in_stock=True)
    [hit] = found.hits
    assert [v.id for v in hit.variants] == ["tee-s"]
    adults = sqlite_catalog.search("shirt", age_group="adult", in_stock=True)
    assert [v.id for v in adults.hits[0].variants] == ["tee-l"]
    assert sqlite_catalog.search("dino", age=30, max_price=3600, in_stock=True).total == 0


def test_ranking_exact_words_then_stock_then_sale_then_text(sqlite_catalog):
    sale = {
        "sale_price": 1000,
        "sale_start": NOW - timedelta(days=1),
        "sale_end": NOW + timedelta(days=1),
    }
    old_sale = {"sale_price": 1000, "sale_end": NOW - timedelta(days=1)}
    sqlite_catalog.import_items(
        [
            make_item("description-only", title="Box", description="A robot inside"),
            make_item("prefix", title="Robotic arm"),
            make_item("gone", title="Robot", availability=Availability.OUT_OF_STOCK),
            make_item("plain", title="Robot"),
            make_item("expired-sale", title="Robot", **old_sale),
            make_item("on-sale", title="Robot", **sale),
        ]
    )
    found = sqlite_catalog.search("robot", limit=10)
    assert ids(found) == ["on-sale", "plain", "expired-sale", "description-only", "gone", "prefix"]
    assert found.hits[0].variants[0].price_at(NOW) == 1000


def test_sale_prices_are_filtered_by_the_price_in_force_now(sqlite_catalog):
    window = {"sale_start": NOW + timedelta(days=1), "sale_end": NOW + timedelta(days=2)}
    sqlite_catalog.import_items(
        [make_item("later", title="Kite", price=5000, sale_price=2000, **window)]
    )
    assert sqlite_catalog.search("kite", max_price=2500).total == 0
    during = NOW + timedelta(days=1, hours=1)
    assert sqlite_catalog.search("kite", max_price=2500, now=during).total == 1


def test_brand_category_and_gender_filters(sqlite_catalog):
    sqlite_catalog.import_items(
        [
            make_item(
                "a", title="Doll", brand="Łatka", categories=("Toys", "Dolls"), gender=Gender.FEMALE
            ),
            make_item("b", title="Doll house", brand="Other", categories=("Toys", "Houses")),
            make_item("c", title="Action doll", brand="Other", gender=Gender.MALE),
        ]
    )
    assert ids(sqlite_catalog.search("doll", brand="latka")) == ["a"]
    assert set(ids(sqlite_catalog.search("doll", category="toys"))) == {"a", "b", "c"}
    assert ids(sqlite_catalog.search("doll", category="dolls")) == ["a"]
    assert set(ids(sqlite_catalog.search("doll", gender="male"))) == {"b", "c"}


def test_drafts_never_appear(sqlite_catalog):
    sqlite_catalog.import_items(
        [
            make_item("draft", title="Secret robot", status=Status.DRAFT),
            make_item("live", title="Robot"),
        ]
    )
    assert ids(sqlite_catalog.search("robot")) == ["live"]
    assert sqlite_catalog.get("draft") is None


def test_every_translation_of_a_title_is_searchable(sqlite_catalog):
    sqlite_catalog.import_items(
        [
            make_item(
                "bear", title="Teddy bear", title_i18n={"pl": "Miś", "ru": "Мишка", "fa": "خرس"}
            )
        ]
    )
    for query in ("teddy", "miś", "MIS", "мишка", "خرس"):
        assert ids(sqlite_catalog.search(query)) == ["bear"], query


def test_an_empty_catalog_finds_nothing(sqlite_catalog):
    found = sqlite_catalog.search("lego")
    assert (found.total, found.hits) == (0, [])


def test_prices_in_force_follow_the_clock_both_ways(sqlite_catalog):
    """The per-product "now" columns are cached between sale boundaries, never across them."""
    window = {"sale_start": NOW + timedelta(days=1), "sale_end": NOW + timedelta(days=2)}
    sqlite_catalog.import_items(
        [
            make_item("plain", title="Kite", price=3000),
            make_item("later", title="Kite", price=5000, sale_price=2000, **window),
        ]
    )
    during = NOW + timedelta(days=1, hours=1)
    after = NOW + timedelta(days=3)
    for moment, first, cheapest in ((NOW, "plain", 3000), (during, "later", 2000)) * 2 + (
        (after, "plain", 3000),
    ):
        found = sqlite_catalog.search("kite", now=moment)
        assert ids(found)[0] == first
        assert found.facets.prices[0][0] <= cheapest < (found.facets.prices[0][1] or 10**9)
        in_stock = sqlite_catalog.search("kite", in_stock=True, now=moment)
        assert ids(in_stock)[0] == first


def test_in_stock_facets_count_only_the_buyable_variants(sqlite_catalog):
    sqlite_catalog.import_items(
        [
            make_item(
                "tee-s",
                group_id="tee",
                title="Shirt",
                price=1000,
                availability=Availability.OUT_OF_STOCK,
                age_group=AgeGroup.KIDS,
            ),
            make_item("tee-l", group_id="tee", title="Shirt", price=6000, age_group=AgeGroup.ADULT),
        ]
    )
    every_variant = sqlite_catalog.search("shirt")
    assert every_variant.facets.prices == [(0, 2000, 1)]
    assert set(every_variant.facets.age_groups) == {"kids", "adult"}
    buyable = sqlite_catalog.search("shirt", in_stock=True)
    assert buyable.facets.prices == [(5000, 10000, 1)]
    assert buyable.facets.age_groups == {"adult": 1}
    assert buyable.facets.availability == {"in_stock": 1}
    assert [v.id for v in buyable.hits[0].variants] == ["tee-l"]
    cheap = sqlite_catalog.search("shirt", max_price=2000)
    assert cheap.facets.availability == {"out_of_stock": 1}
    assert cheap.facets.prices == [(0, 2000, 1)]


@pytest.mark.parametrize(
    "text",
    [
        "Lego™ t-shirt rock'n'roll",  # a symbol that folds to letters, joined words
        "a¨b ½ cup",  # compatibility forms that fold to a space or to separate digits
        "کتاب‌ها\u00a0Żółta łódź ЁЛКА ۸ ٨",  # ZWNJ, no-break space, Polish, Cyrillic, digits
        "t- shirt -x x- ' ’",  # joiners without a word on one side
    ],
)
def test_indexed_words_are_those_of_the_whole_folded_text(text):
    # The builder folds texts chunk by chunk (with a cache); the words must be the same.
    from catalog.index import IndexBuilder
    from catalog.text import index_terms

    builder = IndexBuilder()
    builder.add_product(
        titles=(text,), descriptions=("",), brand="", categories=(), tags=(), searchable=True
    )
    builder.add_product(
        titles=("x",),
        descriptions=(text + " " + text,),
        brand="",
        categories=(),
        tags=(),
        searchable=True,
    )
    assert set(builder.finish().words) == set(index_terms(text)) | {"x"}


@pytest.mark.parametrize(
    ("brand", "categories", "tags"),
    [
        ("Łódź-Toys", ("Toys & Games", "Building Toys"), ("lego", "tea_coffee")),
        ("", ("Игрушки",), ("t-shirt", "تی‌شرت")),
        ("LEGO", (), ()),
        ("Rock'n'Roll", ("Media", "Media"), ("Media",)),
    ],
)
def test_label_words_are_those_of_the_brand_categories_and_tags_together(brand, categories, tags):
    from catalog.index import DESC, LABEL, NAME, TITLE, IndexBuilder, name_key
    from catalog.text import index_terms

    title, description = "rock toys media x", "toys media games y"
    builder = IndexBuilder()
    builder.add_product(
        titles=(title,),
        descriptions=(description,),
        brand=brand,
        categories=categories,
        tags=tags,
        searchable=True,
    )
    index = builder.finish()
    together = set(index_terms(" ".join((brand, *categories, *tags))))
    names = {key for key in map(name_key, (*categories, *tags)) if key}
    in_title, in_description = set(index_terms(title)), set(index_terms(description))
    assert set(index.words) == together | names | in_title | in_description
    for tid, word in enumerate(index.words):
        ords, masks = index.postings(tid)
        assert list(ords) == [0]  # one entry per word, whatever the fields it is in
        label = (LABEL if word in together else 0) | (NAME if word in names else 0)
        expected = (TITLE if word in in_title else 0) | label
        if not expected:  # a description's word counts as such only when in nothing else
            expected = DESC
        assert int(masks[0]) == expected, word


def _store_index_as_folded_before_shoptext(catalog: Catalog) -> None:
    """Rewrite the current generation's stored index as shopchat wrote it before the fold
    was versioned (no ``_fold`` array)."""
    from sqlalchemy import delete, insert

    from catalog.index import SearchIndex
    from catalog.index_blob import write_arrays
    from catalog.store import index_parts

    generation = catalog.generation
    index = SearchIndex.from_bytes(catalog.store.load_index_blob(generation))
    payload = index._payload()
    del payload["_fold"]
    parts: list[bytes] = []
    write_arrays(payload, lambda piece: parts.append(bytes(piece)))
    with catalog.store.engine.begin() as connection:
        connection.execute(delete(index_parts).where(index_parts.c.generation == generation))
        connection.execute(
            insert(index_parts), {"generation": generation, "part": 0, "data": b"".join(parts)}
        )


def test_a_catalog_indexed_before_the_shared_fold_still_finds_products_then_reindexes(
    sqlite_catalog, write_feed
):
    path = write_feed(
        [make_row("tee", title={"fa": "تی‌شرت نخی", "en": "Cotton tee"}, category="clothes")]
    )
    sqlite_catalog.import_path(path, currency="PLN", changed_only=True)
    _store_index_as_folded_before_shoptext(sqlite_catalog)

    reopened = Catalog(sqlite_catalog.store.engine, clock=lambda: NOW, refresh_seconds=0.0)
    assert ids(search(reopened, "تیشرت")) == ["tee"]  # the old index answers meanwhile
    assert reopened.index_outdated

    # The shop's feed is unchanged, yet its next import rebuilds the index.
    report = reopened.import_path(path, currency="PLN", changed_only=True)
    assert not report.unchanged and not reopened.index_outdated
    for query in ("تیشرت", "تی شرت", "تی‌شرت", "تي‌شرت"):
        assert ids(search(reopened, query)) == ["tee"], query

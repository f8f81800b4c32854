"""An age group in a product question is a filter; a person in a sentence is a gift."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def read(shop, text: str, locale: str):
    return shop.understander.understand(text, locale, catalog=shop.catalog_vocabulary)


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("do you have any puzzles for kids?", "en"),
        ("tienen puzzles para niños", "es"),  # the gift finder led through "niños" alone
        ("у вас есть конструктор для детей", "ru"),
    ],
)
def test_a_product_question_for_an_age_group_goes_to_the_search_with_the_filter(shop, text, locale):
    found = read(shop, text, locale)
    assert found.intent == "product_search"
    assert found.entities["age_group"] == "child"


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("do you have something for my grandson? he likes lego", "en"),
        ("tienen algo para mi nieto? le gusta el lego", "es"),
    ],
)
def test_a_sentence_about_a_person_stays_a_gift_request(shop, text, locale):
    assert read(shop, text, locale).intent == "gift_finder"

"""Which flow a sentence starts, read as a shopper would mean it (the example shop)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def intent(shop, text: str, locale: str = "en") -> str | None:
    return shop.understander.understand(text, locale, catalog=shop.catalog_vocabulary).intent


@pytest.mark.parametrize(
    "text",
    [
        "who won the tennis final last night",
        "tell me a joke about cats",
        "kto wygrał wczoraj finał tenisa",
        "are you a real human or a bot",
    ],
)
def test_small_talk_starts_no_flow_and_offers_none(shop, text):
    found = shop.understander.understand(text, "en", catalog=shop.catalog_vocabulary)
    assert found.intent is None
    assert found.clarify == ()  # no "did you mean: search or tracking?" for small talk


def test_a_question_about_something_the_shop_does_not_sell_starts_nothing(shop):
    # "where is" is how order questions start, but the Eiffel tower is no order.
    assert intent(shop, "where is the eiffel tower") is None


@pytest.mark.parametrize(
    "text",
    [
        # Two ideas that no single example holds: the money is gone, and there is no order.
        "I paid and the money is gone but I see no order",
        "pieniądze zniknęły z konta, a zamówienia brak",
    ],
)
def test_a_payment_problem_in_everyday_words_gets_payment_help(shop, text):
    assert intent(shop, text) == "payment_help"


def test_a_value_with_only_please_around_it_starts_nothing(shop):
    # "please" is in the help examples ("help me please"), but says nothing on its own.
    assert intent(shop, "4 pieces please") is None


def test_a_person_makes_it_a_gift_and_a_group_makes_it_a_product_filter(shop):
    assert intent(shop, "szukam czegoś dla wnuka, lubi klocki") == "gift_finder"
    assert intent(shop, "szukam mikroskopu dla dziecka") == "product_search"


def test_a_greeting_read_in_the_wrong_language_still_meets_its_example(shop):
    # Read as English (the channel said nothing), "hola" has an English stem; the Spanish
    # example's word still counts once, and the message is taken as Spanish.
    found = shop.understander.understand("hola", "en", catalog=shop.catalog_vocabulary)
    assert (found.intent, found.language) == ("main_menu", "es")


@pytest.mark.parametrize("text", ["poproszę 5 sztuk", "my phone is 500 600 700"])
def test_a_value_no_flow_asks_for_is_an_answer_not_a_request(shop, text):
    # "poproszę" is in "poproszę człowieka", but five pieces are no request for a person.
    assert intent(shop, text) is None

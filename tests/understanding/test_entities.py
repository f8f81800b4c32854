"""Values found in sentences, in every shop locale (no flows needed)."""

from __future__ import annotations

import pytest

from understanding import IntentIndex, Understander, builtin_vocabulary, parse_vocabulary
from understanding.vocabulary import VocabularyError

LOCALES = ["en", "pl", "es", "ru", "fa"]


@pytest.fixture(scope="module")
def reader() -> Understander:
    vocab = builtin_vocabulary()
    vocab.add(
        parse_vocabulary(
            {
                "interests": {
                    "dinosaurs": {
                        "words": {
                            "en": ["dinosaur"],
                            "pl": ["dinozaur"],
                            "es": ["dinosaurio"],
                            "ru": ["динозавр"],
                            "fa": ["دایناسور"],
                        }
                    }
                }
            }
        )
    )
    return Understander(LOCALES, "PLN", vocab, IntentIndex())


def heard(reader: Understander, text: str, locale: str = "en") -> dict:
    return reader.understand(text, locale).entities


@pytest.mark.parametrize(
    ("text", "money"),
    [
        ("max 100 zł", 10000),
        ("do 100 złotych", 10000),
        ("hasta 100 zł", 10000),
        ("до 100 злотых", 10000),
        ("۱۵۰ زلوتی", 15000),
        ("٢٠٠ زلوتی", 20000),
        ("around 150", 15000),
        ("budget 99,90 zł", 9990),
        ("PLN 1 299.50", 129950),
        ("100zł", 10000),
        ("up to two hundred zloty", 20000),
        ("до двухсот злотых", 20000),
        ("sto pięćdziesiąt złotych", 15000),
    ],
)
def test_money_with_currency_words_signs_and_any_digits(reader, text, money):
    assert heard(reader, text)["money"] == money


def test_a_price_range_gives_both_ends(reader):
    assert heard(reader, "between 50 and 80") == {"money_min": 5000, "money": 8000} | {
        k: v
        for k, v in heard(reader, "between 50 and 80").items()
        if k not in ("money", "money_min")
    }
    got = heard(reader, "od 50 do 80 zł", "pl")
    assert (got["money_min"], got["money"]) == (5000, 8000)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("8 year old", 8),
        ("8-letni", 8),
        ("de 8 años", 8),
        ("8 лет", 8),
        ("۸ ساله", 8),
        ("eight years old", 8),
        ("ośmioletniego", 8),
        ("восьмилетнему", 8),
        ("a toddler", 2),
    ],
)
def test_ages_with_digits_words_and_compounds(reader, text, age):
    assert heard(reader, text)["age"] == age


@pytest.mark.parametrize(
    ("text", "locale", "recipient", "group", "gender"),
    [
        ("for my nephew", "en", "nephew", "child", "male"),
        ("dla bratanka", "pl", "nephew", "child", "male"),
        ("para mi sobrina", "es", "niece", "child", "female"),
        ("для племянника", "ru", "nephew", "child", "male"),
        ("برای برادرزاده‌ام", "fa", "nephew", "child", "male"),
        ("dla wnuczki", "pl", "granddaughter", "child", "female"),
        ("для внука", "ru", "grandson", "child", "male"),
        ("para mi abuela", "es", "grandma", "adult", "female"),
        ("a teenager", "en", "teen", "teen", None),
    ],
)
def test_recipients_with_age_group_and_gender_in_every_language(
    reader, text, locale, recipient, group, gender
):
    got = heard(reader, text, locale)
    assert got["recipient"] == recipient
    assert got["age_group"] == group
    assert got.get("gender") == gender


@pytest.mark.parametrize(
    "text", ["dinozaury", "динозавров", "dinosaurios", "dinosuar", "loves dinosaurs", "دایناسورها"]
)
def test_interests_tolerate_inflection_and_typos(reader, text):
    assert heard(reader, text)["interest"] == ["dinosaurs"]


def test_order_numbers_emails_phones_quantities_colours_and_sizes(reader):
    got = heard(reader, "order TG-10234, anna@example.com, +48 600 123 456")
    assert got["order_number"] == "TG-10234"
    assert got["email"] == "anna@example.com"
    assert got["phone"] == "+48600123456"
    got = heard(reader, "2 pieces in red, size M")
    assert (got["quantity"], got["colour"], got["size"]) == (2, "red", "m")


def test_an_article_is_not_the_number_one(reader):
    assert "age" not in heard(reader, "tengo un problema con el pago", "es")
    assert "quantity" not in heard(reader, "busco un juego de ajedrez", "es")


def test_a_bad_vocabulary_file_says_where():
    with pytest.raises(VocabularyError) as caught:
        parse_vocabulary({"recipients": {"aunt": {"group": "elderly"}}})
    assert caught.value.where[:3] == ("recipients", "aunt", "group")
    with pytest.raises(VocabularyError):
        parse_vocabulary(["not", "a", "mapping"])

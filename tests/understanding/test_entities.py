"""Values found in sentences, in every shop locale (no flows needed)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# -- money as shoppers write it -------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "locale", "money"),
    [
        ("budget 2k", "en", 200000),
        ("do 2 tys. zł", "pl", 200000),
        ("1,5 тыс злотых максимум", "ru", 150000),
        ("półtora tysiąca złotych", "pl", 150000),
        ("около полутора тысяч злотых", "ru", 150000),
        ("75.50 max", "en", 7550),
        ("300 tops", "en", 30000),
        ("ciento veinte como mucho", "es", 12000),
        ("najwyżej dwie stówy", "pl", 20000),
        ("roughly three hundred", "en", 30000),
        ("do dwustu złotych", "pl", 20000),
        ("حدود دویست زلوتی", "fa", 20000),
        ("Бюджет 2 тысячи", "ru", 200000),
        ("hasta 2 mil zł", "es", 200000),
    ],
)
def test_money_with_thousands_halves_words_and_a_bound_after_the_number(
    reader, text, locale, money
):
    assert heard(reader, text, locale)["money"] == money


@pytest.mark.parametrize(
    ("text", "locale", "low", "high"),
    [
        ("60-90 zł", "pl", 6000, 9000),
        ("between 40 and 70zl", "en", 4000, 7000),
        ("entre 30 y 45 eslotis", "es", 3000, 4500),
        ("от 300 до 500 злотых", "ru", 30000, 50000),
        ("بین ۵۰ تا ۸۰ زلوتی", "fa", 5000, 8000),
        ("od stu do dwustu złotych", "pl", 10000, 20000),
    ],
)
def test_a_range_in_one_word_or_words_gives_both_ends(reader, text, locale, low, high):
    got = heard(reader, text, locale)
    assert (got.get("money_min"), got.get("money")) == (low, high)
    assert "quantity" not in got  # "تا" after a number is also "pieces"


@pytest.mark.parametrize(
    ("text", "locale"),
    [("toys for kids under 10", "en"), ("zabawki dla dzieci do 6", "pl")],
)
def test_an_age_bound_after_children_is_no_price(reader, text, locale):
    assert "money" not in heard(reader, text, locale)


def test_currency_words_no_amount_took_are_no_colour_and_coffee_is_no_colour(reader):
    assert "colour" not in heard(reader, "coś koło stu złotych", "pl")
    assert "colour" not in heard(reader, "a mi padre le encanta el café", "es")
    assert heard(reader, "zegarek w kolorze złotym", "pl")["colour"] == "gold"


# -- ages -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "locale", "age"),
    [
        ("for a 9 month old", "en", 0),
        ("18 months", "en", 1),
        ("dla 10-miesięcznego malucha", "pl", 0),
        ("un bebé de 11 meses", "es", 0),
        ("малышу 7 месяцев", "ru", 0),
        ("نوزاد ۹ ماهه", "fa", 0),
        ("for his 40th birthday", "en", 40),
        ("dla siedmiolatki", "pl", 7),
        ("para una niña de nueve años", "es", 9),
        ("шестилетней девочке", "ru", 6),
        ("پسر هفت ساله", "fa", 7),
        ("12yo", "en", 12),
    ],
)
def test_ages_in_months_for_babies_ordinals_and_words(reader, text, locale, age):
    assert heard(reader, text, locale)["age"] == age


# -- recipients -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "locale", "recipient", "gender"),
    [
        ("for my son-in-law", "en", "son_in_law", "male"),
        ("for my sister in law", "en", "sister_in_law", "female"),
        ("dla zięcia", "pl", "son_in_law", "male"),
        ("dla szwagierki", "pl", "sister_in_law", "female"),
        ("para mi nuera", "es", "daughter_in_law", "female"),
        ("для золовки", "ru", "sister_in_law", "female"),
        ("برای عروسم", "fa", "daughter_in_law", "female"),
        ("dla wnuczka", "pl", "grandson", "male"),
        ("moja wnuczka", "pl", "granddaughter", "female"),
        ("dla córeczki", "pl", "daughter", "female"),
        ("сыночку", "ru", "son", "male"),
        ("дочурке", "ru", "daughter", "female"),
        ("para mi hijita", "es", "daughter", "female"),
        ("for my grand daughter", "en", "granddaughter", "female"),
        ("for my dad's birthday", "en", "dad", "male"),
    ],
)
def test_in_laws_diminutives_and_inflections(reader, text, locale, recipient, gender):
    got = heard(reader, text, locale)
    assert (got["recipient"], got.get("gender")) == (recipient, gender)


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("a little treat for myself", "en"),
        ("coś dla siebie", "pl"),
        ("algo para mí", "es"),
        ("хочу купить себе подарок", "ru"),
        ("یه چیزی برای خودم", "fa"),
    ],
)
def test_shopping_for_oneself_is_an_adult(reader, text, locale):
    got = heard(reader, text, locale)
    assert (got["recipient"], got["age_group"]) == ("myself", "adult")


def test_a_person_named_beside_my_wins_over_myself(reader):
    assert heard(reader, "algo para mi hijo", "es")["recipient"] == "son"
    assert heard(reader, "un regalo para mi amigo", "es")["recipient"] == "friend"
    assert "recipient" not in heard(reader, "what can you do for me", "en")


@pytest.mark.parametrize(
    ("text", "locale", "phone"),
    [
        ("zadzwońcie 512 345 678", "pl", "+48512345678"),
        ("شماره من ۰۹۱۲۳۴۵۶۷۸۹ است", "fa", "+989123456789"),
        ("mi móvil es +34 612 34 56 78", "es", "+34612345678"),
    ],
)
def test_phones_without_a_country_code_are_the_shops_country_or_the_languages(
    reader, text, locale, phone
):
    assert heard(reader, text, locale)["phone"] == phone


def test_an_interest_counts_where_someone_likes_it_not_in_passing(reader):
    assert "interest" not in heard(reader, "we watched a film about a dinosaur yesterday lol")
    assert heard(reader, "she is crazy about dinosaurs")["interest"] == ["dinosaurs"]
    assert heard(reader, "dinozaury", "pl")["interest"] == ["dinosaurs"]
    assert heard(reader, "для внука, динозавры", "ru")["interest"] == ["dinosaurs"]


@pytest.mark.parametrize(
    ("text", "locale", "recipient"),
    [
        ("somthing for my neice", "en", "niece"),
        ("prezent dla bratnka", "pl", "nephew"),
        ("un regalo para mi sobrnio", "es", "nephew"),
    ],
)
def test_a_recipient_with_a_typo_is_the_closest_word(reader, text, locale, recipient):
    assert heard(reader, text, locale)["recipient"] == recipient


def test_a_bare_number_after_a_child_is_the_age_and_a_comma_ends_a_range(reader):
    got = heard(reader, "teen girl, 14, budget 90")
    assert (got["age"], got["age_group"], got["money"]) == (14, "teen", 9000)
    assert heard(reader, "dla syna 7", "pl")["age"] == 7
    got = heard(reader, "granddaughter, she'll be 3, max 70 zł")
    assert (got["age"], got["money"], got.get("money_min")) == (3, 7000, None)


def test_a_person_named_wins_over_a_pronoun_which_still_gives_the_gender(reader):
    got = heard(reader, "my colleague is leaving, we want to buy her a gift")
    assert (got["recipient"], got["gender"]) == ("colleague", "female")


def test_unos_is_about_not_one(reader):
    assert heard(reader, "unos cincuenta zlotys", "es")["money"] == 5000


_PIECES = [
    "zł", "1 000", "100-", "-100", "۱۲۰٫۵", "٣", "½", "²", "k", "тыс", "do", "до", "تا", "بین",
    "between", "and", "years", "lat", "ماهه", "meses", "dla wnuczka", "para mí", "😀", "\u200c",
    "00000000000000000000000", "#", "@", ".", ",", "x3", "size", "talla", "max", "tops",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=6)), max_size=12),
    st.sampled_from(LOCALES),
)
def test_any_text_is_read_without_error_and_amounts_and_ages_are_whole_numbers(
    reader, pieces, locale
):
    got = heard(reader, " ".join(pieces), locale)
    for kind in ("money", "money_min", "age", "quantity"):
        assert kind not in got or isinstance(got[kind], int)
    assert "age" not in got or 0 <= got["age"] <= 120


@pytest.mark.parametrize(
    ("text", "locale", "recipient", "age"),
    [
        ("algo para mi hermanita de 9", "es", "sister", 9),
        ("para mi hijastra de 6 años", "es", "stepchild", 6),
        ("для падчерицы, 8", "ru", "stepchild", 8),
        ("for my lil bro, 11", "en", "brother", 11),
    ],
)
def test_de_and_a_bare_number_after_a_young_recipient_are_an_age_not_a_price(
    reader, text, locale, recipient, age
):
    got = heard(reader, text, locale)
    assert (got["recipient"], got["age"]) == (recipient, age)
    assert "money" not in got


def test_two_grandparents_named_together_are_the_grandparents(reader):
    assert heard(reader, "for grandma and grandpa")["recipient"] == "grandparents"
    assert heard(reader, "dla babci i dziadka", "pl")["recipient"] == "grandparents"

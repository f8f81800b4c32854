"""What shoppers may type for each slot type, and how matching folds what they type."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.slots import InvalidAnswer, parse_answer
from flows.text import fold, fold_message, parse_int

TODAY = date(2026, 12, 1)


def parse(kind: str, text: str, **kw):
    return parse_answer(kind, text, currency=kw.pop("currency", "PLN"), today=TODAY, **kw)


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        ("150", 15000),
        ("150 zł", 15000),
        ("150,50", 15050),
        ("PLN 150.50", 15050),
        ("1 299", 129900),
        ("1.299,99", 129999),
    ],
)
def test_money_in_the_ways_shoppers_write_it(text, minor):
    assert parse("money", text) == minor


def test_money_in_a_currency_without_minor_units():
    assert parse("money", "1500 ¥", currency="JPY") == 1500
    with pytest.raises(InvalidAnswer):
        parse("money", "15.5", currency="JPY")


@pytest.mark.parametrize("text", ["abc", "", "12.345", "1,2,3"])
def test_not_money(text):
    with pytest.raises(InvalidAnswer) as exc:
        parse("money", text)
    assert exc.value.reason == "invalid_money"


def test_integers_in_any_script_and_bounds():
    assert parse("integer", " ۸ ") == 8
    assert parse("integer", "٤٢") == 42
    with pytest.raises(InvalidAnswer, match="too_big"):
        parse("integer", "200", maximum=120)
    with pytest.raises(InvalidAnswer, match="invalid_integer"):
        parse("integer", "8.5")


def test_email_phone_and_date():
    assert parse("email", " Ana@Example.COM ") == "ana@example.com"
    with pytest.raises(InvalidAnswer):
        parse("email", "ana@example")
    assert parse("phone", "+48 600-123-456") == "+48600123456"
    with pytest.raises(InvalidAnswer):
        parse("phone", "12-34")
    assert parse("date", "24.12.2026") == "2026-12-24"
    assert parse("date", "jutro") == "2026-12-02"
    assert parse("date", "Mañana") == "2026-12-02"
    with pytest.raises(InvalidAnswer):
        parse("date", "31.02.2026")


def test_folding_handles_letters_nfkd_leaves_alone():
    assert fold("Łódź") == "lodz"
    assert fold("Ёлка") == "елка"
    assert fold("كتاب") == fold("کتاب")
    assert fold_message("  Help!! ") == "help"
    assert parse_int("-3") == -3 and parse_int("x") is None


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=40),
    st.sampled_from(["integer", "number", "money", "email", "phone", "date", "text"]),
)
def test_any_input_parses_or_is_refused_cleanly(text, kind):
    try:
        parse(kind, text)
    except InvalidAnswer as exc:
        assert exc.reason.startswith(("invalid_", "too_"))


def test_a_persian_phrase_matches_with_zwnj_a_space_or_arabic_letters():
    assert fold_message("تی‌شرت") == fold_message("تی شرت") == "تی شرت"
    assert fold_message("كتاب‌ها!") == fold_message("کتاب ها")
    assert fold_message("۲") == "2"

"""Questions answered by what shoppers type: values from sentences and free-text answers,
validated like typed answers, in every shop locale (the project of
test_understanding_in_flows: a gift flow asking recipient, age, budget and interests)."""

from __future__ import annotations

import pytest

from flows import ChoiceInput
from tests.flows import test_understanding_in_flows as base
from tests.flows.conftest import make_actions
from tests.flows.test_understanding_in_flows import Chat


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    import textwrap

    from flows import load_project

    root = tmp_path_factory.mktemp("bot")
    (root / "flows").mkdir()
    (root / "shop.yaml").write_text(base.SHOP, encoding="utf-8")
    flows = {"menu": base.MENU, "gift": base.GIFT, "track": base.TRACK, "search": base.SEARCH}
    for name, text in flows.items():
        (root / "flows" / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    (root / "vocabulary").mkdir()
    (root / "vocabulary" / "shop.yaml").write_text(base.VOCABULARY, encoding="utf-8")
    found, diags = load_project(root, make_actions())
    assert found is not None, [d.format() for d in diags]
    return found


def at_gift(project, locale: str = "en") -> Chat:
    chat = Chat(project, locale=locale)
    chat.says("hi")
    chat.send(ChoiceInput(payload="gift"))
    return chat


@pytest.mark.parametrize(
    ("answer", "locale", "group"),
    [
        ("for my mother in law", "en", "adult"),
        ("just for myself", "en", "adult"),
        ("dla wnusi", "pl", "child"),
        ("dla szwagra", "pl", "adult"),
        ("para mi sobrinita", "es", "child"),
        ("сыночку", "ru", "child"),
        ("برای خواهرزاده‌ام", "fa", "child"),
        ("برای مادرزنم", "fa", "adult"),
    ],
)
def test_who_is_it_for_answered_in_words_maps_onto_the_choices(project, answer, locale, group):
    chat = at_gift(project, locale)
    chat.says(answer)
    assert chat.state.slots["recipient"] == group


@pytest.mark.parametrize(
    ("answer", "age"),
    [("8yo", 8), ("ośmiolatek", 8), ("۸ سالشه", 8), ("she's 6 months old", 0), ("diez", 10)],
)
def test_how_old_answered_in_words_digits_or_months(project, answer, age):
    chat = at_gift(project)
    chat.says("for my granddaughter")
    chat.says(answer)
    assert chat.state.slots["age"] == age


@pytest.mark.parametrize(
    ("answer", "budget"),
    [
        ("sto", 10000),
        ("cien", 10000),
        ("сто", 10000),
        ("صد", 10000),
        ("do stu złotych", 10000),
        ("۱۲۰٫۵۰ زلوتی", 12050),
        ("100-150 zł", 15000),
        ("1k", 100000),
        ("49,99 max", 4999),
    ],
)
def test_the_budget_answered_in_words_ranges_or_any_digits(project, answer, budget):
    chat = at_gift(project)
    chat.says("for my son")
    chat.says("7")
    chat.says(answer)  # (in the language the answer is in, which it switches to)
    assert chat.state.slots["budget"] == budget


def test_a_budget_of_nothing_is_refused_and_asked_again(project):
    chat = at_gift(project)
    chat.says("for my son")
    chat.says("7")
    said = chat.says("zero")
    assert "budget" not in chat.state.slots
    assert said.endswith("Budget?")


@pytest.mark.parametrize(
    ("sentence", "locale", "slots"),
    [
        (
            "a present for my 6 month old grandson, up to 80 zł",
            "en",
            {"recipient": "child", "age": 0},
        ),
        ("prezent dla teściowej, lubi książki", "pl", {"recipient": "adult"}),
        ("un regalo para mi yerno de 35 años", "es", {"recipient": "adult", "age": 35}),
        ("подарок для пятилетней племянницы", "ru", {"recipient": "child", "age": 5}),
        ("هدیه برای نوه‌ی ۴ ساله‌ام", "fa", {"recipient": "child", "age": 4}),
    ],
)
def test_a_sentence_with_in_laws_months_and_inflections_skips_its_questions(
    project, sentence, locale, slots
):
    chat = Chat(project, locale=locale)
    chat.says(sentence)
    for name, value in slots.items():
        assert chat.state.slots[name] == value, (name, chat.state.slots)


def test_an_age_that_breaks_the_questions_rules_from_a_sentence_is_asked(project):
    chat = Chat(project)
    said = chat.says("gift for my nephew, he is 250 years old")
    assert "age" not in chat.state.slots
    assert said == "How old?"

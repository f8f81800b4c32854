"""The angry/complaining message detector, in every shipped locale, with negatives."""

from __future__ import annotations

import pytest

from bot.handoff import AngerDetector, AngryConfig

ANGRY = {
    "en": [
        "THIS IS RIDICULOUS!!!",
        "I want to file a complaint",
        "Worst shop ever, I'll sue you",
        "This is a scam",
        "where is my parcel?! still waiting",
    ],
    "pl": [
        "TO JEST SKANDAL!!!",
        "Składam reklamację",
        "Oszuści! Gdzie jest moja paczka?!",
        "Najgorszy sklep, wkurza mnie to",
    ],
    "es": [
        "¡ES INACEPTABLE!!!",
        "Quiero poner una queja",
        "Esto es una estafa",
        "Sigo esperando, es ridículo?!",
    ],
    "ru": ["ЭТО БЕЗОБРАЗИЕ!!!", "Я напишу жалобу", "Вы мошенники", "Где мой заказ?! Это ужасно"],
    "fa": [
        "این افتضاح است!!!",
        "می‌خواهم شکایت کنم",
        "شما کلاهبردار هستید",
        "هنوز منتظرم، وحشتناک است!!!",
    ],
}
CALM = {
    "en": [
        "hi",
        "I love it!!!",
        "There is an issue with my order",
        "Where is my order?",
        "terrible weather today",
        "HELLO",
        "Can I get a gift for my dad?",
    ],
    "pl": ["cześć", "Dziękuję bardzo!!!", "Gdzie jest moja paczka?", "Szukam prezentu"],
    "es": ["hola", "¡Gracias!!!", "Busco un regalo", "¿Dónde está mi pedido?"],
    "ru": ["привет", "Спасибо!!!", "Хочу подарок для сына", "Когда придёт заказ?"],
    "fa": ["سلام", "ممنون!!!", "یک هدیه برای پدرم می‌خواهم", "سفارش من کی می‌رسد؟"],
}


@pytest.mark.parametrize(
    ("locale", "text"), [(loc, t) for loc, texts in ANGRY.items() for t in texts]
)
def test_angry_and_complaining_messages_are_noticed(locale, text):
    assert AngerDetector().is_angry(text), AngerDetector().mood(text)


@pytest.mark.parametrize(
    ("locale", "text"), [(loc, t) for loc, texts in CALM.items() for t in texts]
)
def test_calm_messages_are_left_to_the_bot(locale, text):
    assert not AngerDetector().is_angry(text), AngerDetector().mood(text)


def test_a_shop_can_add_words_raise_the_threshold_or_turn_it_off():
    extra = AngerDetector(AngryConfig(words={"en": ["bonkers"]}))
    assert extra.is_angry("this is bonkers") and not AngerDetector().is_angry("this is bonkers")
    strict = AngerDetector(AngryConfig(threshold=4))
    assert not strict.is_angry("I want to file a complaint")
    assert strict.is_angry("THIS IS A SCAM, I WANT TO COMPLAIN!!!")
    assert not AngerDetector(AngryConfig(enabled=False)).is_angry("THIS IS A SCAM!!!")


def test_shouting_alone_or_exclamation_alone_is_not_enough():
    d = AngerDetector()
    assert d.mood("WHERE CAN I FIND LEGO").signals == ("CAPS",)
    assert not d.is_angry("WHERE CAN I FIND LEGO")
    assert not d.is_angry("Wow!!!")


def test_angry_words_are_found_however_they_are_typed():
    # The detector folds as search and understanding do (shoptext.fold): a stretched
    # Persian word (tatweel) or Arabic letters are the same word.
    detector = AngerDetector()
    assert detector.is_angry("این وحشتـــناک است!!!")
    assert detector.is_angry("این افتضـــاح است!!!")
    assert detector.is_angry("شما كلاهبردار هستید")

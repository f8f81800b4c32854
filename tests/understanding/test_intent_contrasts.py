"""Pairs of sentences that share their words but not their intent, in all five languages.

Wanting to pay now is checking out; a payment that goes wrong (declined, charged twice, money
taken but no order, pending, a refund, which methods) is payment help. A question about the
bot ("are you a robot?") is small talk; asking for a person is a hand-off. Not being able to
pay is a payment problem, not a wish to cancel. An order that never came is tracking. None of
these sentences is one of the flows' examples.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CASES = [
    # Wanting to pay now: checkout.
    ("checkout", "I want to pay for my order"),
    ("checkout", "chcę zapłacić za zamówienie"),
    ("checkout", "quiero pagar mi pedido ya"),
    ("checkout", "хочу оплатить заказ"),
    ("checkout", "quisiera pagar ahora"),
    ("checkout", "can i pay right now"),
    ("payment_help", "can i pay with blik"),
    ("checkout", "میخوام سفارشمو پرداخت کنم"),
    ("checkout", "میخوام سفارشمو نهایی کنم"),
    # Payment problems and questions stay payment help.
    ("payment_help", "I was charged twice"),
    ("payment_help", "money taken but no order"),
    ("payment_help", "payment still pending"),
    ("payment_help", "which payment methods do you accept"),
    ("payment_help", "płatność odrzucona"),
    ("payment_help", "پولم کم شد ولی سفارش ثبت نشد"),
    # Can't pay: payment help, not cancel.
    ("payment_help", "nie mogę zapłacić"),
    ("payment_help", "не получается оплатить"),
    ("payment_help", "نمیتونم پرداخت کنم"),
    ("payment_help", "no puedo pagar con tarjeta"),
    ("payment_help", "it won't let me pay"),
    ("payment_help", "no me deja pagar"),
    ("payment_help", "nie mogę zapłacić za zamówienie"),
    # Questions about the bot: small talk; asking for a person: a hand-off.
    (None, "are you a robot or a real person?"),
    (None, "jesteś botem?"),
    (None, "¿eres un robot?"),
    (None, "ты бот?"),
    (None, "czy jesteś człowiekiem?"),
    ("@human", "I want to talk to a real person"),
    ("@human", "chcę rozmawiać z prawdziwym człowiekiem"),
    ("@human", "quiero hablar con una persona real"),
    ("@human", "хочу поговорить с живым человеком"),
    ("@human", "میخوام با یه آدم واقعی حرف بزنم"),
    # An order that never came: tracking.
    ("order_tracking", "ordered a week ago and nothing came"),
    ("order_tracking", "paczka nie doszła"),
    ("order_tracking", "заказ так и не пришёл"),
    ("order_tracking", "هنوز سفارشم نرسیده"),
    ("order_tracking", "pedí hace diez días y no ha llegado nada"),
    ("order_tracking", "hace dos semanas y nada"),
    # A manager is a person to talk to, not a gift's recipient.
    ("@human", "talk to a manager"),
    ("@human", "chcę rozmawiać z kierownikiem"),
    ("@human", "quiero hablar con el gerente"),
    ("@human", "позовите менеджера"),
    ("@human", "میخوام با مدیر صحبت کنم"),
    ("@human", "дайте руководителя"),
    ("@human", "let me talk to the supervisor"),
    ("@human", "با سرپرست فروشگاه حرف بزنم"),
    ("gift_finder", "gift for my manager"),
    ("gift_finder", "prezent dla szefa"),
]


@pytest.mark.parametrize(("flow", "text"), CASES)
def test_sentence_goes_to_its_intent(shop, flow, text):
    result = shop.understander.understand(text, "en", catalog=shop.catalog_vocabulary)
    assert result.intent == flow, (text, result.alternatives)
    if flow is None:
        assert result.clarify == (), "small talk offers no flows to choose from"


SHORT = [
    ("es", "¿eres un robot?"),  # lingua alone leans English on these four words
    ("es", "¡muchas gracias!"),
    ("es", "hola"),
    ("ru", "привет"),
    ("pl", "jesteś botem?"),
    ("pl", "cześć"),
    ("fa", "تو رباتی؟"),
]


@pytest.mark.parametrize(("lang", "text"), SHORT)
def test_a_short_message_gets_its_language(shop, lang, text):
    result = shop.understander.understand(text, "en", catalog=shop.catalog_vocabulary)
    assert result.language == lang, (text, result.language)


def test_an_opening_question_mark_means_spanish_only_where_the_shop_speaks_it():
    from understanding.language import LanguageDetector

    assert LanguageDetector(["en", "pl", "es"]).detect("¿vale?") == ("es", 1.0)
    assert LanguageDetector(["en", "pl"]).detect("¿vale?") is None

"""STOP in any language withdraws marketing consent and is acknowledged once."""

from __future__ import annotations

from customers.consent import get_consent

from .test_customer_record import running


def consent_of(shop, cid):  # type: ignore[no-untyped-def]
    with shop.client.app.state.store.connection() as conn:
        return get_consent(conn, cid, "marketing")


def test_stop_unsubscribes_once_and_the_bot_still_answers(tmp_path):
    with running(tmp_path) as shop:
        ana = shop.telegram(first_name="Ana", chat_id=11)
        ana.say("hi")
        ana.press("Find a gift")
        first = ana.say("STOP")
        assert "You're unsubscribed" in first.said
        assert "Who is the gift for?" not in first.said  # "stop" also ended the gift finder
        recorded = consent_of(shop, "telegram:11")
        assert recorded is not None and recorded.granted is False
        assert recorded.source == "stop word"
        again = ana.say("stop")
        assert "unsubscribed" not in again.said  # told once
        assert "Wypisano" in shop.telegram(chat_id=12, language_code="pl").say("Nie wysyłaj").said
        assert "Вы отписались" in shop.whatsapp(wa_id="48600000013").say("СТОП").said
        assert "Te has dado de baja" in shop.telegram(chat_id=14).say("baja").said
        assert "اشتراک شما لغو شد" in shop.telegram(chat_id=15).say("لغو").said


def test_a_sentence_with_stop_in_it_is_not_an_unsubscribe(tmp_path):
    with running(tmp_path) as shop:
        ana = shop.telegram(first_name="Ana", chat_id=21)
        said = ana.say("when does the bus stop running").said
        assert "unsubscribed" not in said
        assert consent_of(shop, "telegram:21") is None

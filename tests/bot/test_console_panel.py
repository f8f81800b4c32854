"""The console's customer panel and composer speak a person's language."""

from __future__ import annotations

from bot.console.desk import composer_notice, language_name, slot_text


def test_the_composer_says_what_a_reply_will_do_before_the_agent_writes():
    assert composer_notice("telegram", "", None) == ("", True)
    assert composer_notice("whatsapp", "open, 5 h left", None) == ("", True)
    text, ok = composer_notice("whatsapp", "closed", None)
    assert not ok and "WhatsApp's messaging window is closed" in text
    text, ok = composer_notice("whatsapp", "closed", "reengage_v1")
    assert ok and "'reengage_v1' goes instead" in text
    text, ok = composer_notice("messenger", "agents only, 6 d left", None)
    assert ok and "human-agent tag (6 d left)" in text
    assert composer_notice("instagram", "closed", None)[1] is False


def test_collected_values_are_shown_by_type():
    assert slot_text(15000, "money", "PLN", "pl") == "150,00\xa0zł"
    assert slot_text(15000, "money", "PLN", "fa") == "\u200ePLN\xa0۱۵۰٫۰۰"
    products = [
        {"id": "bw-fire-station", "title": "Fire Station", "price_text": "PLN 189.99"},
        {"id": "x", "title": "Kite", "in_stock": True},
    ]
    assert slot_text(products, "", "PLN", "en") == "Fire Station (PLN 189.99); Kite"
    assert slot_text(True, "yes_no", "PLN", "en") == "yes"
    assert language_name("fa") == "Persian (fa)" and language_name("") == ""

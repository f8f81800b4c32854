"""What a Messenger shopper receives: replies rendered within Messenger's limits and windows."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.base import OutboundCall, RenderContext
from adapters.messenger import MessengerChannel
from flows import Choice, ImageReply, ProductCard, ProductCards, Reply, TextReply

NOW = datetime(2025, 6, 9, 12, 0, tzinfo=UTC)
PSID = "6998441213545698"


def ctx(
    ago: timedelta | None = timedelta(minutes=5), human_agent: bool = False, locale: str = "en"
) -> RenderContext:
    last = None if ago is None else NOW - ago
    return RenderContext(now=NOW, locale=locale, last_inbound_at=last, human_agent=human_agent)


def render_calls(*replies: Reply, **kw: Any) -> list[dict[str, Any]]:
    calls = MessengerChannel("secret", "107392638845910").render(PSID, list(replies), ctx(**kw))
    for call in calls:
        assert call.method == "messages"
        assert call.conversation_id == f"messenger:{PSID}"
        assert call.payload["recipient"] == {"id": PSID}
    return [c.payload for c in calls]


def render(*replies: Reply, **kw: Any) -> list[dict[str, Any]]:
    payloads = render_calls(*replies, **kw)
    assert all(p["messaging_type"] == "RESPONSE" for p in payloads)
    return [p["message"] for p in payloads]


def choices(*labels: str) -> tuple[Choice, ...]:
    return tuple(Choice(label=label, payload=f"p{n}") for n, label in enumerate(labels, 1))


def card(n: int, **kw: Any) -> ProductCard:
    return ProductCard(
        id=f"sku-{n}",
        title=kw.pop("title", f"Mug {n}"),
        subtitle=kw.pop("subtitle", "Stoneware, 350 ml"),
        price=f"€{n}.00",
        image_url=f"https://shop.example/img/{n}.jpg",
        url=kw.pop("url", f"https://shop.example/p/{n}"),
        button=Choice(label="Choose", payload=f"sku-{n}"),
    )


# -- text -------------------------------------------------------------------------------------
def test_plain_text() -> None:
    assert render(TextReply("Hello! How can I help?")) == [{"text": "Hello! How can I help?"}]


def test_a_long_text_arrives_in_pieces_of_at_most_2000() -> None:
    text = "\n".join(f"Line {n}: " + "words " * 20 for n in range(60))
    messages = render(TextReply(text))
    assert len(messages) > 1
    assert all(len(m["text"]) <= 2000 for m in messages)
    assert all(m["text"].startswith("Line ") for m in messages)


# -- choices ------------------------------------------------------------------------------------
def test_short_choices_are_quick_replies() -> None:
    [message] = render(TextReply("Which size?", choices("Small", "Medium", "Large")))
    assert message == {
        "text": "Which size?",
        "quick_replies": [
            {"content_type": "text", "title": "Small", "payload": "p1"},
            {"content_type": "text", "title": "Medium", "payload": "p2"},
            {"content_type": "text", "title": "Large", "payload": "p3"},
        ],
    }


def test_thirteen_choices_are_quick_replies_and_fourteen_numbered_text() -> None:
    labels = [f"Option {n}" for n in range(1, 15)]
    [thirteen] = render(TextReply("Pick one", choices(*labels[:13])))
    assert len(thirteen["quick_replies"]) == 13
    [fourteen] = render(TextReply("Pick one", choices(*labels)))
    assert "quick_replies" not in fourteen
    assert fourteen["text"].startswith("Pick one\n\n1. Option 1\n")
    assert fourteen["text"].endswith("\n14. Option 14")


def test_long_labels_are_listed_whole_and_tapped_by_number() -> None:
    reply = TextReply("Which one?", choices("Plain mug", "Ceramic mug, speckled glaze, 350 ml"))
    [message] = render(reply)
    assert message["text"] == "Which one?\n\n1. Plain mug\n2. Ceramic mug, speckled glaze, 350 ml"
    assert message["quick_replies"] == [
        {"content_type": "text", "title": "1", "payload": "p1"},
        {"content_type": "text", "title": "2", "payload": "p2"},
    ]


def test_quick_replies_ride_on_the_last_piece_of_a_long_question() -> None:
    question = "\n\n".join("A long paragraph. " * 30 for _ in range(5))
    messages = render(TextReply(question, choices("Yes", "No")))
    assert len(messages) > 1
    assert all("quick_replies" not in m for m in messages[:-1])
    assert [q["title"] for q in messages[-1]["quick_replies"]] == ["Yes", "No"]


# -- images and products -------------------------------------------------------------------------
def test_an_image_then_its_caption() -> None:
    messages = render(ImageReply("https://shop.example/map.png", "Our shop"))
    assert messages == [
        {
            "attachment": {
                "type": "image",
                "payload": {"url": "https://shop.example/map.png", "is_reusable": True},
            }
        },
        {"text": "Our shop"},
    ]


def test_products_are_a_carousel_with_choose_and_view_buttons() -> None:
    [message] = render(ProductCards((card(1), card(2))), locale="es")
    payload = message["attachment"]["payload"]
    assert message["attachment"]["type"] == "template"
    assert payload["template_type"] == "generic"
    assert payload["elements"][0] == {
        "title": "Mug 1",
        "subtitle": "€1.00 · Stoneware, 350 ml",
        "image_url": "https://shop.example/img/1.jpg",
        "default_action": {"type": "web_url", "url": "https://shop.example/p/1"},
        "buttons": [
            {"type": "postback", "title": "Choose", "payload": "sku-1"},
            {"type": "web_url", "url": "https://shop.example/p/1", "title": "Ver"},
        ],
    }


def test_long_product_texts_are_cut_to_80() -> None:
    [message] = render(ProductCards((card(1, title="T" * 100, subtitle="S" * 100),)))
    element = message["attachment"]["payload"]["elements"][0]
    assert len(element["title"]) == 80 and element["title"].endswith("…")
    assert len(element["subtitle"]) == 80 and element["subtitle"].endswith("…")


def test_more_than_ten_products_are_several_carousels() -> None:
    messages = render(ProductCards(tuple(card(n) for n in range(1, 24))))
    sizes = [len(m["attachment"]["payload"]["elements"]) for m in messages]
    assert sizes == [10, 10, 3]
    titles = [e["title"] for m in messages for e in m["attachment"]["payload"]["elements"]]
    assert titles == [f"Mug {n}" for n in range(1, 24)]


# -- windows -------------------------------------------------------------------------------------
def test_inside_24_hours_replies_are_responses() -> None:
    [payload] = render_calls(TextReply("Hi"), ago=timedelta(hours=23))
    assert payload["messaging_type"] == "RESPONSE"
    assert "tag" not in payload


def test_a_human_agent_may_answer_for_seven_days_with_the_tag() -> None:
    [payload] = render_calls(
        TextReply("Sorry for the wait!"), ago=timedelta(days=6), human_agent=True
    )
    assert payload["messaging_type"] == "MESSAGE_TAG"
    assert payload["tag"] == "HUMAN_AGENT"
    assert payload["message"] == {"text": "Sorry for the wait!"}


@pytest.mark.parametrize(
    ("ago", "human_agent"),
    [(timedelta(hours=25), False), (timedelta(days=8), True), (None, True), (None, False)],
    ids=["bot after 24h", "agent after 7 days", "agent, never wrote", "bot, never wrote"],
)
def test_outside_the_window_nothing_is_sent(
    ago: timedelta | None, human_agent: bool, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="shopchat.adapters.messenger"):
        assert render_calls(TextReply("Hi"), ago=ago, human_agent=human_agent) == []
    assert "outside the 24-hour window" in caplog.text


def test_typing_and_seen_are_sender_actions() -> None:
    channel = MessengerChannel("secret")
    assert channel.typing(PSID) == OutboundCall(
        "messages",
        {"recipient": {"id": PSID}, "sender_action": "typing_on"},
        conversation_id=f"messenger:{PSID}",
    )
    assert channel.mark_seen(PSID).payload["sender_action"] == "mark_seen"


# -- whatever the reply, the limits hold ---------------------------------------------------------
labels = st.text(min_size=1, max_size=40).filter(lambda s: s.strip())
payload_text = st.text(min_size=1, max_size=1200)
products = st.lists(
    st.builds(
        ProductCard,
        id=st.text(min_size=1, max_size=8),
        title=st.text(max_size=120),
        subtitle=st.text(max_size=120),
        price=st.text(max_size=10),
        url=st.none() | st.just("https://shop.example/p"),
        button=st.none() | st.builds(Choice, label=labels, payload=payload_text),
    ),
    max_size=25,
)
replies = st.one_of(
    st.builds(
        TextReply,
        text=st.text(max_size=4500),
        choices=st.lists(st.builds(Choice, label=labels, payload=payload_text), max_size=15).map(
            tuple
        ),
    ),
    st.builds(ProductCards, cards=products.map(tuple)),
)


@given(reply=replies)
def test_every_rendered_message_is_within_messenger_limits(reply: Reply) -> None:
    for message in render(reply):
        if "text" in message:
            assert 0 < len(message["text"]) <= 2000
            quick = message.get("quick_replies", [])
            assert len(quick) <= 13
            for q in quick:
                assert 0 < len(q["title"]) <= 20
                assert 0 < len(q["payload"]) <= 1000
        else:
            elements = message["attachment"]["payload"]["elements"]
            assert 1 <= len(elements) <= 10
            for e in elements:
                assert 0 < len(e["title"]) <= 80
                assert len(e.get("subtitle", "")) <= 80
                assert len(e.get("buttons", [])) <= 3
                for b in e.get("buttons", []):
                    assert 0 < len(b["title"]) <= 20
                    assert len(b.get("payload", "")) <= 1000

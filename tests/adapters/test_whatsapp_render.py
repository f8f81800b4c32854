"""What a WhatsApp shopper receives: replies rendered within WhatsApp's limits."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.base import OutboundCall, RenderContext
from adapters.whatsapp import WhatsAppChannel
from flows import Choice, ImageReply, ProductCard, ProductCards, Reply, TextReply

NOW = datetime(2025, 6, 9, 12, 0, tzinfo=UTC)
TO = "16505551234"


def ctx(ago: timedelta | None = timedelta(minutes=5), locale: str = "en") -> RenderContext:
    return RenderContext(now=NOW, locale=locale, last_inbound_at=None if ago is None else NOW - ago)


def render(
    *replies: Reply, channel: WhatsAppChannel | None = None, **kw: Any
) -> list[dict[str, Any]]:
    channel = channel or WhatsAppChannel("secret", "106540352242922")
    calls = channel.render(TO, list(replies), ctx(**kw))
    for call in calls:
        assert call.method == "messages"
        assert call.conversation_id == f"whatsapp:{TO}"
        assert call.payload["messaging_product"] == "whatsapp"
        assert call.payload["recipient_type"] == "individual"
        assert call.payload["to"] == TO
    return [c.payload for c in calls]


def choices(*labels: str) -> tuple[Choice, ...]:
    return tuple(Choice(label=label, payload=f"p{n}") for n, label in enumerate(labels, 1))


def card(n: int, image: bool = True, **kw: Any) -> ProductCard:
    return ProductCard(
        id=f"sku-{n}",
        title=kw.pop("title", f"Mug {n}"),
        subtitle=kw.pop("subtitle", "Stoneware, 350 ml"),
        price=kw.pop("price", f"€{n}.00"),
        image_url=f"https://shop.example/img/{n}.jpg" if image else None,
        url=kw.pop("url", None),
        button=Choice(label="Choose", payload=f"sku-{n}"),
        **kw,
    )


# -- text -------------------------------------------------------------------------------------
def test_plain_text_goes_without_link_previews() -> None:
    [payload] = render(TextReply("Hello! How can I help?"))
    assert payload["type"] == "text"
    assert payload["text"] == {"body": "Hello! How can I help?", "preview_url": False}


def test_a_long_text_arrives_in_pieces_of_at_most_4096_cut_between_paragraphs() -> None:
    paragraphs = [f"Paragraph {n}: " + "lorem ipsum " * 60 for n in range(12)]
    payloads = render(TextReply("\n\n".join(p.strip() for p in paragraphs)))
    bodies = [p["text"]["body"] for p in payloads]
    assert len(bodies) > 1
    assert all(len(b) <= 4096 for b in bodies)
    assert all(b.startswith("Paragraph ") and b.endswith("ipsum") for b in bodies)
    assert sum(b.count("Paragraph ") for b in bodies) == 12


# -- choices ------------------------------------------------------------------------------------
def test_up_to_three_short_choices_are_reply_buttons() -> None:
    [payload] = render(TextReply("Which size?", choices("Small", "Medium", "Large")))
    interactive = payload["interactive"]
    assert payload["type"] == "interactive"
    assert interactive["type"] == "button"
    assert interactive["body"] == {"text": "Which size?"}
    assert interactive["action"]["buttons"] == [
        {"type": "reply", "reply": {"id": "p1", "title": "Small"}},
        {"type": "reply", "reply": {"id": "p2", "title": "Medium"}},
        {"type": "reply", "reply": {"id": "p3", "title": "Large"}},
    ]


def test_four_choices_become_a_list() -> None:
    [payload] = render(TextReply("Pick a colour", choices("Red", "Green", "Blue", "Black")))
    interactive = payload["interactive"]
    assert interactive["type"] == "list"
    assert interactive["body"] == {"text": "Pick a colour"}
    assert interactive["action"]["button"] == "Options"
    [section] = interactive["action"]["sections"]
    assert [r["id"] for r in section["rows"]] == ["p1", "p2", "p3", "p4"]
    assert [r["title"] for r in section["rows"]] == ["Red", "Green", "Blue", "Black"]


def test_the_list_button_speaks_the_shoppers_language() -> None:
    [payload] = render(TextReply("Wybierz kolor", choices(*"ABCD")), locale="pl")
    assert payload["interactive"]["action"]["button"] == "Opcje"
    channel = WhatsAppChannel("secret", list_button={"pl": "Wybierz"})
    [payload] = render(
        TextReply("Wybierz kolor", choices(*"ABCD")), channel=channel, locale="pl-PL"
    )
    assert payload["interactive"]["action"]["button"] == "Wybierz"


def test_ten_choices_fit_a_list_and_eleven_become_numbered_text() -> None:
    labels = [f"Option {n}" for n in range(1, 12)]
    [ten] = render(TextReply("Pick one", choices(*labels[:10])))
    assert len(ten["interactive"]["action"]["sections"][0]["rows"]) == 10
    [eleven] = render(TextReply("Pick one", choices(*labels)))
    assert eleven["type"] == "text"
    body = eleven["text"]["body"]
    assert body.startswith("Pick one\n\n1. Option 1\n2. Option 2\n")
    assert body.endswith("\n11. Option 11")


def test_a_label_too_long_for_a_button_moves_to_a_list_row_with_the_full_label_below() -> None:
    label = "Ceramic mug, speckled glaze, 350 ml"
    [payload] = render(TextReply("Which one?", choices("Plain mug", label)))
    interactive = payload["interactive"]
    assert interactive["type"] == "list"
    rows = interactive["action"]["sections"][0]["rows"]
    assert rows[0] == {"id": "p1", "title": "Plain mug"}
    assert rows[1]["title"] == "Ceramic mug, speckled g…"
    assert len(rows[1]["title"]) <= 24
    assert rows[1]["description"] == label


def test_a_very_long_label_is_cut_in_the_description_too() -> None:
    label = "An extraordinarily long option label " * 4
    [payload] = render(TextReply("Which one?", choices(*["a", "b", "c", label])))
    row = payload["interactive"]["action"]["sections"][0]["rows"][3]
    assert len(row["title"]) <= 24 and row["title"].endswith("…")
    assert len(row["description"]) <= 72 and row["description"].endswith("…")


def test_repeated_labels_cannot_be_buttons_but_can_be_list_rows() -> None:
    [payload] = render(TextReply("Which mug?", choices("Mug", "Mug")))
    assert payload["interactive"]["type"] == "list"


def test_a_question_longer_than_1024_characters_becomes_numbered_text() -> None:
    question = "Please read carefully. " * 50
    [payload] = render(TextReply(question, choices("Yes", "No")))
    assert payload["type"] == "text"
    assert payload["text"]["body"].endswith("\n\n1. Yes\n2. No")


def test_a_payload_too_long_for_button_ids_becomes_numbered_text() -> None:
    reply = TextReply("Go?", (Choice("Yes", "y" * 300), Choice("No", "n")))
    [payload] = render(reply)
    assert payload["type"] == "text"
    assert payload["text"]["body"] == "Go?\n\n1. Yes\n2. No"


# -- images and products -------------------------------------------------------------------------
def test_an_image_with_a_caption() -> None:
    [payload] = render(ImageReply("https://shop.example/map.png", "Our shop"))
    assert payload["type"] == "image"
    assert payload["image"] == {"link": "https://shop.example/map.png", "caption": "Our shop"}


def test_three_products_are_three_pictures_then_buttons_to_choose() -> None:
    payloads = render(ProductCards(tuple(card(n) for n in (1, 2, 3))))
    assert [p["type"] for p in payloads] == ["image", "image", "image", "interactive"]
    assert payloads[0]["image"] == {
        "link": "https://shop.example/img/1.jpg",
        "caption": "Mug 1\n€1.00\nStoneware, 350 ml",
    }
    chooser = payloads[-1]["interactive"]
    assert chooser["type"] == "button"
    assert chooser["body"] == {"text": "Choose"}
    assert [b["reply"] for b in chooser["action"]["buttons"]] == [
        {"id": "sku-1", "title": "Mug 1"},
        {"id": "sku-2", "title": "Mug 2"},
        {"id": "sku-3", "title": "Mug 3"},
    ]


def test_six_products_are_chosen_from_a_list_showing_their_prices() -> None:
    payloads = render(ProductCards(tuple(card(n) for n in range(1, 7))))
    assert [p["type"] for p in payloads] == ["image"] * 6 + ["interactive"]
    chooser = payloads[-1]["interactive"]
    assert chooser["type"] == "list"
    assert chooser["action"]["button"] == "Choose"
    rows = chooser["action"]["sections"][0]["rows"]
    assert rows[0] == {"id": "sku-1", "title": "Mug 1", "description": "€1.00 · Stoneware, 350 ml"}


def test_twelve_products_carry_numbers_and_end_in_numbered_text() -> None:
    payloads = render(ProductCards(tuple(card(n) for n in range(1, 13))))
    assert [p["type"] for p in payloads] == ["image"] * 12 + ["text"]
    assert payloads[11]["image"]["caption"].startswith("12. Mug 12\n")
    assert payloads[-1]["text"]["body"].splitlines()[-1] == "12. Mug 12"


def test_products_without_pictures_are_one_numbered_text() -> None:
    cards = (card(1, image=False, url="https://shop.example/p/1"), card(2, image=False))
    [payload] = render(ProductCards(cards))
    assert payload["type"] == "text"
    assert payload["text"]["body"] == (
        "1. Mug 1 — €1.00\nStoneware, 350 ml\nhttps://shop.example/p/1\n\n"
        "2. Mug 2 — €2.00\nStoneware, 350 ml"
    )


# -- the 24-hour window -------------------------------------------------------------------------
def test_inside_the_window_replies_are_sent() -> None:
    assert render(TextReply("Hi"), ago=timedelta(hours=23, minutes=59))


def test_outside_the_window_the_configured_template_is_sent_instead() -> None:
    channel = WhatsAppChannel("secret", window_template="reopen_chat", template_language="es")
    payloads = render(
        TextReply("Hi"), TextReply("Still there?"), channel=channel, ago=timedelta(hours=25)
    )
    assert payloads == [
        {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": TO,
            "type": "template",
            "template": {"name": "reopen_chat", "language": {"code": "es"}},
        }
    ]


@pytest.mark.parametrize("ago", [timedelta(hours=25), None], ids=["25h ago", "never wrote"])
def test_outside_the_window_without_a_template_nothing_is_sent(
    ago: timedelta | None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="shopchat.adapters.whatsapp"):
        assert render(TextReply("Hi"), ago=ago) == []
    assert "outside the 24-hour window" in caplog.text


def test_mark_read_also_shows_typing() -> None:
    call = WhatsAppChannel("secret").mark_read("wamid.abc")
    assert call == OutboundCall(
        "messages",
        {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": "wamid.abc",
            "typing_indicator": {"type": "text"},
        },
    )


# -- whatever the reply, the limits hold ---------------------------------------------------------
labels = st.text(min_size=1, max_size=40).filter(lambda s: s.strip())
payload_text = st.text(min_size=1, max_size=300)
choice_lists = st.lists(st.builds(Choice, label=labels, payload=payload_text), max_size=14)
products = st.lists(
    st.builds(
        ProductCard,
        id=st.text(min_size=1, max_size=8),
        title=st.text(max_size=60),
        subtitle=st.text(max_size=90),
        price=st.text(max_size=10),
        image_url=st.none() | st.just("https://shop.example/i.jpg"),
        button=st.none() | st.builds(Choice, label=labels, payload=payload_text),
    ),
    max_size=13,
)
replies = st.one_of(
    st.builds(TextReply, text=st.text(max_size=5000), choices=choice_lists.map(tuple)),
    st.builds(ProductCards, cards=products.map(tuple)),
)


@given(reply=replies)
def test_every_rendered_message_is_within_whatsapp_limits(reply: Reply) -> None:
    for payload in render(reply):
        if payload["type"] == "text":
            assert 0 < len(payload["text"]["body"]) <= 4096
        elif payload["type"] == "image":
            assert len(payload["image"].get("caption", "")) <= 1024
        else:
            interactive = payload["interactive"]
            assert 0 < len(interactive["body"]["text"]) <= 1024
            action = interactive["action"]
            if interactive["type"] == "button":
                buttons = action["buttons"]
                assert 1 <= len(buttons) <= 3
                assert len({b["reply"]["title"] for b in buttons}) == len(buttons)
                for b in buttons:
                    assert 0 < len(b["reply"]["title"]) <= 20
                    assert 0 < len(b["reply"]["id"]) <= 256
            else:
                assert 0 < len(action["button"]) <= 20
                rows = [r for s in action["sections"] for r in s["rows"]]
                assert 1 <= len(rows) <= 10
                assert len({r["id"] for r in rows}) == len(rows)
                for r in rows:
                    assert 0 < len(r["title"]) <= 24
                    assert 0 < len(r["id"]) <= 200
                    assert len(r.get("description", "")) <= 72

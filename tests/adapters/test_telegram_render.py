"""Telegram calls out: what the shopper sees, within Telegram's limits.

Every call a test renders is checked against the Bot API spec (``assert_valid_calls``).
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from typing import Any, Protocol

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.base import OutboundCall, PayloadMap, RenderContext
from adapters.telegram import (
    UPDATE_TYPES,
    CallbackDataTooLong,
    TelegramChannel,
    split_text,
    utf16_len,
)
from flows import (
    Choice,
    ChoiceInput,
    ImageReply,
    ProductCard,
    ProductCards,
    Reply,
    TextReply,
)
from tests.adapters.test_telegram_inbound import SECRET, FakePayloadMap, make_update, make_user
from tests.adapters.test_telegram_oracle import BotApiSpec, assert_valid_calls, require_spec

CHAT = "123456789"


class Render(Protocol):
    def __call__(
        self,
        *replies: Reply,
        payloads: PayloadMap | None = None,
        channel: TelegramChannel | None = None,
        recipient: str = CHAT,
    ) -> list[OutboundCall]: ...


@pytest.fixture
def bot_api() -> BotApiSpec:
    return require_spec()


@pytest.fixture
def render(bot_api: BotApiSpec) -> Render:
    """Render through a TelegramChannel and check every call against the Bot API spec."""

    def _render(
        *replies: Reply,
        payloads: PayloadMap | None = None,
        channel: TelegramChannel | None = None,
        recipient: str = CHAT,
    ) -> list[OutboundCall]:
        ctx = RenderContext(now=datetime(2026, 6, 9, tzinfo=UTC), payloads=payloads)
        calls = (channel or TelegramChannel(SECRET)).render(recipient, list(replies), ctx)
        assert_valid_calls(bot_api, calls)
        return calls

    return _render


def visible(call: OutboundCall) -> str:
    """The text a shopper sees: HTML entities decoded, tags removed."""
    text = call.payload.get("text", call.payload.get("caption", ""))
    for tag in ("<b>", "</b>"):
        text = text.replace(tag, "")
    return html.unescape(text)


def keyboard(call: OutboundCall) -> list[list[dict[str, str]]]:
    rows: list[list[dict[str, str]]] = call.payload["reply_markup"]["inline_keyboard"]
    return rows


def press(channel: TelegramChannel, callback_data: str) -> Any:
    """The event Telegram's callback_query for a pressed button parses into."""
    query = {"id": "1", "from": make_user(1), "chat_instance": "1", "data": callback_data}
    [inbound] = channel.parse(make_update(99, callback_query=query))
    return inbound.event


# Text


def test_text_is_sent_as_html_to_the_chat(render: Render) -> None:
    [call] = render(TextReply(text="Welcome to the shop!"))
    assert call.method == "sendMessage"
    assert call.payload == {
        "chat_id": 123456789,
        "text": "Welcome to the shop!",
        "parse_mode": "HTML",
    }
    assert call.conversation_id == "telegram:123456789"


def test_markup_typed_by_a_merchant_shows_literally(render: Render) -> None:
    [call] = render(TextReply(text="<b>50% off</b> vases & <i>bowls</i> > 3 items"))
    assert call.payload["text"] == (
        "&lt;b&gt;50% off&lt;/b&gt; vases &amp; &lt;i&gt;bowls&lt;/i&gt; &gt; 3 items"
    )
    assert visible(call) == "<b>50% off</b> vases & <i>bowls</i> > 3 items"


def test_a_10000_character_text_arrives_in_order_split_between_paragraphs(render: Render) -> None:
    paragraphs = [f"Paragraph {n}: " + "lovely ceramic vase " * 24 for n in range(20)]
    text = "\n\n".join(p.strip() for p in paragraphs)
    assert len(text) > 9_500
    choices = (Choice("Buy", "buy"), Choice("More", "more"))
    calls = render(TextReply(text=text, choices=choices))
    assert len(calls) == 3
    assert all(len(visible(call)) <= 4096 for call in calls)
    assert "\n\n".join(visible(call) for call in calls) == text  # cut only between paragraphs
    assert all("reply_markup" not in call.payload for call in calls[:-1])
    assert [row[0]["text"] for row in keyboard(calls[-1])] == ["Buy", "More"]


def test_a_long_single_paragraph_is_split_between_words(render: Render) -> None:
    words = [f"word{n}" for n in range(2000)]
    calls = render(TextReply(text=" ".join(words)))
    assert len(calls) > 1
    assert all(len(visible(call)) <= 4096 for call in calls)
    assert [w for call in calls for w in visible(call).split()] == words


def test_only_a_word_longer_than_a_message_is_broken(render: Render) -> None:
    calls = render(TextReply(text="see: " + "x" * 5000))
    assert [len(visible(call)) for call in calls] == [4, 4096, 904]


def test_escaping_does_not_count_against_the_limit(render: Render) -> None:
    # "&" becomes "&amp;" on the wire, but Telegram counts the text after entity parsing.
    [call] = render(TextReply(text="&" * 4000))
    assert len(call.payload["text"]) == 20_000
    assert visible(call) == "&" * 4000


def test_emoji_count_double_so_an_emoji_heavy_text_never_overflows(render: Render) -> None:
    calls = render(TextReply(text=" ".join(["🎁🎁"] * 1500)))
    assert len(calls) == 2
    assert all(utf16_len(visible(call)) <= 4096 for call in calls)


def test_an_empty_text_says_nothing(render: Render) -> None:
    assert render(TextReply(text="  \n ")) == []


def test_buttons_without_words_still_get_a_message_to_sit_on(render: Render) -> None:
    [call] = render(TextReply(text="", choices=(Choice("OK", "ok"),)))
    assert call.payload["text"].strip()
    assert keyboard(call) == [[{"text": "OK", "callback_data": "ok"}]]


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from("ab 😀\n"), max_size=200),
    st.integers(min_value=2, max_value=40),
)
def test_split_text_keeps_every_word_and_respects_the_limit(text: str, limit: int) -> None:
    chunks = split_text(text, limit)
    assert all(chunk and chunk == chunk.strip() for chunk in chunks)
    assert all(utf16_len(chunk) <= limit for chunk in chunks)
    if all(utf16_len(word) <= limit for word in text.split()):
        assert [w for chunk in chunks for w in chunk.split()] == text.split()
    else:
        assert "".join(chunks).replace(" ", "").replace("\n", "") == "".join(text.split())


# Choices and callback_data


def test_each_choice_is_a_button_on_its_own_row(render: Render) -> None:
    [call] = render(
        TextReply(text="Pick one", choices=(Choice("Vases", "c:v"), Choice("Candles", "c:c")))
    )
    assert keyboard(call) == [
        [{"text": "Vases", "callback_data": "c:v"}],
        [{"text": "Candles", "callback_data": "c:c"}],
    ]


def test_a_100_byte_payload_goes_through_the_payload_map_and_comes_back(render: Render) -> None:
    payloads = FakePayloadMap()
    long_payload = "add_to_cart:" + "vase-handmade-blue-glaze-" * 4 + "x" * 8
    assert len(long_payload.encode()) == 120
    [call] = render(
        TextReply(text="Add?", choices=(Choice("Add", long_payload),)), payloads=payloads
    )
    token = keyboard(call)[0][0]["callback_data"]
    assert token != long_payload
    assert len(token.encode()) <= 64
    assert press(TelegramChannel(SECRET, payloads=payloads), token) == ChoiceInput(
        payload=long_payload
    )


def test_the_channels_own_payload_map_serves_when_the_context_brings_none(render: Render) -> None:
    payloads = FakePayloadMap()
    channel = TelegramChannel(SECRET, payloads=payloads)
    [call] = render(TextReply(text="Add?", choices=(Choice("Add", "p" * 65),)), channel=channel)
    assert press(channel, keyboard(call)[0][0]["callback_data"]) == ChoiceInput(payload="p" * 65)


@pytest.mark.parametrize(
    ("payload", "fits"),
    [
        ("س" * 32, True),  # 32 characters, 64 bytes
        ("س" * 33, False),  # 33 characters, 66 bytes: over, though far under 64 characters
        ("🎁" * 16, True),  # 16 characters, 64 bytes
        ("🎁" * 17, False),  # 68 bytes
        ("افزودن-به-سبد:گلدان-🎁", True),  # 21 characters, 44 bytes
        ("x" * 64, True),
        ("x" * 65, False),
    ],
)
def test_callback_data_is_measured_in_utf8_bytes_not_characters(
    render: Render, payload: str, fits: bool
) -> None:
    payloads = FakePayloadMap()
    [call] = render(TextReply(text="?", choices=(Choice("Go", payload),)), payloads=payloads)
    data = keyboard(call)[0][0]["callback_data"]
    assert (data == payload) is fits
    assert len(data.encode()) <= 64
    assert press(TelegramChannel(SECRET, payloads=payloads), data) == ChoiceInput(payload=payload)


def test_a_long_payload_without_a_payload_map_is_a_clear_error() -> None:
    reply = TextReply(text="?", choices=(Choice("Add the blue vase", "z" * 100),))
    ctx = RenderContext(now=datetime(2026, 6, 9, tzinfo=UTC))
    with pytest.raises(CallbackDataTooLong) as error:
        TelegramChannel(SECRET).render(CHAT, [reply], ctx)
    message = str(error.value)
    assert "'Add the blue vase'" in message
    assert "100 bytes" in message
    assert "PayloadMap" in message


def test_a_payload_map_returning_long_tokens_is_a_clear_error() -> None:
    class Wordy:
        def shorten(self, payload: str) -> str:
            return payload + "!"

        def expand(self, token: str) -> str | None:
            return None

    ctx = RenderContext(now=datetime(2026, 6, 9, tzinfo=UTC), payloads=Wordy())
    with pytest.raises(CallbackDataTooLong, match="token of 101 bytes"):
        TelegramChannel(SECRET).render(
            CHAT, [TextReply(text="?", choices=(Choice("A", "z" * 100),))], ctx
        )


# Product cards and images


VASE = ProductCard(
    id="vase-1",
    title="Blue <glazed> vase",
    subtitle="Handmade in Isfahan & fired twice",
    price="€45.90",
    image_url="https://shop.example/img/vase-1.jpg",
    url="https://shop.example/p/vase-1",
    button=Choice("Add to cart", "add:vase-1"),
)


def test_a_product_card_is_a_photo_with_bold_title_price_and_buttons(render: Render) -> None:
    [call] = render(ProductCards(cards=(VASE,)))
    assert call.method == "sendPhoto"
    assert call.payload["photo"] == "https://shop.example/img/vase-1.jpg"
    assert call.payload["parse_mode"] == "HTML"
    assert call.payload["caption"] == (
        "<b>Blue &lt;glazed&gt; vase</b>\n€45.90\nHandmade in Isfahan &amp; fired twice"
    )
    assert keyboard(call) == [
        [{"text": "Add to cart", "callback_data": "add:vase-1"}],
        [{"text": "🔗 Blue <glazed> vase", "url": "https://shop.example/p/vase-1"}],
    ]


def test_each_card_is_its_own_photo_in_order(render: Render) -> None:
    cards = tuple(
        ProductCard(
            id=f"p{n}", title=f"Bowl {n}", price="€9", image_url=f"https://s.example/{n}.jpg"
        )
        for n in range(6)
    )
    calls = render(ProductCards(cards=cards))
    assert [call.payload["photo"] for call in calls] == [
        f"https://s.example/{n}.jpg" for n in range(6)
    ]
    assert all("reply_markup" not in call.payload for call in calls)


def test_a_card_without_a_picture_is_the_same_text_as_a_message(render: Render) -> None:
    card = ProductCard(id="gift", title="Gift card", price="€25", button=Choice("Buy", "buy:gift"))
    [call] = render(ProductCards(cards=(card,)))
    assert call.method == "sendMessage"
    assert call.payload["text"] == "<b>Gift card</b>\n€25"
    assert call.payload["parse_mode"] == "HTML"
    assert keyboard(call) == [[{"text": "Buy", "callback_data": "buy:gift"}]]


def test_a_long_description_is_shortened_to_fit_the_caption(render: Render) -> None:
    card = ProductCard(
        id="v",
        title="Tall vase",
        price="€120",
        subtitle="Glazed by hand. " * 100,
        image_url="https://s.example/v.jpg",
    )
    [call] = render(ProductCards(cards=(card,)))
    shown = visible(call)
    assert utf16_len(shown) <= 1024
    assert shown.startswith("Tall vase\n€120\nGlazed by hand.")
    assert shown.endswith("…")


def test_an_image_is_sent_as_a_photo_with_its_caption(render: Render) -> None:
    [call] = render(ImageReply(url="https://s.example/size-chart.png", caption="Sizes <cm>"))
    assert call.method == "sendPhoto"
    assert call.payload == {
        "chat_id": 123456789,
        "photo": "https://s.example/size-chart.png",
        "caption": "Sizes &lt;cm&gt;",
        "parse_mode": "HTML",
    }


def test_an_image_caption_too_long_for_a_photo_follows_it_as_text(render: Render) -> None:
    caption = "How to care for your vase. " * 60
    photo, *texts = render(ImageReply(url="https://s.example/care.png", caption=caption))
    assert photo.method == "sendPhoto"
    assert "caption" not in photo.payload
    assert [call.method for call in texts] == ["sendMessage"]
    assert visible(texts[0]) == caption.strip()


def test_replies_render_in_the_order_the_flow_gave_them(render: Render) -> None:
    calls = render(
        TextReply(text="Our best sellers:"),
        ProductCards(cards=(VASE,)),
        TextReply(text="Anything else?", choices=(Choice("No", "no"),)),
    )
    assert [call.method for call in calls] == ["sendMessage", "sendPhoto", "sendMessage"]


def test_a_channel_username_recipient_stays_a_string(render: Render) -> None:
    [call] = render(TextReply(text="New stock!"), recipient="@ceramics_shop")
    assert call.payload["chat_id"] == "@ceramics_shop"


# Helpers


def test_typing_and_answers_are_well_formed_calls(bot_api: BotApiSpec) -> None:
    channel = TelegramChannel(SECRET)
    calls = [
        channel.typing(CHAT),
        channel.answer_callback("530209584313337025"),
        channel.answer_pre_checkout("530209586120904177", True),
        channel.answer_pre_checkout("530209586120904177", False, "Sold out, sorry."),
    ]
    assert_valid_calls(bot_api, calls)
    assert calls[0].payload == {"chat_id": 123456789, "action": "typing"}
    assert calls[1].payload == {"callback_query_id": "530209584313337025"}
    assert calls[2].payload == {"pre_checkout_query_id": "530209586120904177", "ok": True}
    assert calls[3].payload["error_message"] == "Sold out, sorry."


def test_refusing_a_checkout_needs_a_reason_for_the_shopper() -> None:
    with pytest.raises(ValueError, match="error_message"):
        TelegramChannel(SECRET).answer_pre_checkout("1", False)


def test_set_webhook_subscribes_to_the_updates_the_adapter_reads(bot_api: BotApiSpec) -> None:
    call = TelegramChannel(SECRET).set_webhook("https://shop.example/webhooks/telegram", SECRET)
    assert_valid_calls(bot_api, [call])
    assert call.method == "setWebhook"
    assert call.payload["secret_token"] == SECRET
    assert call.payload["allowed_updates"] == list(UPDATE_TYPES)
    assert "drop_pending_updates" not in call.payload
    json.dumps(call.payload)  # it must survive the outbox


def test_set_webhook_can_drop_the_backlog_and_narrow_the_updates(bot_api: BotApiSpec) -> None:
    call = TelegramChannel(SECRET).set_webhook(
        "https://shop.example/webhooks/telegram", SECRET, ["message"], drop_pending_updates=True
    )
    assert_valid_calls(bot_api, [call])
    assert call.payload["allowed_updates"] == ["message"]
    assert call.payload["drop_pending_updates"] is True


def test_set_webhook_refuses_a_secret_telegram_would_refuse() -> None:
    with pytest.raises(ValueError, match="1-256"):
        TelegramChannel(SECRET).set_webhook("https://shop.example/hook", "not valid!")

"""The example shop on every channel: the gift finder reads the same on Telegram, WhatsApp,
Messenger and the web chat, and what a channel cannot show degrades readably.

Each test runs the real app over ``examples/shop`` with a recording fake of the platform APIs
(see ``tests/support/channels.py``): shoppers send real-format webhooks or web chat frames, and
the assertions read what the bot's API calls put on the shopper's screen.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from adapters.telegram.text import utf16_len
from bot.app import create_app
from tests.support.channels import Platform, Shop, Shopper, Turn, shop_settings

SHOP = Path(__file__).parents[1] / "examples" / "shop"
CATALOG = {
    p["id"]: p
    for p in map(json.loads, (SHOP / "catalog.jsonl").read_text(encoding="utf-8").splitlines())
}
NBSP = "\u00a0"  # babel writes "200,00 zł" with a no-break space


@pytest.fixture
def shop(tmp_path):
    platform = Platform()
    app = create_app(
        SHOP,
        shop_settings(tmp_path),
        transport=httpx.MockTransport(platform.handler),
        typing_delay=60,  # no "typing…" calls in the way
    )
    with TestClient(app) as client, contextlib.ExitStack() as sockets:
        yield Shop(client, platform, sockets)


# -- the walk ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Words:
    """What the shopper types and what the gift finder says back, in one language."""

    hello: str
    welcome: str
    menu: str
    topics: list[str]
    who: str
    recipients: list[str]
    age: str
    budget: str
    interests: str
    interest_labels: list[str]
    ideas: str
    gift: str  # a LEGO set for an 8-year-old within 200 zł...
    gift_price: str
    too_dear: str  # ...and one over that budget, never suggested
    confirmation: str
    rated: str  # the demo's reviews.xml rates the fire station
    after: str
    after_labels: list[str]


EN = Words(
    hello="hi",
    welcome="Welcome to Toy & Gift Shop 🎁",
    menu="What can I do for you today?",
    topics=["Find a gift", "Track an order", "Payment help", "Talk to a person"],
    who="Who is the gift for?",
    recipients=["A child", "A teenager", "An adult"],
    age="How old are they?",
    budget="What's your budget? Send an amount in złoty, like 150.",
    interests="What are they into?",
    interest_labels=[
        "LEGO",
        "Books",
        "Science",
        "Arts & crafts",
        "Music",
        "Outdoors",
        "Animals",
        "Cooking",
        "Tech & gadgets",
        "Surprise me!",
    ],
    ideas="Here are some ideas for up to PLN\xa0200.00. Tap the one you like!",
    gift="Fire Station Building Bricks Set",
    gift_price="PLN\xa0189.99",
    too_dear="Space Shuttle Building Bricks Set",
    confirmation="Great choice! Fire Station Building Bricks Set costs PLN\xa0189.99.",
    rated="Shoppers rate it ★ 4.4 (5).",
    after="What would you like to do now?",
    after_labels=["Add to cart", "What do others say?", "Other ideas", "New search", "Main menu"],
)

PL = Words(
    hello="cześć",
    welcome="Witaj w sklepie Toy & Gift Shop 🎁",
    menu="W czym mogę dziś pomóc?",
    topics=["Znajdź prezent", "Śledź zamówienie", "Pomoc z płatnością", "Porozmawiaj z nami"],
    who="Dla kogo jest prezent?",
    recipients=["Dla dziecka", "Dla nastolatka", "Dla dorosłego"],
    age="Ile ma lat?",
    budget="Jaki masz budżet? Podaj kwotę w złotych, np. 150.",
    interests="Czym się interesuje?",
    interest_labels=[
        "LEGO",
        "Książki",
        "Nauka",
        "Sztuka i rękodzieło",
        "Muzyka",
        "Na świeżym powietrzu",
        "Zwierzęta",
        "Gotowanie",
        "Technika i gadżety",
        "Zaskocz mnie!",
    ],
    ideas=f"Oto kilka pomysłów do 200,00{NBSP}zł. Wybierz ten, który Ci się podoba!",
    gift="Klocki Remiza strażacka",
    gift_price=f"189,99{NBSP}zł",
    too_dear="Klocki Prom kosmiczny",
    confirmation=f"Świetny wybór! Klocki Remiza strażacka – cena: 189,99{NBSP}zł.",
    rated="Kupujący oceniają go na ★ 4,4 (5).",
    after="Co chcesz teraz zrobić?",
    after_labels=[
        "Dodaj do koszyka",
        "Co mówią inni?",
        "Inne pomysły",
        "Nowe wyszukiwanie",
        "Menu główne",
    ],
)


@dataclass(frozen=True)
class Walk:
    menu: Turn
    who: Turn
    age: Turn
    budget: Turn
    interests: Turn
    ideas: Turn
    done: Turn


def walk(shopper: Shopper, words: Words) -> Walk:
    """Greeting -> Find a gift -> a child -> 8 -> 200 zł -> LEGO -> the fire station set."""
    menu = shopper.say(words.hello)
    assert words.welcome in menu.texts[0]
    assert menu.texts[-1] == words.menu
    assert menu.labels == words.topics

    who = shopper.press(words.topics[0])
    assert who.texts == [words.who]
    assert who.labels == words.recipients

    age = shopper.press(words.recipients[0])
    assert age.texts == [words.age]
    assert age.options == []  # a number is typed

    budget = shopper.say("8")
    assert budget.texts == [words.budget]

    interests = shopper.say("200")
    assert interests.texts == [words.interests]
    assert interests.labels == words.interest_labels

    ideas = shopper.press("LEGO")
    assert ideas.texts[0] == words.ideas
    assert words.gift_price in ideas.card(words.gift).text
    assert words.too_dear not in ideas.said
    assert all(card.choose is not None for card in ideas.cards), "every gift can be picked"

    done = shopper.pick(words.gift)
    assert done.texts == [words.confirmation, words.rated, words.after]
    assert done.labels == words.after_labels
    return Walk(menu, who, age, budget, interests, ideas, done)


CHANNELS = ["telegram", "whatsapp", "messenger", "web", "instagram", "line", "wire"]


@pytest.mark.parametrize(
    ("channel", "options", "words"),
    [
        *[pytest.param(channel, {}, EN, id=f"{channel}-en") for channel in CHANNELS],
        pytest.param("telegram", {"language_code": "pl"}, PL, id="telegram-pl"),
        pytest.param("web", {"locale": "pl"}, PL, id="web-pl"),
    ],
)
def test_a_shopper_finds_a_gift_end_to_end(shop, channel, options, words):
    walk(shop.shopper(channel, **options), words)


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_shopper_who_types_option_numbers_gets_those_options(shop, channel):
    shopper = shop.shopper(channel)
    shopper.say("hi")
    assert shopper.say("1").texts == [EN.who]  # 1. Find a gift
    assert shopper.say("1").texts == [EN.age]  # 1. A child
    assert shopper.say("8").texts == [EN.budget]  # 8 fits only "A child": 1 took it
    assert shopper.say("200").texts == [EN.interests]
    ideas = shopper.say("1")  # 1. LEGO
    assert ideas.texts[0] == EN.ideas
    assert EN.gift in [card.title for card in ideas.cards]
    second = ideas.cards[1]
    done = shopper.say("2")
    assert done.texts[0].startswith(f"Great choice! {second.title} costs ")
    price = done.texts[0].removeprefix(f"Great choice! {second.title} costs ").rstrip(".")
    assert price in second.text  # the price the card showed
    assert done.labels == EN.after_labels


# -- Telegram ------------------------------------------------------------------------------


def test_telegram_shows_inline_buttons_and_each_gift_as_a_photo_with_its_price(shop):
    shopper = shop.telegram()
    w = walk(shopper, EN)

    greeting, question = w.menu.bodies("sendMessage")
    assert "reply_markup" not in greeting
    keyboard = question["reply_markup"]["inline_keyboard"]
    assert [[button["text"] for button in row] for row in keyboard] == [[t] for t in EN.topics]

    # Every tap stops the button's spinner before the answer comes.
    for turn in (w.who, w.age, w.ideas, w.done):
        assert turn.methods[0] == "answerCallbackQuery"

    photos = w.ideas.bodies("sendPhoto")
    assert len(photos) == len(w.ideas.cards) >= 2
    assert w.ideas.methods == ["answerCallbackQuery", "sendMessage"] + ["sendPhoto"] * len(photos)
    fire = CATALOG["bw-fire-station"]
    [photo] = [p for p in photos if p["caption"].startswith(f"<b>{EN.gift}</b>\n")]
    assert photo["photo"] == fire["image"]
    assert photo["caption"].split("\n")[1] == EN.gift_price
    assert photo["reply_markup"]["inline_keyboard"] == [
        [{"text": "Choose", "callback_data": "bw-fire-station"}],
        [{"text": f"🔗 {EN.gift}", "url": fire["url"]}],
    ]
    assert all(utf16_len(card.text) <= 1024 for card in w.ideas.cards)  # caption limit

    # Telegram refuses callback_data over 64 bytes: every button must fit or nothing is shown.
    for turn in (w.menu, w.who, w.interests, w.ideas, w.done):
        for body in turn.calls:
            for row in body.get("reply_markup", {}).get("inline_keyboard", []):
                for button in row:
                    assert "url" in button or 1 <= len(button["callback_data"].encode()) <= 64


# -- WhatsApp ------------------------------------------------------------------------------

# Cloud API limits; a message over any of them is refused and the shopper sees nothing.
WA_BUTTONS, WA_BUTTON_TITLE, WA_BODY = 3, 20, 1024
WA_ROWS, WA_ROW_TITLE, WA_ROW_DESCRIPTION, WA_LIST_BUTTON = 10, 24, 72, 20


def whatsapp_interactive(turn: Turn) -> dict:
    [body] = [b for b in turn.calls if b["type"] == "interactive"]
    return body["interactive"]


def assert_whatsapp_limits(turn: Turn) -> None:
    for body in turn.calls:
        if body["type"] != "interactive":
            continue
        interactive = body["interactive"]
        assert 0 < len(interactive["body"]["text"]) <= WA_BODY
        action = interactive["action"]
        if interactive["type"] == "button":
            titles = [b["reply"]["title"] for b in action["buttons"]]
            assert 0 < len(titles) <= WA_BUTTONS
            assert all(0 < len(t) <= WA_BUTTON_TITLE for t in titles), titles
        else:
            assert 0 < len(action["button"]) <= WA_LIST_BUTTON
            rows = [r for section in action["sections"] for r in section["rows"]]
            assert 0 < len(rows) <= WA_ROWS
            assert all(0 < len(r["title"]) <= WA_ROW_TITLE for r in rows), rows
            assert all(len(r.get("description", "")) <= WA_ROW_DESCRIPTION for r in rows), rows


def test_whatsapp_uses_buttons_for_three_choices_a_list_for_more_and_pictures_for_gifts(shop):
    w = walk(shop.whatsapp(), EN)
    for turn in (w.menu, w.who, w.interests, w.ideas, w.done):
        assert_whatsapp_limits(turn)

    assert whatsapp_interactive(w.who)["type"] == "button"  # 3 recipients
    assert whatsapp_interactive(w.done)["type"] == "list"  # 4 ways on
    menu = whatsapp_interactive(w.menu)  # 4 topics
    assert menu["type"] == "list" and menu["action"]["button"] == "Options"
    assert whatsapp_interactive(w.interests)["type"] == "list"  # 10 interests, one list

    # Pictures cannot be tapped: one picture per gift, titled and priced, then a list to pick.
    images = [b["image"] for b in w.ideas.calls if b["type"] == "image"]
    assert [i["link"] for i in images] == [CATALOG[o.payload]["image"] for o in w.ideas.options]
    assert w.ideas.calls[-1]["type"] == "interactive"
    [fire] = [i for i in images if i["caption"].startswith(f"{EN.gift}\n")]
    assert fire["caption"].split("\n")[1] == EN.gift_price
    for card, row in zip(w.ideas.cards, w.ideas.options, strict=True):
        # A row title cut to fit still begins the gift's title and ends with "…", and its
        # description then names the whole gift before the price the picture showed;
        # an uncut row's description starts with that price.
        assert card.choose == row
        price = card.text.split("\n")[1]
        if row.label == card.title:
            assert row.press["description"].startswith(f"{price} · ")
        else:
            assert row.label.endswith("…") and card.title.startswith(row.label[:-1])
            assert row.press["description"] == f"{card.title} · {price}"
    assert "Fire Station Building B…" in w.ideas.labels


def switch_to(shopper: Shopper, language: str, changed: str) -> Turn:
    assert shopper.say("language").labels == ["English", "Polski", "Español", "Русский", "فارسی"]
    turn = shopper.press(language)
    assert turn.texts[0] == changed
    return turn


@pytest.mark.parametrize("channel", ["whatsapp", "messenger"])
def test_without_a_language_hint_the_shop_answers_in_the_language_the_shopper_writes(shop, channel):
    shopper = shop.shopper(channel)
    menu = shopper.say("Dzień dobry!")  # the platform says no language; the text does
    assert menu.texts[-1] == PL.menu and menu.labels == PL.topics
    w = walk(shopper, PL)
    # The channel's own words follow the language too.
    if channel == "whatsapp":
        assert whatsapp_interactive(w.interests)["action"]["button"] == "Opcje"
        assert whatsapp_interactive(w.ideas)["action"]["button"] == "Wybieram"
    else:
        [carousel] = [b for b in w.ideas.calls if "attachment" in b["message"]]
        elements = carousel["message"]["attachment"]["payload"]["elements"]
        assert {b["title"] for e in elements for b in e["buttons"]} == {"Wybieram", "Zobacz"}


def test_whatsapp_product_rows_tell_apart_gifts_whose_titles_begin_alike(shop):
    shopper = shop.whatsapp()
    switch_to(shopper, "Español", "Listo, te escribiré en español.")
    shopper.say("regalo")
    shopper.press("Para un niño o niña")
    shopper.say("9")
    shopper.say("300")
    ideas = shopper.press("LEGO")
    shuttle = "Bloques de construcción Transbordador espacial"
    assert {"Bloques de construcción Estación de bomberos", shuttle} <= {
        c.title for c in ideas.cards
    }
    unnamed = [card.title for card in ideas.cards if card.choose is None]
    assert unnamed == [], f"no row of {ideas.labels} names {unnamed}"
    assert shopper.pick(shuttle).texts[0].startswith(f"¡Buena elección! {shuttle}, por 249,99")


# -- Messenger -----------------------------------------------------------------------------

FB_QUICK_REPLIES, FB_QUICK_REPLY_TITLE = 13, 20
FB_ELEMENTS, FB_ELEMENT_TITLE, FB_ELEMENT_SUBTITLE, FB_BUTTON_TITLE = 10, 80, 80, 20


def test_messenger_offers_quick_replies_and_shows_gifts_in_a_carousel(shop):
    w = walk(shop.messenger(), EN)
    for turn in (w.menu, w.who, w.interests, w.done):
        quick = [
            b["message"]["quick_replies"] for b in turn.calls if "quick_replies" in b["message"]
        ]
        [replies] = quick  # on the question, not on the greeting before it
        assert 0 < len(replies) <= FB_QUICK_REPLIES
        assert all(0 < len(q["title"]) <= FB_QUICK_REPLY_TITLE for q in replies), replies
    assert len(w.interests.options) == 10  # all ten interests, tappable

    text, carousel = w.ideas.calls
    assert text["message"] == {"text": EN.ideas}
    template = carousel["message"]["attachment"]["payload"]
    assert template["template_type"] == "generic"
    elements = template["elements"]
    assert 2 <= len(elements) <= FB_ELEMENTS
    for element in elements:
        assert 0 < len(element["title"]) <= FB_ELEMENT_TITLE
        assert len(element["subtitle"]) <= FB_ELEMENT_SUBTITLE
        assert all(0 < len(b["title"]) <= FB_BUTTON_TITLE for b in element["buttons"])
    [fire] = [e for e in elements if e["title"] == EN.gift]
    product = CATALOG["bw-fire-station"]
    assert fire["image_url"] == product["image"]
    assert fire["subtitle"].startswith(f"{EN.gift_price} · ")
    assert fire["buttons"] == [
        {"type": "postback", "title": "Choose", "payload": "bw-fire-station"},
        {"type": "web_url", "url": product["url"], "title": "View"},
    ]


# -- the web chat --------------------------------------------------------------------------


def test_web_chat_sends_text_frames_with_choices_and_a_products_frame(shop):
    w = walk(shop.web(), EN)
    assert w.menu.calls[-1] == {
        "type": "text",
        "text": EN.menu,
        "choices": [
            {"label": "Find a gift", "payload": "gift"},
            {"label": "Track an order", "payload": "track"},
            {"label": "Payment help", "payload": "payment"},
            {"label": "Talk to a person", "payload": "person"},
        ],
        "locale": "en",  # the page follows the shopper's language
    }
    text, products = w.ideas.calls
    assert text == {"type": "text", "text": EN.ideas, "choices": [], "locale": "en"}
    assert products["type"] == "products"
    [fire] = [c for c in products["cards"] if c["title"] == EN.gift]
    product = CATALOG["bw-fire-station"]
    assert fire["price"] == EN.gift_price
    assert (fire["image_url"], fire["url"]) == (product["image"], product["url"])
    assert fire["button"] == {"label": "Choose", "payload": "bw-fire-station"}


# -- Instagram, LINE and Wire ------------------------------------------------------------------


def test_instagram_uses_quick_replies_and_a_carousel_within_instagrams_limits(shop):
    w = walk(shop.instagram(), EN)
    for turn in (w.menu, w.who, w.age, w.budget, w.interests, w.ideas, w.done):
        for body in turn.calls:
            message = body["message"]
            if "text" in message:
                assert 0 < len(message["text"].encode()) <= 1000
            replies = message.get("quick_replies", [])
            assert len(replies) <= FB_QUICK_REPLIES
            assert all(0 < len(q["title"]) <= FB_QUICK_REPLY_TITLE for q in replies)
    [carousel] = [b for b in w.ideas.calls if "attachment" in b["message"]]
    payload = carousel["message"]["attachment"]["payload"]
    assert payload["template_type"] == "generic" and "image_aspect_ratio" not in payload
    assert 2 <= len(payload["elements"]) <= FB_ELEMENTS
    [fire] = [e for e in payload["elements"] if e["title"] == EN.gift]
    assert fire["image_url"] == CATALOG["bw-fire-station"]["image"]


LINE_PER_CALL, LINE_QUICK, LINE_LABEL, LINE_TEXT, LINE_BUBBLES = 5, 13, 20, 5000, 12


def test_line_answers_each_turn_with_its_reply_token_and_shows_gifts_in_a_flex_carousel(shop):
    w = walk(shop.line(), EN)
    for turn in (w.menu, w.who, w.age, w.budget, w.interests, w.ideas, w.done):
        assert turn.methods[0] == "reply"  # answered within the reply token's minute
        assert turn.calls[0]["replyToken"].startswith("reply-token-")
        for body in turn.calls:
            assert 1 <= len(body["messages"]) <= LINE_PER_CALL
            for message in body["messages"]:
                if message["type"] == "text":
                    assert 0 < len(message["text"]) <= LINE_TEXT
                items = message.get("quickReply", {}).get("items", [])
                assert len(items) <= LINE_QUICK
                assert all(0 < len(i["action"]["label"]) <= LINE_LABEL for i in items)
    assert len(w.interests.options) == 10
    [flex] = [m for b in w.ideas.calls for m in b["messages"] if m["type"] == "flex"]
    bubbles = flex["contents"]["contents"]
    assert 2 <= len(bubbles) <= LINE_BUBBLES and len(flex["altText"]) <= 1500
    [fire] = [b for b in bubbles if b["body"]["contents"][0]["text"] == EN.gift]
    assert fire["hero"]["url"] == CATALOG["bw-fire-station"]["image"]
    assert fire["body"]["contents"][1]["text"] == EN.gift_price


def test_wire_greets_when_added_asks_with_polls_and_sends_gift_pictures(shop):
    shopper = shop.wire()
    assert "Welcome to Toy & Gift Shop" in shopper.greeting.texts[0]
    w = walk(shopper, EN)
    polls = [b for b in w.menu.calls if b["type"] == "poll"]
    assert [p["poll"]["buttons"] for p in polls] == [EN.topics]
    pictures = [b for b in w.ideas.calls if b["type"] == "attachment"]
    assert len(pictures) == len(w.ideas.cards) >= 2
    assert all(p["attachment"]["mimeType"] == "image/jpeg" for p in pictures)
    assert all("url" not in p["attachment"] and p["attachment"]["data"] for p in pictures)
    [fire] = [c for c in w.ideas.cards if c.title == EN.gift]
    assert EN.gift_price in fire.text

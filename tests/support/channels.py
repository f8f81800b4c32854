"""Shoppers on every channel, for end-to-end tests of a bot project served by ``create_app``.

A shopper sends what the platform would send (a signed webhook with a Telegram update, a
WhatsApp message or a Messenger event; a frame over the web chat's WebSocket) and reads the
bot's answer back from the API calls it made, as a :class:`Turn`: the texts shown, the options
offered and the product cards. Pressing an option sends back what the bot put on it
(callback_data, a button or list-row id, a quick-reply or postback payload), so a test never
guesses ids.

    shopper = shop.telegram(language_code="pl")
    menu = shopper.say("hi")
    who = shopper.press("Znajdź prezent")
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import html
import itertools
import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from bot import webchat
from bot.settings import Settings

TELEGRAM_TOKEN = "123456:ABC-shop"
TELEGRAM_SECRET = "tg-secret_123"
APP_SECRET = "meta-app-secret"
VERIFY_TOKEN = "verify-me"
PHONE_NUMBER_ID = "106540352242922"
DISPLAY_NUMBER = "15550783881"
PAGE_ID = "107392638845910"
IG_ACCOUNT_ID = "17841405822304914"
LINE_SECRET = "8c3b3e6a1f2d4e5f8a9b0c1d2e3f4a5b"
LINE_TOKEN = "line-channel-token"
LINE_API = "https://api.line.test"
WIRE_SERVICE_TOKEN = "g_ZiEfOnMdVnbbpyKIWCVZIk"
WIRE_API = "https://proxy.wire.test"
NOW = 1767607200  # 2026-01-05 10:00 UTC, in the platforms' timestamp units below


def shop_settings(tmp_path: Path) -> Settings:
    """Every channel on, a fresh SQLite store, no .env file."""
    return Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path}/x.db",
        telegram_token=TELEGRAM_TOKEN,
        telegram_secret_token=TELEGRAM_SECRET,
        meta_app_secret=APP_SECRET,
        meta_verify_token=VERIFY_TOKEN,
        whatsapp_token="wa-token",
        whatsapp_phone_number_id=PHONE_NUMBER_ID,
        messenger_page_token="page-token",
        instagram_account_id=IG_ACCOUNT_ID,
        instagram_token="ig-token",
        line_channel_secret=LINE_SECRET,
        line_channel_token=LINE_TOKEN,
        line_api_base=LINE_API,
        wire_service_token=WIRE_SERVICE_TOKEN,
        wire_api_base=WIRE_API,
    )


class Platform:
    """A recording fake of the Telegram Bot API and the Graph API, as an httpx transport."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, Any]]] = []  # host, path, JSON body
        self.lock = threading.Lock()

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":  # a product picture Wire's sender fetches
            return httpx.Response(200, content=PICTURE, headers={"content-type": "image/jpeg"})
        body = json.loads(request.content or b"{}")
        with self.lock:
            self.requests.append((request.url.host, request.url.path, body))
            n = len(self.requests)
        if request.url.host == "api.line.test":
            return httpx.Response(200, json={"sentMessages": [{"id": str(n)}]})
        if request.url.host == "proxy.wire.test":
            return httpx.Response(200, json={"messageId": f"wire-{n}"})
        if request.url.path.endswith(f"/{IG_ACCOUNT_ID}/messages"):
            return httpx.Response(200, json={"recipient_id": "1", "message_id": f"ig_OUT{n}"})
        if request.url.path.endswith(("/comments", "/replies")):
            return httpx.Response(200, json={"id": f"reply_{n}"})
        if request.url.host == "api.telegram.org":
            return httpx.Response(200, json={"ok": True, "result": {"message_id": n}})
        if request.url.path.endswith("/me/messages"):  # Messenger
            return httpx.Response(200, json={"recipient_id": "1", "message_id": f"m_OUT{n}"})
        return httpx.Response(
            200, json={"messaging_product": "whatsapp", "messages": [{"id": f"wamid.OUT{n}"}]}
        )

    def count(self) -> int:
        with self.lock:
            return len(self.requests)

    def since(self, start: int) -> list[tuple[str, str, dict[str, Any]]]:
        with self.lock:
            return self.requests[start:]


PICTURE = b"\xff\xd8\xff\xe0 a tiny jpeg"


def settle(client: TestClient) -> None:
    """Wait until every accepted event is processed and its replies are sent."""
    client.portal.call(client.app.state.service.drain)


# -- what a turn showed --------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """Something the shopper can tap: a button, a list row, a quick reply."""

    label: str  # the words on it
    payload: str  # what the bot put on it; the platform sends it back when it is tapped
    press: dict[str, Any] = field(default_factory=dict, compare=False)  # how to send the tap


@dataclass(frozen=True)
class Card:
    """A product card as shown."""

    title: str  # the product title, as written on the card
    text: str  # every word on the card: title, price, description
    choose: Option | None  # how to pick this product, if the card can be picked


@dataclass
class Turn:
    """The bot's answer to one shopper message, read back from the calls it made."""

    calls: list[dict[str, Any]]  # the raw API bodies (web chat: frames), in order
    methods: list[str] = field(default_factory=list)  # each call's method (sendPhoto, messages)
    texts: list[str] = field(default_factory=list)  # message bubbles with words, in order
    options: list[Option] = field(default_factory=list)  # tappable choices, in order
    cards: list[Card] = field(default_factory=list)

    def bodies(self, method: str) -> list[dict[str, Any]]:
        """The bodies of the turn's calls to ``method``."""
        return [body for m, body in zip(self.methods, self.calls, strict=True) if m == method]

    @property
    def labels(self) -> list[str]:
        return [o.label for o in self.options]

    @property
    def said(self) -> str:
        """Every word of the turn, texts and cards, to search in."""
        return "\n".join([*self.texts, *(c.text for c in self.cards)])

    def option(self, label: str) -> Option:
        found = [o for o in self.options if o.label == label]
        assert len(found) == 1, f"{label!r} is not offered once; offered: {self.labels}"
        return found[0]

    def card(self, title: str) -> Card:
        found = [c for c in self.cards if c.title == title]
        assert len(found) == 1, f"no card {title!r}; cards: {[c.title for c in self.cards]}"
        return found[0]


class Shopper:
    """One shopper on one channel; ``last`` is the bot's latest answer."""

    channel = ""

    def __init__(self, client: TestClient, platform: Platform) -> None:
        self.client = client
        self.platform = platform
        self.last = Turn([])

    def say(self, text: str) -> Turn:
        return self._turn(lambda: self.send_text(text))

    def press(self, label: str) -> Turn:
        """Tap the option labelled ``label`` in the bot's latest answer."""
        option = self.last.option(label)
        return self._turn(lambda: self.send_press(option))

    def pick(self, title: str) -> Turn:
        """Pick the product titled ``title`` from the cards of the bot's latest answer."""
        card = self.last.card(title)
        assert card.choose is not None, f"the card {title!r} cannot be picked on {self.channel}"
        choose = card.choose
        return self._turn(lambda: self.send_press(choose))

    def _turn(self, send: Callable[[], None]) -> Turn:
        start = self.platform.count()
        send()
        settle(self.client)
        calls = [
            (path.rsplit("/", 1)[-1], body)
            for _host, path, body in self.platform.since(start)
            if self.ours(path)
        ]
        self.last = self.read([body for _m, body in calls])
        self.last.methods = [method for method, _body in calls]
        return self.last

    # channel specifics
    def send_text(self, text: str) -> None:
        raise NotImplementedError

    def send_press(self, option: Option) -> None:
        raise NotImplementedError

    def ours(self, path: str) -> bool:
        raise NotImplementedError

    def read(self, calls: list[dict[str, Any]]) -> Turn:
        raise NotImplementedError


# -- Telegram ------------------------------------------------------------------------------

_TAG = re.compile(r"<[^>]+>")


def telegram_shown(html_text: str) -> str:
    """What Telegram displays for a ``parse_mode: HTML`` text: tags gone, entities decoded."""
    return html.unescape(_TAG.sub("", html_text))


class TelegramShopper(Shopper):
    channel = "telegram"
    _update_ids = itertools.count(1000)

    def __init__(
        self,
        client: TestClient,
        platform: Platform,
        *,
        chat_id: int = 4242,
        first_name: str = "Ana",
        language_code: str | None = "en",
    ) -> None:
        super().__init__(client, platform)
        self.chat_id = chat_id
        self.user: dict[str, Any] = {"id": chat_id, "is_bot": False, "first_name": first_name}
        if language_code:
            self.user["language_code"] = language_code
        self._message_ids = itertools.count(1)

    def post(self, update: dict[str, Any]) -> None:
        response = self.client.post(
            "/webhooks/telegram",
            content=json.dumps(update).encode(),
            headers={
                "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET,
                "content-type": "application/json",
            },
        )
        assert response.status_code == 200, response.text

    def send_text(self, text: str) -> None:
        update_id = next(self._update_ids)
        chat = {"id": self.chat_id, "first_name": self.user["first_name"], "type": "private"}
        message = {
            "message_id": update_id,
            "from": self.user,
            "chat": chat,
            "date": NOW,
            "text": text,
        }
        self.post({"update_id": update_id, "message": message})

    def send_press(self, option: Option) -> None:
        # A real callback_query carries the message the button sat on, keyboard included.
        sat_on = option.press["message"]
        message: dict[str, Any] = {
            "message_id": option.press["message_id"],
            "from": {"id": 7012345678, "is_bot": True, "first_name": "Toy & Gift Shop"},
            "chat": {"id": self.chat_id, "type": "private"},
            "date": NOW,
            "reply_markup": sat_on["reply_markup"],
        }
        if "photo" in sat_on:
            message["photo"] = [{"file_id": "AgAC-card", "file_unique_id": "u", "width": 600}]
            message["caption"] = telegram_shown(sat_on.get("caption", ""))
        else:
            message["text"] = telegram_shown(sat_on["text"])
        update_id = next(self._update_ids)
        query = {
            "id": f"cbq-{update_id}",
            "from": self.user,
            "message": message,
            "chat_instance": "-3617283425107395824",
            "data": option.payload,
        }
        self.post({"update_id": update_id, "callback_query": query})

    def ours(self, path: str) -> bool:
        return path.startswith(f"/bot{TELEGRAM_TOKEN}/")

    def read(self, calls: list[dict[str, Any]]) -> Turn:
        turn = Turn(calls)
        for body in calls:
            message_id = next(self._message_ids)
            buttons = [
                Option(b["text"], b["callback_data"], {"message": body, "message_id": message_id})
                for row in body.get("reply_markup", {}).get("inline_keyboard", [])
                for b in row
                if "callback_data" in b
            ]
            if "photo" in body:
                caption = telegram_shown(body.get("caption", ""))
                title = caption.split("\n", 1)[0]
                turn.cards.append(Card(title, caption, buttons[0] if buttons else None))
            elif "text" in body:
                turn.texts.append(telegram_shown(body["text"]))
                turn.options.extend(buttons)
        return turn


# -- WhatsApp and Messenger ----------------------------------------------------------------


def post_signed(client: TestClient, path: str, payload: dict[str, Any]) -> None:
    """POST ``payload`` as Meta does: raw bytes signed with the app secret."""
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = client.post(
        path,
        content=body,
        headers={"X-Hub-Signature-256": signature, "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text


def _named(row: Option, titles: list[str]) -> str | None:
    """The one product title a list row names, or None if a shopper could not tell which.

    A row names a product by its whole title, in the row's title or its description, or by a
    title cut to fit ('Fire Station Building B…') that begins only that product's title.
    """
    named = {t for t in titles if t == row.label or t in row.press.get("description", "")}
    if not named and row.label.endswith("…"):
        named = {t for t in titles if t.startswith(row.label[:-1])}
    return named.pop() if len(named) == 1 else None


class WhatsAppShopper(Shopper):
    channel = "whatsapp"
    _ids = itertools.count(1)

    def __init__(
        self,
        client: TestClient,
        platform: Platform,
        *,
        wa_id: str = "48600123456",
        name: str = "Zofia",
    ) -> None:
        super().__init__(client, platform)
        self.wa_id = wa_id
        self.name = name

    def post(self, message: dict[str, Any]) -> None:
        message = {
            "from": self.wa_id,
            "id": f"wamid.IN{next(self._ids)}",
            "timestamp": str(NOW),
            **message,
        }
        value = {
            "messaging_product": "whatsapp",
            "metadata": {
                "display_phone_number": DISPLAY_NUMBER,
                "phone_number_id": PHONE_NUMBER_ID,
            },
            "contacts": [{"profile": {"name": self.name}, "wa_id": self.wa_id}],
            "messages": [message],
        }
        notification = {
            "object": "whatsapp_business_account",
            "entry": [
                {"id": "102290129340398", "changes": [{"field": "messages", "value": value}]}
            ],
        }
        post_signed(self.client, "/webhooks/whatsapp", notification)

    def send_text(self, text: str) -> None:
        self.post({"type": "text", "text": {"body": text}})

    def send_press(self, option: Option) -> None:
        kind = option.press["kind"]  # "button_reply" or "list_reply"
        reply = {"id": option.payload, "title": option.label}
        if option.press.get("description"):
            reply["description"] = option.press["description"]
        self.post(
            {
                "context": {"from": DISPLAY_NUMBER, "id": "wamid.OUT"},
                "type": "interactive",
                "interactive": {"type": kind, kind: reply},
            }
        )

    def ours(self, path: str) -> bool:
        return path.endswith(f"/{PHONE_NUMBER_ID}/messages")

    def read(self, calls: list[dict[str, Any]]) -> Turn:
        turn = Turn(calls)
        chooser: list[Option] = []
        for body in calls:
            kind = body.get("type")
            if kind == "text":
                turn.texts.append(body["text"]["body"])
            elif kind == "image":
                caption = body["image"].get("caption", "")
                turn.cards.append(Card(caption.split("\n", 1)[0], caption, None))
            elif kind == "interactive":
                interactive = body["interactive"]
                turn.texts.append(interactive["body"]["text"])
                if interactive["type"] == "button":
                    options = [
                        Option(b["reply"]["title"], b["reply"]["id"], {"kind": "button_reply"})
                        for b in interactive["action"]["buttons"]
                    ]
                else:
                    options = [
                        Option(r["title"], r["id"], {"kind": "list_reply", **r})
                        for section in interactive["action"]["sections"]
                        for r in section["rows"]
                    ]
                turn.options.extend(options)
                chooser = options
        if turn.cards:
            # Pictures cannot be tapped: the shopper picks from the list that follows them,
            # by the (possibly cut) title on its rows.
            titles = [c.title.removeprefix(f"{n}. ") for n, c in enumerate(turn.cards, 1)]
            by_title = {}
            for option in chooser:
                title = _named(option, titles)
                if title is not None:
                    by_title[title] = option
            turn.cards = [
                Card(t, c.text, by_title.get(t)) for t, c in zip(titles, turn.cards, strict=True)
            ]
        return turn


class MessengerShopper(Shopper):
    channel = "messenger"
    _ids = itertools.count(1)

    def __init__(
        self, client: TestClient, platform: Platform, *, psid: str = "6998441213545698"
    ) -> None:
        super().__init__(client, platform)
        self.psid = psid

    def post(self, event: dict[str, Any]) -> None:
        n = next(self._ids)
        event = {
            "sender": {"id": self.psid},
            "recipient": {"id": PAGE_ID},
            "timestamp": NOW * 1000 + n,
            **event,
        }
        entry = {"id": PAGE_ID, "time": NOW * 1000 + n, "messaging": [event]}
        post_signed(self.client, "/webhooks/messenger", {"object": "page", "entry": [entry]})

    def send_text(self, text: str) -> None:
        self.post({"message": {"mid": f"m_text{next(self._ids)}", "text": text}})

    def send_press(self, option: Option) -> None:
        mid = f"m_press{next(self._ids)}"
        if option.press["kind"] == "quick_reply":
            # A tapped quick reply arrives as a message with its title as the text.
            message = {"mid": mid, "text": option.label, "quick_reply": {"payload": option.payload}}
            self.post({"message": message})
        else:
            self.post({"postback": {"mid": mid, "title": option.label, "payload": option.payload}})

    def ours(self, path: str) -> bool:
        return path.endswith("/me/messages")

    def read(self, calls: list[dict[str, Any]]) -> Turn:
        turn = Turn(calls)
        for body in calls:
            message = body.get("message")
            if message is None:
                continue  # a sender action (typing, seen)
            if "text" in message:
                turn.texts.append(message["text"])
                turn.options.extend(
                    Option(q["title"], q["payload"], {"kind": "quick_reply"})
                    for q in message.get("quick_replies", [])
                )
            payload = message.get("attachment", {}).get("payload", {})
            for element in payload.get("elements", []):
                postbacks = [
                    Option(b["title"], b["payload"], {"kind": "postback"})
                    for b in element.get("buttons", [])
                    if b["type"] == "postback"
                ]
                words = "\n".join([element["title"], element.get("subtitle", "")])
                turn.cards.append(Card(element["title"], words, next(iter(postbacks), None)))
        return turn


class InstagramShopper(MessengerShopper):
    """Instagram Direct: Messenger's shapes under ``object: instagram``."""

    channel = "instagram"

    def __init__(
        self, client: TestClient, platform: Platform, *, igsid: str = "1254459154682919"
    ) -> None:
        super().__init__(client, platform, psid=igsid)

    def post(self, event: dict[str, Any]) -> None:
        n = next(self._ids)
        event = {
            "sender": {"id": self.psid},
            "recipient": {"id": IG_ACCOUNT_ID},
            "timestamp": NOW * 1000 + n,
            **event,
        }
        entry = {"id": IG_ACCOUNT_ID, "time": NOW * 1000 + n, "messaging": [event]}
        post_signed(self.client, "/webhooks/instagram", {"object": "instagram", "entry": [entry]})

    def ours(self, path: str) -> bool:
        return path.endswith(f"/{IG_ACCOUNT_ID}/messages")


def post_line(client: TestClient, payload: dict[str, Any]) -> None:
    """POST ``payload`` as LINE does: raw bytes, ``X-Line-Signature`` = base64 HMAC-SHA256."""
    from adapters.line.signature import sign

    body = json.dumps(payload).encode()
    response = client.post(
        "/webhooks/line",
        content=body,
        headers={"X-Line-Signature": sign(LINE_SECRET, body), "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text


class LineShopper(Shopper):
    channel = "line"
    _ids = itertools.count(1)

    def __init__(
        self,
        client: TestClient,
        platform: Platform,
        *,
        user_id: str = "U4af4980629abcdef0123456789abcdef",
    ) -> None:
        super().__init__(client, platform)
        self.user_id = user_id

    def event(self, kind: str, **fields: Any) -> dict[str, Any]:
        n = next(self._ids)
        return {
            "type": kind,
            "mode": "active",
            # now: a reply token is good for a minute from the event
            "timestamp": int(time.time() * 1000),
            "source": {"type": "user", "userId": self.user_id},
            "webhookEventId": f"01HZLINE{n:018d}",
            "deliveryContext": {"isRedelivery": False},
            "replyToken": f"reply-token-{n}",
            **fields,
        }

    def post(self, *events: dict[str, Any]) -> None:
        post_line(
            self.client,
            {"destination": "U0123456789abcdef0123456789abcdef", "events": list(events)},
        )

    def send_text(self, text: str) -> None:
        n = next(self._ids)
        message = {"id": f"4681{n:014d}", "type": "text", "text": text, "quoteToken": f"q{n}"}
        self.post(self.event("message", message=message))

    def send_press(self, option: Option) -> None:
        self.post(self.event("postback", postback={"data": option.payload}))

    def ours(self, path: str) -> bool:
        return path.startswith("/v2/bot/message/")

    def read(self, calls: list[dict[str, Any]]) -> Turn:
        turn = Turn(calls)
        for body in calls:
            for message in body["messages"]:
                if message["type"] == "text":
                    turn.texts.append(message["text"])
                    turn.options.extend(
                        Option(i["action"]["label"], i["action"]["data"])
                        for i in message.get("quickReply", {}).get("items", [])
                    )
                elif message["type"] == "flex":
                    for bubble in message["contents"]["contents"]:
                        texts = [c["text"] for c in bubble["body"]["contents"]]
                        buttons = bubble.get("footer", {}).get("contents", [])
                        choose = [
                            Option(b["action"]["label"], b["action"]["data"])
                            for b in buttons
                            if b["action"]["type"] == "postback"
                        ]
                        turn.cards.append(
                            Card(texts[0], "\n".join(texts), next(iter(choose), None))
                        )
        return turn


class WireShopper(Shopper):
    """A Wire user talking to the bot through Roman; the bot answers with the event's token."""

    channel = "wire"
    _ids = itertools.count(1)

    def __init__(
        self,
        client: TestClient,
        platform: Platform,
        *,
        bot_id: str = "216efc31-d483-4bd6-aec7-4adc2da50ca5",
        user_id: str = "4dfc5c70-dcc8-4d9e-82be-a3cbe6661107",
    ) -> None:
        super().__init__(client, platform)
        self.bot_id = bot_id
        self.user_id = user_id
        self.greeting = self.add_bot()  # a Wire conversation starts with the bot's arrival

    def post(self, event: dict[str, Any]) -> None:
        n = next(self._ids)
        event = {
            "botId": self.bot_id,
            "userId": self.user_id,
            "conversationId": "5dfc5c70-dcc8-4d9e-82be-a3cbe6661106",
            "messageId": f"baf93012-23f2-429e-b76a-{n:012d}",
            "token": f"event-token-{n}",
            **event,
        }
        response = self.client.post(
            "/webhooks/wire",
            content=json.dumps(event).encode(),
            headers={
                "Authorization": f"Bearer {WIRE_SERVICE_TOKEN}",
                "content-type": "application/json",
            },
        )
        assert response.status_code == 200, response.text

    def add_bot(self) -> Turn:
        """The shopper adds the bot to a conversation: Roman's bot_request, then init.

        bot_request brings the conversation's long-lived token; the bot greets."""

        def send() -> None:
            self.post(
                {
                    "type": "conversation.bot_request",
                    "handle": "ana",
                    "locale": "en_US",
                    "conversation": "Shop",
                    "token": "long-lived-token",
                    "messageId": None,
                }
            )
            self.post({"type": "conversation.init", "conversation": "Shop", "messageId": None})

        return self._turn(send)

    def send_text(self, text: str) -> None:
        self.post({"type": "conversation.new_text", "text": {"data": text}})

    def send_press(self, option: Option) -> None:
        poll_id, offset = option.press["poll"], option.press["offset"]
        self.post({"type": "conversation.poll.action", "poll": {"id": poll_id, "offset": offset}})

    def ours(self, path: str) -> bool:
        return path == "/api/conversation"

    def read(self, calls: list[dict[str, Any]]) -> Turn:
        turn = Turn(calls)
        pending: list[bytes] = []
        captions: list[str] = []
        for body in calls:
            kind = body["type"]
            if kind == "text":
                if pending:
                    captions.append(body["text"]["data"])
                    pending.pop()
                else:
                    turn.texts.append(body["text"]["data"])
            elif kind == "attachment":
                pending.append(body["attachment"]["data"].encode())
            elif kind == "poll" and body["poll"]["type"] == "create":
                turn.texts.append(body["text"]["data"])
                turn.options.extend(
                    Option(label, str(i), {"poll": body["poll"]["id"], "offset": i})
                    for i, label in enumerate(body["poll"]["buttons"])
                )
        if captions:
            titles = [c.split("\n", 1)[0].split(". ", 1)[-1] for c in captions]
            by_label = {o.label: o for o in turn.options}
            turn.cards = [
                Card(t, c, by_label.get(t)) for t, c in zip(titles, captions, strict=True)
            ]
        return turn


# -- the web chat --------------------------------------------------------------------------

# A frame the server refuses at once: its error frame marks "everything before me is here".
_BARRIER = "{}"


class WebShopper(Shopper):
    channel = "web"
    _ids = itertools.count(1)

    def __init__(self, client: TestClient, platform: Platform, socket: Any) -> None:
        super().__init__(client, platform)
        self.socket = socket
        self.ref = socket.receive_json()["ref"]  # the conversation is web:<ref>

    def _until_barrier(self) -> list[dict[str, Any]]:
        self.socket.send_text(_BARRIER)
        frames = []
        while (frame := self.socket.receive_json())["type"] != "error":
            frames.append(frame)
        return frames

    def _send(self, frame: dict[str, Any]) -> None:
        self.socket.send_json({"id": f"frame-{next(self._ids):06d}", **frame})

    def send_text(self, text: str) -> None:
        self._send({"type": "text", "text": text})

    def send_press(self, option: Option) -> None:
        self._send({"type": "choice", "payload": option.payload, "label": option.label})

    def _turn(self, send: Callable[[], None]) -> Turn:
        send()
        # The socket reads frames in order: once the barrier is answered the frame was
        # accepted; once the service is drained every reply frame has been written.
        frames = self._until_barrier()
        settle(self.client)
        frames += self._until_barrier()
        self.last = self.read(frames)
        self.last.methods = ["frame"] * len(frames)
        return self.last

    def read(self, calls: list[dict[str, Any]]) -> Turn:
        turn = Turn(calls)
        for frame in calls:
            if frame["type"] == "text":
                turn.texts.append(frame["text"])
                turn.options.extend(Option(c["label"], c["payload"]) for c in frame["choices"])
            elif frame["type"] == "products":
                for card in frame["cards"]:
                    button = card.get("button")
                    choose = Option(button["label"], button["payload"]) if button else None
                    words = "\n".join(card[k] for k in ("title", "price", "subtitle") if card[k])
                    turn.cards.append(Card(card["title"], words, choose))
        return turn


class Shop:
    """The running app with every channel on; makes shoppers."""

    def __init__(self, client: TestClient, platform: Platform, stack: contextlib.ExitStack) -> None:
        self.client = client
        self.platform = platform
        self.stack = stack

    def telegram(self, **kw: Any) -> TelegramShopper:
        return TelegramShopper(self.client, self.platform, **kw)

    def whatsapp(self, **kw: Any) -> WhatsAppShopper:
        return WhatsAppShopper(self.client, self.platform, **kw)

    def messenger(self, **kw: Any) -> MessengerShopper:
        return MessengerShopper(self.client, self.platform, **kw)

    def instagram(self, **kw: Any) -> InstagramShopper:
        return InstagramShopper(self.client, self.platform, **kw)

    def line(self, **kw: Any) -> LineShopper:
        return LineShopper(self.client, self.platform, **kw)

    def wire(self, **kw: Any) -> WireShopper:
        return WireShopper(self.client, self.platform, **kw)

    def web(self, locale: str | None = None) -> WebShopper:
        url = "/chat/ws" + (f"?locale={locale}" if locale else "")
        # Each shopper is her own browser: her own chat secret (bot/webchat.py's cookie).
        cookie = f"{webchat.COOKIE}={secrets.token_urlsafe(32)}"
        socket = self.stack.enter_context(
            self.client.websocket_connect(url, headers={"cookie": cookie})
        )
        return WebShopper(self.client, self.platform, socket)

    def shopper(self, channel: str, **kw: Any) -> Shopper:
        return getattr(self, channel)(**kw)

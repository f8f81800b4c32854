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
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from bot.settings import Settings

TELEGRAM_TOKEN = "123456:ABC-shop"
TELEGRAM_SECRET = "tg-secret_123"
APP_SECRET = "meta-app-secret"
VERIFY_TOKEN = "verify-me"
PHONE_NUMBER_ID = "106540352242922"
DISPLAY_NUMBER = "15550783881"
PAGE_ID = "107392638845910"
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
    )


class Platform:
    """A recording fake of the Telegram Bot API and the Graph API, as an httpx transport."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, Any]]] = []  # host, path, JSON body
        self.lock = threading.Lock()

    def handler(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content or b"{}")
        with self.lock:
            self.requests.append((request.url.host, request.url.path, body))
            n = len(self.requests)
        if request.url.host == "api.telegram.org":
            return httpx.Response(200, json={"ok": True, "result": {"message_id": n}})
        if request.url.path.endswith("/me/messages"):
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


# -- the web chat --------------------------------------------------------------------------

# A frame the server refuses at once: its error frame marks "everything before me is here".
_BARRIER = "{}"


class WebShopper(Shopper):
    channel = "web"
    _ids = itertools.count(1)

    def __init__(self, client: TestClient, platform: Platform, socket: Any) -> None:
        super().__init__(client, platform)
        self.socket = socket
        self.session = socket.receive_json()["session"]

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

    def web(self, locale: str | None = None) -> WebShopper:
        url = "/chat/ws" + (f"?locale={locale}" if locale else "")
        socket = self.stack.enter_context(self.client.websocket_connect(url))
        return WebShopper(self.client, self.platform, socket)

    def shopper(self, channel: str, **kw: Any) -> Shopper:
        return getattr(self, channel)(**kw)

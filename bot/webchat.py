"""The web chat: its page, its WebSocket, and which browsers are connected to which chat.

A browser's chat is keyed by a random secret kept in an HttpOnly cookie. The secret is the
only credential of the conversation, so it never leaves the browser and this module: agents,
logs, the outbox and URLs see the conversation as ``web:<ref>``, where ``ref`` is a one-way
hash of the secret (knowing the ref does not let anyone read or write as the shopper).

A reply for a browser that is not connected stays in the outbox and is sent when it
reconnects, so closing the tab mid-answer loses nothing. The page keeps the recent history in
the browser's storage, so a reload or a second tab shows the conversation so far.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import html
import json
import logging
import re
import secrets
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from babel import Locale, UnknownLocaleError
from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.websockets import WebSocketDisconnect, WebSocketState

from adapters.base import BadPayload, OutboundCall, SendResult
from catalog.actions import product_for_locale

from .logsafe import conversation_ref

log = logging.getLogger("shopchat.webchat")

STATIC = Path(__file__).with_name("static")
COOKIE = "shopchat_chat"
# ASCII only: a secret in full-width or Arabic-Indic characters is not one (str.isalnum
# would accept it), and the browser is given a fresh secret instead.
_SECRET = re.compile(r"[A-Za-z0-9_-]{32,86}")
MAX_FRAME = 16 * 1024  # characters of one browser frame; a message is at most 4000
COOKIE_AGE = 90 * 24 * 3600
UNSUPPORTED_DATA, TOO_BIG, POLICY = 1003, 1009, 1008

# The page's own words. The shop's texts come from its flows and locales; these are the
# controls around them. A locale missing here falls back to English.
UI: dict[str, dict[str, str]] = {
    "en": {
        "placeholder": "Type a message",
        "send": "Send",
        "message": "Message",
        "online": "online",
        "connecting": "connecting…",
        "reconnecting": "reconnecting…",
        "language": "Language",
        "details": "Details",
        "conversation": "Conversation",
        "open": "Chat with us",
        "close": "Close the chat",
    },
    "pl": {
        "placeholder": "Napisz wiadomość",
        "send": "Wyślij",
        "message": "Wiadomość",
        "online": "online",
        "connecting": "łączenie…",
        "reconnecting": "ponowne łączenie…",
        "language": "Język",
        "details": "Szczegóły",
        "conversation": "Rozmowa",
        "open": "Napisz do nas",
        "close": "Zamknij czat",
    },
    "es": {
        "placeholder": "Escribe un mensaje",
        "send": "Enviar",
        "message": "Mensaje",
        "online": "en línea",
        "connecting": "conectando…",
        "reconnecting": "reconectando…",
        "language": "Idioma",
        "details": "Detalles",
        "conversation": "Conversación",
        "open": "Chatea con nosotros",
        "close": "Cerrar el chat",
    },
    "ru": {
        "placeholder": "Напишите сообщение",
        "send": "Отправить",
        "message": "Сообщение",
        "online": "в сети",
        "connecting": "подключение…",
        "reconnecting": "переподключение…",
        "language": "Язык",
        "details": "Подробнее",
        "conversation": "Переписка",
        "open": "Написать нам",
        "close": "Закрыть чат",
    },
    "fa": {
        "placeholder": "پیامی بنویسید",
        "send": "ارسال",
        "message": "پیام",
        "online": "آنلاین",
        "connecting": "در حال اتصال…",
        "reconnecting": "اتصال دوباره…",
        "language": "زبان",
        "details": "جزئیات",
        "conversation": "گفتگو",
        "open": "گفتگو با ما",
        "close": "بستن گفتگو",
    },
    "ar": {
        "placeholder": "اكتب رسالة",
        "send": "إرسال",
        "message": "رسالة",
        "online": "متصل",
        "connecting": "جارٍ الاتصال…",
        "reconnecting": "إعادة الاتصال…",
        "language": "اللغة",
        "details": "التفاصيل",
        "conversation": "المحادثة",
        "open": "تحدث معنا",
        "close": "إغلاق المحادثة",
    },
}


def public_ref(secret: str) -> str:
    """The conversation's name outside the browser: a one-way hash of its secret."""
    return hashlib.sha256(secret.encode("ascii")).hexdigest()[:24]


def valid_secret(value: str | None) -> bool:
    return bool(value) and _SECRET.fullmatch(value or "") is not None


class WebHub:
    """Connected chat sockets by conversation ref; also the web channel's sender."""

    def __init__(self) -> None:
        self._sockets: dict[str, set[WebSocket]] = defaultdict(set)

    def connect(self, ref: str, socket: WebSocket) -> None:
        self._sockets[ref].add(socket)

    def disconnect(self, ref: str, socket: WebSocket) -> None:
        sockets = self._sockets.get(ref)
        if sockets is not None:
            sockets.discard(socket)
            if not sockets:
                del self._sockets[ref]

    async def echo(self, ref: str, sender: WebSocket, frame: dict[str, Any]) -> None:
        """What the shopper sent from one tab, shown in her other tabs."""
        for socket in list(self._sockets.get(ref, ())):
            if socket is not sender:
                await self._send(ref, socket, frame)

    async def send(self, call: OutboundCall) -> SendResult:
        ref = call.conversation_id.removeprefix("web:")
        delivered = 0
        for socket in list(self._sockets.get(ref, ())):
            delivered += await self._send(ref, socket, call.payload)
        if delivered:
            return SendResult(ok=True)
        return SendResult(ok=False, status=0, error="no browser connected")

    async def _send(self, ref: str, socket: WebSocket, payload: dict[str, Any]) -> int:
        try:
            await socket.send_json(payload)
            return 1
        except Exception as exc:  # a socket that died under us
            log.info(
                "web chat %s: dropping a dead socket (%s)",
                conversation_ref(f"web:{ref}"),
                type(exc).__name__,
            )
            self.disconnect(ref, socket)
            return 0


# -- the page ----------------------------------------------------------------------------------


def _locale_info(code: str) -> tuple[str, bool]:
    """(the language's own name, whether it is written right to left)."""
    try:
        loc = Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return code, False
    name = loc.get_display_name(loc) or code
    return name[:1].upper() + name[1:], loc.text_direction == "rtl"


def pick_locale(request: Request, locales: list[str], default: str) -> str:
    """``?locale=`` if the shop speaks it, else the browser's best match, else the default."""
    asked = request.query_params.get("locale") or ""
    wanted = [asked] if asked else []
    for part in request.headers.get("accept-language", "").split(",")[:20]:
        tag = part.split(";")[0].strip()
        if tag and tag != "*":
            wanted.append(tag)
    for tag in wanted:
        base = tag.replace("_", "-").split("-")[0].lower()
        for loc in locales:
            if loc.lower() in (tag.lower(), base):
                return loc
    return default


def web_settings(project: Any) -> dict[str, Any]:
    """``channels: web:`` of shop.yaml: colour, greeting, allowed origins, the demo site."""
    raw = project.shop.channels.get("web") if isinstance(project.shop.channels, dict) else None
    return raw if isinstance(raw, dict) else {}


_COLOUR = re.compile(r"#[0-9A-Fa-f]{3}(?:[0-9A-Fa-f]{3})?")


class ShopSite:
    """``channels: web: site:``: the shop's own site as its feed names it (``url``), served by
    the app at ``/site/`` from a folder of the project (``dir``).

    The example shop uses it so the demo works offline: its feed points at
    ``https://toys.example/...``, and the web chat shows those pictures and product pages from
    ``examples/shop/site/`` and a page drawn from the catalog instead.
    """

    def __init__(self, url: str, folder: Path, catalog: Any = None) -> None:
        self.url = url.rstrip("/")
        self.folder = folder.resolve()
        self.catalog = catalog

    @classmethod
    def of(cls, project: Any, catalog: Any = None) -> ShopSite | None:
        site = web_settings(project).get("site")
        if not isinstance(site, dict) or not isinstance(site.get("url"), str):
            return None
        folder = project.root / str(site.get("dir") or "site")
        return cls(site["url"], folder, catalog)

    def file(self, path: str) -> Path | None:
        """A file of the site's folder; None outside it or when there is none."""
        target = (self.folder / path).resolve()
        if not target.is_relative_to(self.folder) or not target.is_file():
            return None
        return target

    def product_page(self, product_id: str, locale: str) -> str | None:
        product = self.catalog.get(product_id) if self.catalog is not None else None
        if product is None:
            return None
        shown = product_for_locale(product, locale)
        rtl = _locale_info(locale)[1]
        image = shown.get("image") or ""
        if image.startswith(self.url + "/"):
            image = "/site/" + image[len(self.url) + 1 :]
        esc = html.escape
        return (
            f'<!doctype html><html lang="{esc(locale)}" dir="{"rtl" if rtl else "ltr"}"><head>'
            '<meta charset="utf-8"><meta name="viewport" content="width=device-width, '
            f'initial-scale=1"><title>{esc(shown["title"])}</title><style>body{{margin:0 auto;'
            "max-width:640px;padding:16px;font:16px/1.5 system-ui,sans-serif;color:#1d1b29}"
            "img{width:100%;border-radius:12px}.price{font-size:20px;font-weight:700}</style>"
            f'</head><body><img src="{esc(image)}" alt="{esc(shown["title"])}">'
            f"<h1>{esc(shown['title'])}</h1><p class=price>{esc(shown['price_text'])}</p>"
            f"<p>{esc(shown.get('description') or '')}</p><p>{esc(shown.get('brand') or '')}"
            "</p></body></html>"
        )


def page_config(project: Any, locale: str, *, embed: bool = False) -> dict[str, Any]:
    shop = project.shop
    web = web_settings(project)
    site = ShopSite.of(project)
    locales = list(shop.locales or [shop.default_locale])
    greeting = web.get("greeting")
    if isinstance(greeting, dict):
        greeting = greeting.get(locale) or greeting.get(shop.default_locale)
    return {
        "shop": shop.name,
        "locale": locale,
        "locales": [
            {"code": loc, "name": _locale_info(loc)[0], "rtl": _locale_info(loc)[1]}
            for loc in locales
        ],
        "ui": {loc: UI.get(loc, UI["en"]) for loc in locales},
        "greeting": greeting if isinstance(greeting, str) else "",
        "embed": embed,
        "site": site.url if site is not None else None,  # links under it open /site/...
    }


def brand_colour(project: Any) -> str:
    """``channels: web: colour:`` (a #rgb or #rrggbb), else shopchat's violet."""
    web = web_settings(project)
    colour = web.get("colour") or web.get("color")
    return colour if isinstance(colour, str) and _COLOUR.fullmatch(colour) else "#5b3fd6"


def render_page(project: Any, locale: str, *, embed: bool = False) -> str:
    config = page_config(project, locale, embed=embed)
    colour = brand_colour(project)
    rtl = _locale_info(locale)[1]
    ui = UI.get(locale, UI["en"])
    # JSON inside <script>: "<" escaped so a shop name cannot close the element.
    blob = json.dumps(config, ensure_ascii=False).replace("<", "\\u003c")
    page = (STATIC / "chat.html").read_text(encoding="utf-8")
    for key, value in {
        "{{SHOP_NAME}}": html.escape(project.shop.name),
        "{{LANG}}": html.escape(locale),
        "{{DIR}}": "rtl" if rtl else "ltr",
        "{{BRAND}}": colour,
        "{{PLACEHOLDER}}": html.escape(ui["placeholder"]),
        "{{SEND}}": html.escape(ui["send"]),
        "{{MESSAGE}}": html.escape(ui["message"]),
        "{{LANGUAGE}}": html.escape(ui["language"]),
        "{{CONVERSATION}}": html.escape(ui["conversation"]),
        "{{CONNECTING}}": html.escape(ui["connecting"]),
        "{{CONFIG}}": blob,
    }.items():
        page = page.replace(key, value)
    return page


def _cookie_secure(request: Request | WebSocket) -> bool:
    return request.url.scheme in ("https", "wss")


def origin_allowed(socket: WebSocket, allowed: list[str]) -> bool:
    """A browser's WebSocket from another site is refused (cross-site WebSocket hijacking).

    Non-browser clients send no Origin and hold no cookie of anyone else's, so they pass.
    """
    origin = socket.headers.get("origin")
    if origin is None:
        return True
    if origin.rstrip("/") in allowed:
        return True
    parts = urlsplit(origin)
    return bool(parts.netloc) and parts.netloc.lower() == socket.headers.get("host", "").lower()


def install(app: FastAPI, catalog: Any = None) -> None:
    """The web chat's routes: ``/`` (to the chat), ``/chat``, ``/chat/widget.js``, ``/chat/ws``,
    and ``/site/...`` when the shop serves its site from the project (``ShopSite``)."""
    site = ShopSite.of(app.state.project, catalog)

    @app.get("/", include_in_schema=False)
    async def home() -> Response:
        return RedirectResponse("/chat", status_code=307)

    @app.get("/chat", response_class=HTMLResponse)
    async def chat_page(request: Request) -> Response:
        project = request.app.state.project
        locale = pick_locale(request, list(project.shop.locales or []), project.shop.default_locale)
        embed = request.query_params.get("embed") == "1"
        response = HTMLResponse(render_page(project, locale, embed=embed))
        secret = request.cookies.get(COOKIE)
        if not valid_secret(secret):
            _set_cookie(response, secrets.token_urlsafe(32), _cookie_secure(request))
        response.headers["cache-control"] = "no-store"
        response.headers["referrer-policy"] = "no-referrer"
        return response

    @app.get("/chat/widget.js", include_in_schema=False)
    async def widget(request: Request) -> Response:
        project = request.app.state.project
        config = page_config(project, project.shop.default_locale)
        config["colour"] = brand_colour(project)
        blob = json.dumps(config, ensure_ascii=False).replace("<", "\\u003c")
        script = (STATIC / "widget.js").read_text(encoding="utf-8").replace("{{CONFIG}}", blob)
        return Response(script, media_type="text/javascript; charset=utf-8")

    @app.websocket("/chat/ws")
    async def chat_socket(socket: WebSocket) -> None:
        await serve_chat(socket)

    if site is None:
        return

    @app.get("/site/{path:path}", include_in_schema=False)
    async def site_page(path: str, request: Request) -> Response:
        found = site.file(path)
        if found is not None:
            return FileResponse(found, headers={"cache-control": "public, max-age=3600"})
        project = request.app.state.project
        locale = pick_locale(request, list(project.shop.locales or []), project.shop.default_locale)
        if path.startswith("p/"):
            page = await asyncio.to_thread(site.product_page, path[2:], locale)
            if page is not None:
                return HTMLResponse(page)
        return HTMLResponse(
            f"<!doctype html><meta charset=utf-8><title>{html.escape(project.shop.name)}</title>"
            f"<p>This is where {html.escape(project.shop.name)}'s site would show "
            f"<code>{html.escape(site.url)}/{html.escape(path)}</code>.</p>",
            status_code=404,
        )


def _set_cookie(response: Response, secret: str, secure: bool) -> None:
    response.set_cookie(
        COOKIE,
        secret,
        max_age=COOKIE_AGE,
        path="/chat",
        httponly=True,
        secure=secure,
        samesite="none" if secure else "lax",  # "none": the chat works inside a shop's iframe
    )


async def serve_chat(socket: WebSocket) -> None:
    """One browser tab's chat until it goes away; bad frames answered or closed cleanly."""
    state = socket.app.state
    service = state.service
    web = service.links["web"].adapter
    allowed = [str(o).rstrip("/") for o in web_settings(state.project).get("origins") or []]
    if not origin_allowed(socket, allowed):
        await socket.close(code=POLICY)  # before accept: the handshake is refused (403)
        return
    secret = socket.cookies.get(COOKIE)
    headers: list[tuple[bytes, bytes]] = []
    if not valid_secret(secret):
        secret = secrets.token_urlsafe(32)
        cookie = Response()
        _set_cookie(cookie, secret, _cookie_secure(socket))
        headers = [(b"set-cookie", cookie.headers["set-cookie"].encode("latin-1"))]
    assert secret is not None
    ref = public_ref(secret)
    locale = socket.query_params.get("locale")
    await socket.accept(headers=headers)
    hub: WebHub = state.channels.hub
    try:
        await socket.send_json({"type": "session", "ref": ref})
        hub.connect(ref, socket)
        await service.flush(f"web:{ref}")  # replies that waited for this browser
        while True:
            message = await socket.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if text is None:  # a binary frame: not part of this protocol
                await socket.close(code=UNSUPPORTED_DATA, reason="text frames only")
                break
            if len(text) > MAX_FRAME:
                await socket.close(code=TOO_BIG, reason="frame too large")
                break
            try:
                inbound = web.parse_frame(ref, text, locale=locale)
            except BadPayload as exc:
                await socket.send_json({"type": "error", "error": str(exc)})
                continue
            await service.accept([inbound])
            shown = getattr(inbound.event, "label", None) or getattr(inbound.event, "text", None)
            if shown:
                await hub.echo(ref, socket, {"type": "echo", "text": shown})
    except (WebSocketDisconnect, RuntimeError):
        # The browser vanished mid-send (an abrupt close): nothing to answer, nothing to log
        # but the fact.
        log.debug("web chat %s: the browser went away", conversation_ref(f"web:{ref}"))
    finally:
        hub.disconnect(ref, socket)
        if socket.application_state == WebSocketState.CONNECTED and (
            socket.client_state == WebSocketState.CONNECTED
        ):
            with contextlib.suppress(RuntimeError):
                await socket.close()


__all__ = ["COOKIE", "UI", "WebHub", "install", "pick_locale", "public_ref", "serve_chat"]

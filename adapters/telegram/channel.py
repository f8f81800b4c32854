"""The Telegram :class:`~adapters.base.Channel`: verify, parse and render for one bot."""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from adapters.base import Inbound, OutboundCall, PayloadMap, RenderContext, WebhookRejected
from flows import Reply

from . import outbound
from .inbound import CHANNEL, parse_update

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)  # case-insensitive already for Starlette and httpx headers
    if value is not None:
        return value
    wanted = name.lower()
    return next((v for key, v in headers.items() if key.lower() == wanted), None)


class TelegramChannel:
    """One Telegram bot's webhook.

    ``secret_token`` is the value given to setWebhook; without one every request is refused,
    because anyone who finds the URL could otherwise post forged updates. ``payloads`` expands
    the tokens that stand for button payloads longer than Telegram's 64 bytes (and shortens
    them when the render context brings no map of its own).
    """

    name = CHANNEL

    def __init__(self, secret_token: str | None, payloads: PayloadMap | None = None) -> None:
        if secret_token and not outbound.is_valid_secret_token(secret_token):
            raise ValueError(
                "the Telegram webhook secret token must be 1-256 characters of A-Z a-z 0-9 _ - "
                "(setWebhook refuses anything else); check SHOPCHAT_TELEGRAM_SECRET_TOKEN"
            )
        self._secret = secret_token.encode("ascii") if secret_token else None
        self.payloads = payloads

    def __repr__(self) -> str:
        return f"TelegramChannel(secret_token={'set' if self._secret else 'missing'})"

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        if self._secret is None:
            raise WebhookRejected(403, "no Telegram secret token configured: refusing all updates")
        given = _header(headers, SECRET_HEADER)
        if given is None:
            raise WebhookRejected(401, f"missing {SECRET_HEADER} header")
        # bytes, because compare_digest refuses str with non-ASCII characters (a forger's choice)
        if not hmac.compare_digest(given.encode("utf-8", "surrogatepass"), self._secret):
            raise WebhookRejected(403, f"wrong {SECRET_HEADER} header")

    def parse(self, body: bytes) -> list[Inbound]:
        return parse_update(body, self.payloads)

    def render(
        self, recipient: str, replies: list[Reply], ctx: RenderContext
    ) -> list[OutboundCall]:
        payloads = ctx.payloads if ctx.payloads is not None else self.payloads
        return outbound.render(recipient, replies, payloads)

    def typing(self, recipient: str) -> OutboundCall:
        """sendChatAction "typing": shown for 5 s or until the next message arrives."""
        return outbound.typing(recipient)

    def answer_callback(self, callback_query_id: str, text: str | None = None) -> OutboundCall:
        """answerCallbackQuery: stops the button's spinner. Answer every callback_query."""
        return outbound.answer_callback(callback_query_id, text)

    def answer_pre_checkout(
        self, query_id: str, ok: bool, error_message: str | None = None
    ) -> OutboundCall:
        """answerPreCheckoutQuery, due within 10 s; ``ok=False`` needs an error_message."""
        return outbound.answer_pre_checkout(query_id, ok, error_message)

    def set_webhook(
        self,
        url: str,
        secret_token: str,
        allowed_updates: list[str] | None = None,
        drop_pending_updates: bool = False,
    ) -> OutboundCall:
        """setWebhook; by default for exactly the update types this adapter reads."""
        return outbound.set_webhook(url, secret_token, allowed_updates, drop_pending_updates)


__all__ = ["SECRET_HEADER", "TelegramChannel"]

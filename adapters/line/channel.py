"""The LINE channel: verify, parse and render (see ``sender`` for sending).

Not built on the official ``line-bot-sdk``: its API clients are urllib3 and aiohttp, so they
cannot run on the runtime's keep-alive httpx transport nor take an injected ``transport=`` in
tests, and its models are ``pydantic.v1`` classes that would drag requests, aiohttp, aenum,
future and python-dateutil into the default install to read six event types. The adapter is
thin instead: the few fields shopchat reads are modelled in ``parse``, and the messages it
sends in ``render``, both from LINE's Messaging API reference (docs/channels-reference.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from flows import Reply

from ..base import Inbound, MessageInbound, OutboundCall, RenderContext
from .parse import CHANNEL, parse_body
from .render import MESSAGES_PER_CALL, render_reply
from .signature import verify_signature

LINK_LABELS: dict[str, str] = {
    "en": "View",
    "pl": "Zobacz",
    "es": "Ver",
    "ru": "Подробнее",
    "fa": "مشاهده",
    "de": "Ansehen",
    "fr": "Voir",
    "ja": "詳細",
    "th": "ดูรายละเอียด",
    "zh": "查看",
}


class LineChannel:
    """LINE webhooks in, reply / push API bodies out.

    A turn's messages go in one reply call (5 messages at most; the reply token works once)
    while the token is fresh, the rest by push. Calls carry ``reply_until`` so that the
    sender pushes a reply whose token has gone stale while it waited.
    """

    name = CHANNEL

    def __init__(self, channel_secret: str) -> None:
        if not channel_secret:
            raise ValueError("LineChannel needs the channel secret to verify webhooks")
        self._secret = channel_secret

    def __repr__(self) -> str:
        return "LineChannel()"

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        verify_signature(self._secret, headers, body)

    def parse(self, body: bytes) -> list[Inbound]:
        return parse_body(body)

    def render(
        self, recipient: str, replies: list[Reply], ctx: RenderContext
    ) -> list[OutboundCall]:
        label = _pick(LINK_LABELS, ctx.locale)
        messages = [m for reply in replies for m in render_reply(reply, label)]
        if not messages or not recipient:
            return []
        cid = f"{CHANNEL}:{recipient}"
        calls: list[OutboundCall] = []
        token, until = self._reply_token(recipient, ctx)
        for i in range(0, len(messages), MESSAGES_PER_CALL):
            batch = messages[i : i + MESSAGES_PER_CALL]
            # A fresh retry key per call: LINE accepts a push with a given key once, so a
            # retried push is never shown twice.
            payload: dict[str, Any] = {
                "to": recipient,
                "messages": batch,
                "retry_key": str(uuid.uuid4()),
            }
            if i == 0 and token is not None:
                payload.update(replyToken=token, reply_until=until)
                calls.append(OutboundCall("reply", payload, cid))
            else:
                calls.append(OutboundCall("push", payload, cid))
        return calls

    def typing(self, recipient: str) -> OutboundCall | None:
        """LINE's loading animation; one-to-one chats only (user ids start with U)."""
        if not recipient.startswith("U"):
            return None
        return OutboundCall(
            "loading", {"chatId": recipient, "loadingSeconds": 10}, f"{CHANNEL}:{recipient}"
        )

    @staticmethod
    def _reply_token(recipient: str, ctx: RenderContext) -> tuple[str | None, float]:
        inbound = ctx.reply_to
        if (
            not isinstance(inbound, MessageInbound)
            or inbound.channel != CHANNEL
            or inbound.recipient != recipient
            or not inbound.reply_token
            or inbound.reply_token_expires is None
            or ctx.now >= inbound.reply_token_expires
        ):
            return None, 0.0
        return inbound.reply_token, inbound.reply_token_expires.timestamp()


def _pick(labels: Mapping[str, str], locale: str) -> str:
    for key in (locale, locale.split("-")[0].split("_")[0], "en"):
        if key in labels:
            return labels[key]
    return "View"

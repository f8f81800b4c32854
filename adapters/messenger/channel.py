"""The Messenger channel: verify, parse and render (see ``sender`` for sending)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flows import Reply

from ..base import Inbound, OutboundCall, RenderContext
from ..meta import HUMAN_AGENT_WINDOW, STANDARD_WINDOW, verify_signature, within
from ..meta_replies import private_reply_call, public_reply_call
from .parse import CHANNEL, parse_body
from .render import TEXT_LIMIT, render_reply, text_messages

#: a public reply is a short courtesy; Facebook comments take far more than this.
COMMENT_LIMIT = 2000

log = logging.getLogger("shopchat.adapters.messenger")

#: the title of a product's web link button, by locale.
LINK_LABELS: dict[str, str] = {
    "en": "View",
    "pl": "Zobacz",
    "es": "Ver",
    "ru": "Подробнее",
    "fa": "مشاهده",
    "de": "Ansehen",
    "fr": "Voir",
    "uk": "Докладніше",
}


class MessengerChannel:
    """Messenger Platform webhooks in, Send API bodies out.

    ``page_id`` limits the channel to one Page: events of other Pages of the same app are
    dropped (and logged). Outside the 24-hour window only a human agent may answer, for 7 days,
    with the ``HUMAN_AGENT`` tag; anything else is not sent.
    """

    name = CHANNEL

    def __init__(
        self,
        app_secret: str,
        page_id: str | None = None,
        *,
        link_label: Mapping[str, str] | None = None,
    ) -> None:
        if not app_secret:
            raise ValueError("MessengerChannel needs the Meta app secret to verify webhooks")
        self._app_secret = app_secret
        self.page_id = page_id
        self.link_label = {**LINK_LABELS, **(link_label or {})}

    def __repr__(self) -> str:
        return f"MessengerChannel(page_id={self.page_id!r})"

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        verify_signature(self._app_secret, headers, body)

    def parse(self, body: bytes) -> list[Inbound]:
        return parse_body(body, self.page_id)

    def render(
        self, recipient: str, replies: list[Reply], ctx: RenderContext
    ) -> list[OutboundCall]:
        if not replies:
            return []
        envelope: dict[str, Any]
        if within(ctx, STANDARD_WINDOW):
            envelope = {"messaging_type": "RESPONSE"}
        elif ctx.human_agent and within(ctx, HUMAN_AGENT_WINDOW):
            envelope = {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
        else:
            log.info(
                "not sending %d repl%s: outside the 24-hour window%s",
                len(replies),
                "y" if len(replies) == 1 else "ies",
                " and the 7-day human agent window" if ctx.human_agent else "",
            )
            return []
        label = self._link_label(ctx.locale)
        return [
            self._call(recipient, {"recipient": {"id": recipient}, **envelope, "message": message})
            for reply in replies
            for message in render_reply(reply, label)
        ]

    def private_reply(
        self, comment_id: str, conversation_id: str, replies: list[Reply]
    ) -> OutboundCall | None:
        """The one private message Meta allows in answer to a comment (``comment_id``)."""
        return private_reply_call(comment_id, replies, text_messages, TEXT_LIMIT, conversation_id)

    def public_reply(self, comment_id: str, conversation_id: str, text: str) -> OutboundCall:
        """A reply under the comment, on the page (``POST /{comment-id}/comments``)."""
        return public_reply_call(comment_id, text, COMMENT_LIMIT, conversation_id)

    def typing(self, recipient: str) -> OutboundCall:
        """Show 'typing…' to the shopper (a separate Send API request)."""
        return self._action(recipient, "typing_on")

    def mark_seen(self, recipient: str) -> OutboundCall:
        """Mark the shopper's last message seen."""
        return self._action(recipient, "mark_seen")

    def _action(self, recipient: str, action: str) -> OutboundCall:
        return self._call(recipient, {"recipient": {"id": recipient}, "sender_action": action})

    def _link_label(self, locale: str) -> str:
        for key in (locale, locale.split("-")[0].split("_")[0], "en"):
            if key in self.link_label:
                return self.link_label[key]
        return LINK_LABELS["en"]

    def _call(self, recipient: str, payload: dict[str, Any]) -> OutboundCall:
        return OutboundCall("messages", payload, conversation_id=f"{CHANNEL}:{recipient}")

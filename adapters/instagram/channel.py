"""The Instagram channel: verify (Meta's signature), parse and render (``sender`` sends).

Rendering is Messenger's (quick replies, generic-template carousels; the same limits) with
Instagram's text limit, 1,000 bytes of UTF-8, and without Messenger-only template options.
Inside 24 hours of the shopper's last message anything may be sent; after it only a human
agent, for 7 days, with the ``HUMAN_AGENT`` tag; otherwise nothing is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from flows import Choice, Reply

from ..base import Inbound, OutboundCall, RenderContext
from ..messenger.channel import LINK_LABELS
from ..messenger.render import render_reply, text_messages
from ..meta import HUMAN_AGENT_WINDOW, STANDARD_WINDOW, split_text, verify_signature, within
from ..meta_replies import private_reply_call, public_reply_call
from .parse import CHANNEL, parse_body

log = logging.getLogger("shopchat.adapters.instagram")

TEXT_BYTES = 1000
COMMENT_LIMIT = 2200  # an Instagram comment's length

Message = dict[str, Any]


def _fit(text: str) -> list[str]:
    """``text`` in pieces of at most 1,000 bytes of UTF-8, cut at paragraphs, lines, words."""
    size = len(text.encode())
    if size <= TEXT_BYTES:
        return [text] if text.strip() else []
    limit = max(1, TEXT_BYTES * len(text) // size)
    while True:
        pieces = split_text(text, limit)
        if all(len(p.encode()) <= TEXT_BYTES for p in pieces) or limit == 1:
            return pieces
        limit = max(1, int(limit * 0.9))


def fit_messages(messages: list[Message]) -> list[Message]:
    """Messages whose text is over 1,000 bytes split; quick replies stay on the last piece."""
    out: list[Message] = []
    for m in messages:
        text = m.get("text")
        if not isinstance(text, str) or len(text.encode()) <= TEXT_BYTES:
            out.append(m)
            continue
        pieces = _fit(text)
        out += [{"text": p} for p in pieces[:-1]]
        out.append({**m, "text": pieces[-1]})
    for m in out:
        payload = m.get("attachment", {}).get("payload", {})
        payload.pop("image_aspect_ratio", None)  # Messenger's, not Instagram's
    return out


def instagram_text(text: str, choices: Sequence[Choice] = ()) -> list[Message]:
    return fit_messages(text_messages(text, choices, limit=TEXT_BYTES))


class InstagramChannel:
    name = CHANNEL

    def __init__(self, app_secret: str, account_id: str | None = None) -> None:
        if not app_secret:
            raise ValueError("InstagramChannel needs the Meta app secret to verify webhooks")
        self._app_secret = app_secret
        self.account_id = account_id

    def __repr__(self) -> str:
        return f"InstagramChannel(account_id={self.account_id!r})"

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        verify_signature(self._app_secret, headers, body)

    def parse(self, body: bytes) -> list[Inbound]:
        return parse_body(body, self.account_id)

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
            log.info("not sending %d replies: outside Instagram's messaging window", len(replies))
            return []
        label = _pick(ctx.locale)
        messages = [
            m
            for reply in replies
            for m in fit_messages(render_reply(reply, label, limit=TEXT_BYTES))
        ]
        return [
            OutboundCall(
                "messages",
                {"recipient": {"id": recipient}, **envelope, "message": message},
                f"{CHANNEL}:{recipient}",
            )
            for message in messages
        ]

    def private_reply(
        self, comment_id: str, conversation_id: str, replies: list[Reply]
    ) -> OutboundCall | None:
        """The one private message Instagram allows per comment (``recipient.comment_id``)."""
        return private_reply_call(
            comment_id, replies, instagram_text, TEXT_BYTES // 4, conversation_id
        )

    def public_reply(self, comment_id: str, conversation_id: str, text: str) -> OutboundCall:
        """A reply under the comment (``POST /{ig-comment-id}/replies``)."""
        return public_reply_call(comment_id, text, COMMENT_LIMIT, conversation_id)

    def typing(self, recipient: str) -> OutboundCall:
        return OutboundCall(
            "messages",
            {"recipient": {"id": recipient}, "sender_action": "typing_on"},
            f"{CHANNEL}:{recipient}",
        )


def _pick(locale: str) -> str:
    for key in (locale, locale.split("-")[0].split("_")[0], "en"):
        if key in LINK_LABELS:
            return LINK_LABELS[key]
    return LINK_LABELS["en"]

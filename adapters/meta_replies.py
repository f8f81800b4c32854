"""Answers to a public comment on Meta's platforms: one public reply, one private reply.

A private reply is a Send API message addressed ``recipient: {comment_id}``; Meta delivers
one per comment, within 7 days of it, so a turn's replies are folded into a single message
here: their texts joined, the last question's choices as quick replies, product cards left
out (the conversation shows them once the shopper answers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flows import Choice, ImageReply, ProductCards, Reply, TextReply

from .base import OutboundCall
from .meta import truncate

Message = dict[str, Any]


def folded(replies: Sequence[Reply]) -> tuple[str, tuple[Choice, ...]]:
    """The texts of ``replies`` as one text, and the last choices offered."""
    texts: list[str] = []
    choices: tuple[Choice, ...] = ()
    for reply in replies:
        if isinstance(reply, TextReply):
            texts.append(reply.text)
            if reply.choices:
                choices = reply.choices
        elif isinstance(reply, ImageReply) and reply.caption:
            texts.append(reply.caption)
        elif isinstance(reply, ProductCards):
            texts.extend(c.title for c in reply.cards[:3] if c.title)
    return "\n\n".join(t.strip() for t in texts if t.strip()), choices


def private_reply_call(
    comment_id: str,
    replies: Sequence[Reply],
    render_text: Callable[[str, Sequence[Choice]], list[Message]],
    limit: int,
    conversation_id: str,
) -> OutboundCall | None:
    """The one Send API call of a private reply, or None when there is nothing to say."""
    text, choices = folded(replies)
    if not text:
        return None
    messages = render_text(text, choices)
    message = next((m for m in reversed(messages) if "quick_replies" in m), messages[0])
    whole = "\n\n".join(m["text"] for m in messages if "text" in m)
    message = {**message, "text": truncate(whole, limit)}
    payload = {
        "recipient": {"comment_id": comment_id},
        "messaging_type": "RESPONSE",
        "message": message,
    }
    return OutboundCall("messages", payload, conversation_id)


def public_reply_call(comment_id: str, text: str, limit: int, conversation_id: str) -> OutboundCall:
    """A public answer under the comment (Page ``/{id}/comments``, Instagram ``/{id}/replies``)."""
    payload = {"comment_id": comment_id, "message": truncate(text.strip(), limit)}
    return OutboundCall("comment_reply", payload, conversation_id)


__all__ = ["folded", "private_reply_call", "public_reply_call"]

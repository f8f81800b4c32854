"""Public comments under a Facebook Page's or an Instagram account's posts, as Inbound events.

A comment becomes a ``CommentInbound`` in the commenter's conversation (``{channel}:{from.id}``),
so that it is ordered with whatever the commenter writes privately; the bot may answer it
once in public and once in private (docs/channels-reference.md). The account's own comments
(its replies under its posts) come back as ``kind="echo"`` and are never answered.

Page ``feed`` change (``item: comment``)::

    {"field": "feed", "value": {"item": "comment", "verb": "add", "comment_id", "post_id",
     "parent_id", "from": {"id", "name"}, "message", "created_time", "post": {"permalink_url"}}}

Instagram ``comments`` change::

    {"field": "comments", "value": {"id", "text", "from": {"id", "username"},
     "media": {"id", "media_product_type"}, "parent_id"}}
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .base import BadPayload, CommentInbound, EchoInbound, Inbound, UnknownInbound
from .meta import validation_summary


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Author(_Model):
    id: str = Field(min_length=1, max_length=64)
    name: str | None = None
    username: str | None = None


class Post(_Model):
    permalink_url: str | None = None


class FeedComment(_Model):
    item: str
    verb: str | None = None
    comment_id: str | None = Field(None, max_length=128, pattern=r"^[0-9A-Za-z_.-]+$")
    post_id: str | None = None
    parent_id: str | None = None
    message: str | None = None
    created_time: int | str | None = None
    author: Author | None = Field(None, alias="from")
    post: Post | None = None


class Media(_Model):
    id: str | None = None
    media_product_type: str | None = None


class InstagramComment(_Model):
    id: str = Field(min_length=1, max_length=128, pattern=r"^[0-9A-Za-z_.-]+$")
    text: str | None = None
    parent_id: str | None = None
    author: Author | None = Field(None, alias="from")
    media: Media | None = None


def _unknown(channel: str, field: str, value: Any, owner: str) -> Inbound:
    raw = orjson.dumps({"field": field, "value": value}, option=orjson.OPT_SORT_KEYS)
    digest = hashlib.sha256(raw).hexdigest()[:24]
    meta = {"field": field, "owner_id": owner}
    return UnknownInbound(channel=channel, event_id=f"change:{digest}", meta=meta)


def _created(value: int | str | None) -> datetime | None:
    if isinstance(value, int) and 0 < value < 10**11:
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("+0000", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _comment(
    channel: str,
    owner: str,
    comment_id: str,
    author: Author,
    text: str,
    sent_at: datetime | None,
    fields: dict[str, Any],
    meta: dict[str, Any],
) -> Inbound:
    name = author.name or author.username
    user: dict[str, Any] = {"id": author.id}
    if name:
        user["name"] = name
    envelope: dict[str, Any] = {
        "channel": channel,
        "event_id": f"comment:{comment_id}",
        "conversation_id": f"{channel}:{author.id}",
        "recipient": author.id,
        "user": user,
        "sent_at": sent_at,
        "meta": {**meta, "owner_id": owner, "comment_id": comment_id},
    }
    if author.id == owner:
        return EchoInbound(text=text, **envelope)
    return CommentInbound(comment_id=comment_id, text=text, **fields, **envelope)


def page_feed_change(channel: str, page_id: str, value: Any, at: datetime | None) -> Inbound:
    """One Page ``feed`` change: a new comment, or an acknowledged-only ``unknown``."""
    try:
        change = FeedComment.model_validate(value)
    except ValidationError as exc:
        if isinstance(value, dict) and value.get("item") == "comment":
            raise BadPayload(f"not a feed comment: {validation_summary(exc)}") from None
        return _unknown(channel, "feed", value, page_id)
    if (
        change.item != "comment"
        or change.verb != "add"
        or not change.comment_id
        or change.author is None
    ):
        return _unknown(channel, "feed", value, page_id)
    fields: dict[str, Any] = {"post_id": change.post_id}
    if change.parent_id and change.parent_id != change.post_id:
        fields["parent_id"] = change.parent_id
    if change.post is not None and change.post.permalink_url:
        fields["link"] = change.post.permalink_url
    else:
        fields["link"] = f"https://www.facebook.com/{change.comment_id}"
    created = _created(change.created_time) or at
    return _comment(
        channel,
        page_id,
        change.comment_id,
        change.author,
        change.message or "",
        created,
        fields,
        {},
    )


def instagram_comment_change(
    channel: str, account_id: str, value: Any, at: datetime | None
) -> Inbound:
    try:
        change = InstagramComment.model_validate(value)
    except ValidationError as exc:
        raise BadPayload(f"not an Instagram comment: {validation_summary(exc)}") from None
    if change.author is None:
        return _unknown(channel, "comments", value, account_id)
    fields: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    if change.media is not None and change.media.id:
        fields["post_id"] = change.media.id
        meta["media_product_type"] = change.media.media_product_type
    if change.parent_id:
        fields["parent_id"] = change.parent_id
    text = change.text or ""
    return _comment(channel, account_id, change.id, change.author, text, at, fields, meta)


__all__ = ["instagram_comment_change", "page_feed_change"]

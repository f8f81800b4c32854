"""The Messenger Platform webhook body, as far as shopchat reads it.

Every model ignores fields it does not name: Meta adds fields over time and they must not turn
a good webhook into a 400.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Party(_Model):
    id: str


class QuickReply(_Model):
    payload: str


class Coordinates(_Model):
    model_config = ConfigDict(allow_inf_nan=False)

    lat: float = Field(ge=-90, le=90)
    long: float = Field(ge=-180, le=180)


class AttachmentPayload(_Model):
    url: str | None = None
    coordinates: Coordinates | None = None
    sticker_id: int | None = None


class Attachment(_Model):
    type: str
    title: str | None = None
    payload: AttachmentPayload | None = None


class ReplyTo(_Model):
    mid: str | None = None


class Message(_Model):
    mid: str
    text: str | None = None
    quick_reply: QuickReply | None = None
    attachments: list[Attachment] = []
    reply_to: ReplyTo | None = None
    is_echo: bool = False
    app_id: int | str | None = None
    metadata: str | None = None


class Referral(_Model):
    ref: str | None = None
    source: str | None = None
    type: str | None = None


class Postback(_Model):
    mid: str | None = None
    title: str | None = None
    payload: str | None = None
    referral: Referral | None = None


class Delivery(_Model):
    mids: list[str] = []
    watermark: int


class Read(_Model):
    watermark: int


class Messaging(_Model):
    """One ``entry[].messaging[]`` event."""

    sender: Party
    recipient: Party
    timestamp: int | None = None
    message: Message | None = None
    postback: Postback | None = None
    delivery: Delivery | None = None
    read: Read | None = None
    referral: Referral | None = None
    # {reaction, emoji, action: react|unreact, mid}
    reaction: dict[str, Any] | None = None
    # An edited message: {mid, text, num_edit}
    message_edit: dict[str, Any] | None = None


class Entry(_Model):
    id: str
    time: int | None = None
    messaging: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []  # Page feed changes: comments under the page's posts


class Notification(_Model):
    object: str
    entry: list[Entry]

"""What a shopper can send: the channel-neutral input vocabulary of the engine.

Adapters turn platform JSON into these; the engine never sees platform payloads.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True)


class TextInput(_Event):
    """The shopper typed something."""

    kind: Literal["text"] = "text"
    text: str


class ChoiceInput(_Event):
    """The shopper pressed a button, quick reply or list row carrying ``payload``."""

    kind: Literal["choice"] = "choice"
    payload: str
    label: str | None = None


class StartInput(_Event):
    """A conversation opened (``/start``, a deep link or referral), optionally with a payload."""

    kind: Literal["start"] = "start"
    payload: str | None = None
    # Set by the server only (an agent hands the conversation back into a flow); adapters
    # never fill it, so a shopper cannot start a flow that has no trigger.
    flow: str | None = None


class LocationInput(_Event):
    kind: Literal["location"] = "location"
    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None


class ContactInput(_Event):
    kind: Literal["contact"] = "contact"
    phone: str
    name: str | None = None


class ImageInput(_Event):
    kind: Literal["image"] = "image"
    url: str | None = None
    caption: str | None = None


class ActionResult(_Event):
    """The outcome of an :class:`~flows.replies.ActionCall` effect, fed back by the driver."""

    kind: Literal["action_result"] = "action_result"
    ok: bool = True
    value: Any = None
    error: str | None = None


class SetLocaleInput(_Event):
    """The channel told us the shopper's language changed (e.g. Telegram ``language_code``)."""

    kind: Literal["set_locale"] = "set_locale"
    locale: str


Event = Annotated[
    TextInput
    | ChoiceInput
    | StartInput
    | LocationInput
    | ContactInput
    | ImageInput
    | ActionResult
    | SetLocaleInput,
    Field(discriminator="kind"),
]

__all__ = [
    "ActionResult",
    "ChoiceInput",
    "ContactInput",
    "Event",
    "ImageInput",
    "LocationInput",
    "SetLocaleInput",
    "StartInput",
    "TextInput",
]

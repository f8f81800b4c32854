"""The WhatsApp Cloud API channel: verify, parse and render (see ``sender`` for sending)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flows import Reply

from ..base import Inbound, OutboundCall, RenderContext
from ..meta import STANDARD_WINDOW, verify_signature, within
from .parse import CHANNEL, parse_body
from .render import Payload, render_reply, template

log = logging.getLogger("shopchat.adapters.whatsapp")

#: the label of the button that opens a list of choices, by locale.
LIST_BUTTON_LABELS: dict[str, str] = {
    "en": "Options",
    "pl": "Opcje",
    "es": "Opciones",
    "ru": "Варианты",
    "fa": "گزینه‌ها",
    "de": "Optionen",
    "fr": "Options",
    "uk": "Варіанти",
}


class WhatsAppChannel:
    """WhatsApp Business Cloud API webhooks in, ``/{phone_number_id}/messages`` bodies out.

    ``phone_number_id`` limits the channel to one business number: events for other numbers of
    the same app are dropped (and logged). Outside the 24-hour customer-service window only an
    approved template may be sent: ``window_template`` names it; without one nothing is sent.
    """

    name = CHANNEL

    def __init__(
        self,
        app_secret: str,
        phone_number_id: str | None = None,
        *,
        window_template: str | None = None,
        template_language: str = "en",
        list_button: Mapping[str, str] | None = None,
    ) -> None:
        if not app_secret:
            raise ValueError("WhatsAppChannel needs the Meta app secret to verify webhooks")
        self._app_secret = app_secret
        self.phone_number_id = phone_number_id
        self.window_template = window_template
        self.template_language = template_language
        self.list_button = {**LIST_BUTTON_LABELS, **(list_button or {})}

    def __repr__(self) -> str:
        return f"WhatsAppChannel(phone_number_id={self.phone_number_id!r})"

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        verify_signature(self._app_secret, headers, body)

    def parse(self, body: bytes) -> list[Inbound]:
        return parse_body(body, self.phone_number_id)

    def render(
        self, recipient: str, replies: list[Reply], ctx: RenderContext
    ) -> list[OutboundCall]:
        if not replies:
            return []
        if not within(ctx, STANDARD_WINDOW):
            if self.window_template:
                return [
                    self._call(
                        recipient,
                        template(recipient, self.window_template, self.template_language),
                    )
                ]
            log.info(
                "not sending %d repl%s: outside the 24-hour window and no window_template",
                len(replies),
                "y" if len(replies) == 1 else "ies",
            )
            return []
        label = self._list_button(ctx.locale)
        return [
            self._call(recipient, payload)
            for reply in replies
            for payload in render_reply(recipient, reply, label)
        ]

    def mark_read(self, message_id: str, *, typing: bool = True) -> OutboundCall:
        """Mark the shopper's message read (blue ticks) and, by default, show 'typing…'."""
        payload: Payload = {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": message_id,
        }
        if typing:
            payload["typing_indicator"] = {"type": "text"}
        return OutboundCall("messages", payload)

    def _list_button(self, locale: str) -> str:
        for key in (locale, locale.split("-")[0].split("_")[0], "en"):
            if key in self.list_button:
                return self.list_button[key]
        return LIST_BUTTON_LABELS["en"]

    def _call(self, recipient: str, payload: Payload) -> OutboundCall:
        return OutboundCall("messages", payload, conversation_id=f"{CHANNEL}:{recipient}")

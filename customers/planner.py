"""What may be sent to one customer on one channel now: the outbound planner.

Broadcasts, cart reminders and order updates ask the same question per recipient, and get one
of these outcomes:

=====================  =====================================================================
``free-form``          the channel has no window (Telegram, the web chat, LINE, Wire) or her
                       last message is less than 24 hours old: the text itself goes out
``template``           WhatsApp outside the window: the event's approved template, in her
                       language, with its parameters
``tagged``             Messenger or Instagram outside the window, with the event's message tag
``no consent``         a marketing message to someone who did not opt in (or said STOP)
``no template``        outside the window without a template (or tag) for the event in her
                       language: nothing may be sent
``unreachable``        she blocked the bot or her number cannot receive messages
=====================  =====================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from .templates import ChosenTemplate, Templates

Outcome = Literal["free-form", "template", "tagged", "no consent", "no template", "unreachable"]
OUTCOMES: tuple[Outcome, ...] = (
    "free-form",
    "template",
    "tagged",
    "no consent",
    "no template",
    "unreachable",
)
SENDS: frozenset[str] = frozenset({"free-form", "template", "tagged"})
Purpose = Literal["service", "marketing"]

WINDOW = timedelta(hours=24)
WINDOWED = frozenset({"whatsapp", "messenger", "instagram"})


@dataclass(frozen=True)
class Recipient:
    """One channel contact, as the planner needs it."""

    conversation_id: str
    channel: str
    recipient: str
    locale: str
    last_inbound_at: datetime | None
    unreachable: bool = False
    marketing: bool | None = None  # her marketing consent: None never asked


@dataclass(frozen=True)
class Planned:
    recipient: Recipient
    outcome: Outcome
    template: ChosenTemplate | None = None
    tag: str | None = None

    @property
    def sends(self) -> bool:
        return self.outcome in SENDS


def plan_for(
    r: Recipient, *, purpose: Purpose, event: str, templates: Templates, now: datetime
) -> Planned:
    """What may go to ``r`` now for ``event`` (``broadcast``, ``cart_reminder``...)."""
    if r.unreachable:
        return Planned(r, "unreachable")
    if purpose == "marketing" and r.marketing is not True:
        return Planned(r, "no consent")
    if r.channel not in WINDOWED:
        return Planned(r, "free-form")
    if r.last_inbound_at is not None and now - r.last_inbound_at < WINDOW:
        return Planned(r, "free-form")
    if r.channel == "whatsapp":
        chosen = templates.whatsapp(event, r.locale)
        return Planned(r, "template", template=chosen) if chosen else Planned(r, "no template")
    tag = templates.messenger_tag(event)
    if tag and purpose == "service":  # Meta's tags are never for promotions
        return Planned(r, "tagged", tag=tag)
    return Planned(r, "no template")


__all__ = [
    "OUTCOMES",
    "SENDS",
    "WINDOW",
    "Outcome",
    "Planned",
    "Purpose",
    "Recipient",
    "plan_for",
]

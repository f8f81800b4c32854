"""Human hand-off: the ticket queue, the bot stepping aside, and the desk agents work from.

Wiring (``bot/app.py``'s lifespan): a :class:`HandoffHook` goes into ``ChatService(hooks=...)``
and a :class:`HandoffDesk` onto ``app.state.handoff``; see ``build_handoff``.
"""

from .config import AngryConfig, HandoffConfig
from .desk import ContextProvider, HandoffDesk
from .errors import (
    ChannelOff,
    HandoffConfigError,
    HandoffError,
    NotYourTicket,
    TicketClosed,
    TicketTaken,
    UnknownFlow,
    UnknownTicket,
    WindowClosed,
)
from .events import DeskEvents
from .hook import HandoffHook
from .hours import BusinessHours
from .metrics import prometheus
from .models import (
    CustomerProfile,
    DeskEvent,
    DeskMetrics,
    Note,
    TicketState,
    TicketSummary,
    TicketView,
    TranscriptLine,
)
from .mood import AngerDetector
from .notify import Notifier, NotifyTargets, sign

__all__ = [
    "ChannelOff",
    "AngerDetector",
    "AngryConfig",
    "BusinessHours",
    "ContextProvider",
    "CustomerProfile",
    "DeskEvent",
    "DeskEvents",
    "DeskMetrics",
    "HandoffConfig",
    "HandoffConfigError",
    "HandoffDesk",
    "HandoffError",
    "HandoffHook",
    "Note",
    "Notifier",
    "NotifyTargets",
    "NotYourTicket",
    "TicketClosed",
    "TicketState",
    "TicketSummary",
    "TicketTaken",
    "TicketView",
    "TranscriptLine",
    "UnknownFlow",
    "UnknownTicket",
    "WindowClosed",
    "prometheus",
    "sign",
]

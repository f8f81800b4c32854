"""Facebook Messenger Platform: webhook verification, parsing, rendering and sending."""

from .channel import LINK_LABELS, MessengerChannel
from .sender import MessengerSender

__all__ = ["LINK_LABELS", "MessengerChannel", "MessengerSender"]

"""WhatsApp Business Cloud API: webhook verification, parsing, rendering and sending."""

from .channel import LIST_BUTTON_LABELS, WhatsAppChannel
from .sender import WhatsAppSender

__all__ = ["LIST_BUTTON_LABELS", "WhatsAppChannel", "WhatsAppSender"]

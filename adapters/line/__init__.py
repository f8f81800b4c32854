"""LINE Messaging API: webhook verification, parsing, rendering (Flex carousels) and sending."""

from .channel import LineChannel
from .sender import LineSender

__all__ = ["LineChannel", "LineSender"]

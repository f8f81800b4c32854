"""Wire, through Wire's bot proxy "Roman": webhook authentication, parsing, rendering, sending."""

from .channel import PollBook, WireChannel
from .sender import TokenSource, WireSender

__all__ = ["PollBook", "TokenSource", "WireChannel", "WireSender"]

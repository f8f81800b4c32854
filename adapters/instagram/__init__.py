"""Instagram Direct (the Instagram messaging API): parsing, rendering and sending.

Webhooks are Meta's: the same ``X-Hub-Signature-256`` and ``hub.*`` handshake as Messenger
and WhatsApp (adapters/meta.py).
"""

from .channel import InstagramChannel
from .sender import InstagramSender

__all__ = ["InstagramChannel", "InstagramSender"]

"""The Telegram channel: Bot API webhooks in, Bot API calls out.

    channel = TelegramChannel(secret_token, payloads=payload_map)
    channel.verify(headers, body); inbound = channel.parse(body)
    calls = channel.render(inbound[0].recipient, replies, ctx)
    await TelegramSender(client, bot_token).send(calls[0])

Errors: see :mod:`adapters.telegram.errors`.
"""

from .channel import SECRET_HEADER, TelegramChannel
from .errors import CALLBACK_DATA_LIMIT, CallbackDataTooLong
from .inbound import UPDATE_TYPES
from .sender import DEFAULT_API_BASE, TelegramSender
from .text import CAPTION_LIMIT, MESSAGE_LIMIT, split_text, utf16_len

__all__ = [
    "CALLBACK_DATA_LIMIT",
    "CAPTION_LIMIT",
    "DEFAULT_API_BASE",
    "MESSAGE_LIMIT",
    "SECRET_HEADER",
    "UPDATE_TYPES",
    "CallbackDataTooLong",
    "TelegramChannel",
    "TelegramSender",
    "split_text",
    "utf16_len",
]

"""Logs without shoppers' personal data: conversation references instead of ids, and a net.

Logs are copied, shipped and kept longer than any database row, so they carry no phone
numbers, emails, names, message texts or credentials. Code logs a conversation by
`conversation_ref` (``whatsapp:~3fa9c2d1e0``): a keyed hash that tells conversations apart
without naming the person (a WhatsApp conversation id *is* her phone number).

`install_log_redaction` is the safety net under that rule, installed by ``shopchat serve``,
``demo`` and ``chat`` and by `bot.app.create_app`: a log record factory that, in every record
of every logger (uvicorn's access log and httpx's request lines included), replaces

* conversation ids (``whatsapp:48600123456``) with their reference;
* emails with ``[email]``;
* phone-like numbers (7 to 15 digits, spaces, dots, dashes or brackets between them, an
  optional ``+``) with ``[phone]`` — also Telegram chat ids, which are personal too; dates,
  IPv4 addresses, decimals and 15 bare digits (Meta's page and phone-number ids) are left;
* credentials: the Telegram bot token in ``/bot<TOKEN>/`` URLs, ``Bearer`` tokens and
  ``token=``/``key=``/``secret=`` query parameters, with ``[secret]``.

Names and message texts have no shape a pattern could find: code must not log them.
A hand-written set of regular expressions, not a library: the PII scrubbers on PyPI
(presidio, scrubadub) need language models and are far too slow for a logging hot path.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
from typing import Any
from urllib.parse import unquote

__all__ = ["conversation_ref", "install_log_redaction", "redact"]

CHANNELS = ("telegram", "whatsapp", "messenger", "instagram", "web", "line", "wire", "terminal")

# Per process unless SHOPCHAT_LOG_KEY names one: a fixed, unkeyed hash of a phone number is
# reversed by hashing every number, so the key must stay secret (workers sharing a key give
# the same reference for the same conversation).
_key = [secrets.token_bytes(16)]

_CONVERSATION = re.compile(r"\b(" + "|".join(CHANNELS) + r"):(?!~)([^\s'\"<>,;)\]}]+)")
_BOT_URL = re.compile(r"/bot[^/\s'\"]+/")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[^\s'\",]+")
_QUERY_SECRET = re.compile(
    r"(?i)\b((?:access_)?token|key|secret|password|signature|sig|hub\.verify_token)=[^&\s'\"]+"
)
_TELEGRAM_TOKEN = re.compile(r"\b\d{6,12}:[A-Za-z0-9_-]{30,}\b")
# No "/" or ":" in the local part: they are legal there but rare, and in a log line they are
# far more often a URL's path around an address.
_EMAIL = re.compile(r"[\w.!#$%&'*+=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w.-])\+?\d(?:[ .()-]{0,2}\d){6,14}(?![\w])")
_NOT_PHONE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[ T].*)?"  # a date
    r"|\d{1,3}(?:\.\d{1,3}){3}"  # an IPv4 address
    r"|\d+\.\d+"  # a decimal
)


def conversation_ref(conversation_id: str) -> str:
    """``whatsapp:~3fa9c2d1e0``: the channel, and a keyed hash of the rest, for logs."""
    channel, sep, rest = (conversation_id or "").partition(":")
    if not sep:
        channel, rest = "conversation", conversation_id or ""
    digest = hmac.new(_key[0], rest.encode("utf-8", "replace"), hashlib.sha256).hexdigest()
    return f"{channel}:~{digest[:10]}"


def _phone(match: re.Match[str]) -> str:
    text = match.group(0)
    if _NOT_PHONE.fullmatch(text):
        return text
    # 15 bare digits are Meta's ids (a WhatsApp phone_number_id, a page): operators need
    # them, and a phone number that long (E.164's maximum) written without "+" is rare.
    if not text.startswith("+") and sum(ch.isdigit() for ch in text) >= 15:
        return text
    return "[phone]"


def redact(text: str) -> str:
    """`text` without conversation ids, emails, phone numbers or credentials."""
    if not text:
        return text
    text = _CONVERSATION.sub(lambda m: conversation_ref(m.group(0)), text)
    text = _BOT_URL.sub("/bot[secret]/", text)
    text = _BEARER.sub(r"\1[secret]", text)
    text = _QUERY_SECRET.sub(r"\1=[secret]", text)
    text = _TELEGRAM_TOKEN.sub("[secret]", text)
    text = _EMAIL.sub("[email]", text)
    return _PHONE.sub(_phone, text)


class _Redacted:
    """A log argument that prints redacted, whichever conversion the format asks for."""

    __slots__ = ("_value",)

    def __init__(self, value: object) -> None:
        self._value = value

    def __str__(self) -> str:
        return _decoded(str(self._value))

    def __repr__(self) -> str:
        return _decoded(repr(self._value))

    def __format__(self, spec: str) -> str:
        return _decoded(format(self._value, spec))


def _decoded(text: str) -> str:
    # URLs and paths arrive percent-encoded (%2B48%20600...): read them decoded.
    return redact(unquote(text) if "%" in text else text)


def _clean(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return _decoded(value)
    return _Redacted(value)


_installed: list[Any] = []


def install_log_redaction(key: str | None = None) -> None:
    """Redact every log record of this process from now on (idempotent).

    ``key`` (or SHOPCHAT_LOG_KEY) keys the conversation references; without one each process
    draws its own. SQLAlchemy's engine logger is turned down to WARNING unless its level was
    set: it follows the root's level, and at DEBUG it prints result rows, shoppers' messages
    included (at INFO it echoes statements, whose parameters the store's engines hide).
    """
    key = key or os.environ.get("SHOPCHAT_LOG_KEY")
    if key:
        _key[0] = hashlib.sha256(key.encode()).digest()
    if _installed:
        return
    engine_log = logging.getLogger("sqlalchemy.engine")
    if engine_log.level == logging.NOTSET:
        engine_log.setLevel(logging.WARNING)
    previous = logging.getLogRecordFactory()
    formatter = logging.Formatter()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            # The message is a format string: redacted as is, never percent-decoded.
            msg = record.msg
            record.msg = redact(msg) if isinstance(msg, str) else _clean(msg)
            if isinstance(record.args, tuple):
                record.args = tuple(_clean(arg) for arg in record.args)
            elif isinstance(record.args, dict):
                record.args = {k: _clean(v) for k, v in record.args.items()}
            if record.exc_info and record.exc_info[0] is not None:
                # Exception messages quote input; the formatter reuses exc_text when set.
                record.exc_text = redact(formatter.formatException(record.exc_info))
            if record.stack_info:
                record.stack_info = redact(record.stack_info)
        except Exception:  # a log line must never break the code that logs it
            record.msg, record.args = "(log line withheld: it could not be redacted)", ()
        return record

    logging.setLogRecordFactory(factory)
    _installed.append(factory)

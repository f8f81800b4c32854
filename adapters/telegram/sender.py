"""Sending Bot API calls: ``POST {api_base}/bot<token>/<method>`` with JSON.

Errors are read from Telegram's body ``{ok: false, error_code, description, parameters}`` and
keyed on ``error_code`` only; descriptions change wording without notice.

The token sits in every request URL, and httpx logs each request URL at INFO level, so the
sender masks the token in everything it returns and redacts bot tokens from the ``httpx`` and
``shopchat.adapters`` log records.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import replace
from typing import Any

import httpx
import orjson

from adapters.base import OutboundCall, SendResult
from adapters.http import ApiSender, Sleep, retry_after_header
from adapters.pace import Pace, PaceLimits, Rate

from .inbound import CHANNEL

DEFAULT_API_BASE = "https://api.telegram.org"
MASK = "<token>"

# <bot id>:<secret>, as BotFather issues them
_BOT_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]{30,}")


class RedactBotTokens(logging.Filter):
    """Replaces anything shaped like a bot token in a log record's message."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the handler's to report, not ours
            return True
        redacted = _BOT_TOKEN.sub(MASK, message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def redact_bot_tokens_in_logs(*logger_names: str) -> None:
    """Adds the redacting filter to each named logger once."""
    for logger_name in logger_names:
        logger = logging.getLogger(logger_name)
        if not any(isinstance(existing, RedactBotTokens) for existing in logger.filters):
            logger.addFilter(RedactBotTokens())


class TelegramSender(ApiSender):
    """Sends :class:`~adapters.base.OutboundCall` s to one bot's Bot API endpoint."""

    name = CHANNEL
    # About one message a second to a chat (bursts allowed), about 30 a second overall.
    limits = PaceLimits(per_conversation=Rate(1.0, burst=4), overall=Rate(30.0, burst=30))

    def __init__(
        self,
        client: httpx.AsyncClient,
        token: str,
        api_base: str = DEFAULT_API_BASE,
        *,
        max_attempts: int = 5,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        sleep: Sleep = asyncio.sleep,
        pace: Pace | None = None,
        rate_limits: bool = True,
    ) -> None:
        super().__init__(
            client,
            max_attempts=max_attempts,
            base_delay=base_delay,
            max_delay=max_delay,
            sleep=sleep,
            pace=pace,
            rate_limits=rate_limits,
        )
        if not token:
            raise ValueError("a Telegram bot token is required (from @BotFather)")
        self._token = token
        self.api_base = api_base.rstrip("/")
        redact_bot_tokens_in_logs("httpx", "shopchat.adapters")

    def __repr__(self) -> str:
        return f"TelegramSender(api_base={self.api_base!r})"

    def mask(self, text: str) -> str:
        """``text`` with this bot's token (and any token-shaped string) replaced."""
        return _BOT_TOKEN.sub(MASK, text.replace(self._token, MASK))

    def counted(self, call: OutboundCall) -> bool:
        # Messages count; chat actions, callback and pre-checkout answers do not.
        method = call.method
        return method != "sendChatAction" and (
            method.startswith("send") or method in ("copyMessage", "forwardMessage")
        )

    def request(self, call: OutboundCall) -> httpx.Request:
        return self.json_request(f"{self.api_base}/bot{self._token}/{call.method}", call.payload)

    def classify(self, response: httpx.Response) -> SendResult:
        status = response.status_code
        try:
            body: Any = orjson.loads(response.content)
        except ValueError:  # also a body that is not UTF-8
            return SendResult(ok=False, status=status, error=f"HTTP {status}: not a JSON response")
        if not isinstance(body, dict):
            return SendResult(ok=False, status=status, error=f"HTTP {status}: not a Bot API reply")
        if body.get("ok") is True:
            return SendResult(ok=True, status=status, response=body)
        code = body.get("error_code")
        if not isinstance(code, int) or isinstance(code, bool):
            code = status
        description = body.get("description")
        error = self.mask(f"{code} {description}" if isinstance(description, str) else str(code))
        if code == 429:
            return SendResult(
                ok=False,
                status=status,
                retry_after=_retry_after(body, response),
                error=error,
                response=body,
            )
        if code >= 500:
            return SendResult(ok=False, status=status, error=error, response=body)
        if code == 403:  # bot blocked, user deactivated, kicked from the group
            return SendResult(
                ok=False,
                status=status,
                permanent=True,
                unreachable=True,
                error=error,
                response=body,
            )
        # 400 bad request, 401 bad token, 404 unknown method, 409 webhook conflict: all repeat
        return SendResult(ok=False, status=status, permanent=True, error=error, response=body)

    async def send(self, call: OutboundCall) -> SendResult:
        result = await super().send(call)
        if not result.error:
            return result
        masked = self.mask(result.error)
        return result if masked == result.error else replace(result, error=masked)


def _retry_after(body: dict[str, Any], response: httpx.Response) -> float | None:
    parameters = body.get("parameters")
    value = parameters.get("retry_after") if isinstance(parameters, dict) else None
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return retry_after_header(response)


__all__ = ["DEFAULT_API_BASE", "RedactBotTokens", "TelegramSender", "redact_bot_tokens_in_logs"]

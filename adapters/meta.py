"""What WhatsApp and Messenger share: Meta's webhook signature and handshake, Graph API errors.

Both platforms sign every POST with ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256>`` over the
**raw** body (Meta signs its escaped-unicode JSON, so a re-serialised body never verifies),
subscribe a webhook with the same ``hub.*`` GET handshake, and answer Send API errors as
``{"error": {"code", "error_subcode", "message", ...}}``. :class:`MetaSender` turns those codes
into the retry / permanent / unreachable decisions of :class:`~adapters.http.ApiSender`.

The text helpers here (``split_text``, ``truncate``, ``numbered``) keep both renderers within
their platform limits the same way.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

import httpx
import orjson

from flows import MediaInput, TextInput
from shoptext import parse_ascii_int

from .base import (
    BadPayload,
    MessageInbound,
    OutboundCall,
    RenderContext,
    SendResult,
    UnknownInbound,
    WebhookRejected,
)
from .http import ApiSender, retry_after_header
from .pace import PaceLimits, Rate

log = logging.getLogger("shopchat.adapters.meta")

SIGNATURE_HEADER = "X-Hub-Signature-256"
_SIGNATURE_PREFIX = "sha256="


# -- webhook authentication --------------------------------------------------------------
def _header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive lookup that also works on a plain dict."""
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def verify_signature(app_secret: str, headers: Mapping[str, str], body: bytes) -> None:
    """Raise WebhookRejected unless ``X-Hub-Signature-256`` signs ``body`` with ``app_secret``.

    401 when the header is missing or malformed, 403 when it is well formed but wrong.
    """
    if not app_secret:
        # An empty key would make every forged signature computable: refuse, loudly.
        raise WebhookRejected(403, "no app secret is configured")
    header = _header(headers, SIGNATURE_HEADER)
    if header is None:
        raise WebhookRejected(401, f"missing {SIGNATURE_HEADER}")
    header = header.strip()
    if not header.startswith(_SIGNATURE_PREFIX):
        raise WebhookRejected(401, f"malformed {SIGNATURE_HEADER}: expected 'sha256=<hex>'")
    try:
        given = bytes.fromhex(header[len(_SIGNATURE_PREFIX) :])
    except ValueError:
        raise WebhookRejected(401, f"malformed {SIGNATURE_HEADER}: not hex") from None
    if len(given) != hashlib.sha256().digest_size:
        raise WebhookRejected(401, f"malformed {SIGNATURE_HEADER}: not a SHA-256 digest")
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, given):
        raise WebhookRejected(403, f"{SIGNATURE_HEADER} does not match the body")


def handshake(query: Mapping[str, str], verify_token: str) -> str:
    """The ``hub.challenge`` to answer (as text/plain) to a subscribe request with our token.

    Raises WebhookRejected(403) for any other request, and always when ``verify_token`` is
    empty.
    """
    mode = query.get("hub.mode")
    token = query.get("hub.verify_token")
    challenge = query.get("hub.challenge")
    if mode != "subscribe" or token is None or challenge is None or not verify_token:
        raise WebhookRejected(403, "not a webhook subscription request")
    if not hmac.compare_digest(token.encode(), verify_token.encode()):
        raise WebhookRejected(403, "hub.verify_token does not match")
    return challenge


# -- webhook bodies ----------------------------------------------------------------------
def load_object(body: bytes, expected: str) -> dict[str, Any]:
    """The JSON object of a webhook body whose ``object`` is ``expected``; else BadPayload."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadPayload(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadPayload("the body is not a JSON object")
    if data.get("object") != expected:
        got = repr(data.get("object"))[:40]
        raise BadPayload(f"'object' is {got}, expected {expected!r}")
    return data


def validation_summary(exc: Exception) -> str:
    """A pydantic ValidationError as 'where: what' lines, without echoing the shopper's input."""
    errors = getattr(exc, "errors", None)
    if errors is None:
        return str(exc)
    parts = []
    for error in errors(include_input=False, include_url=False)[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()))
        parts.append(f"{where}: {error.get('msg', '')}")
    return "; ".join(parts)


# -- messaging windows -------------------------------------------------------------------
STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)


def within(ctx: RenderContext, window: timedelta) -> bool:
    """Whether the shopper's last message is recent enough for ``window`` (no message: no)."""
    if ctx.last_inbound_at is None:
        return False
    return ctx.now - ctx.last_inbound_at <= window


# -- text within limits ------------------------------------------------------------------
_BREAKS = ("\n\n", "\n", " ")


def split_text(text: str, limit: int) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at a paragraph, line or word.

    Only a word longer than ``limit`` is cut inside. Whitespace at the cuts is dropped, and so
    are pieces that would be empty.
    """
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = -1
        for sep in _BREAKS:
            cut = window.rfind(sep)
            if cut > 0:
                break
        if cut <= 0:
            cut = limit
        piece = rest[:cut].rstrip()
        if piece:
            pieces.append(piece)
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in '…' when something was cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def numbered(text: str, labels: Iterable[str], start: int = 1) -> str:
    """``text`` followed by '1. label' lines: the shopper answers by typing the number."""
    lines = [f"{n}. {label}" for n, label in enumerate(labels, start)]
    return "\n\n".join(part for part in (text.strip(), "\n".join(lines)) if part)


# -- Graph API errors --------------------------------------------------------------------


def reaction_inbound(
    sender: str,
    reaction: Mapping[str, Any],
    timestamp: Any,
    meta: dict[str, Any],
    common: dict[str, Any],
) -> MessageInbound | UnknownInbound:
    """A Messenger or Instagram reaction to one of our messages: answered with what the shop
    can do, like any media it cannot read; taking a reaction back says nothing."""
    meta.update(reaction=reaction.get("reaction"), reacted_to=reaction.get("mid"))
    event_id = f"reaction:{sender}:{reaction.get('mid')}:{reaction.get('action')}:{timestamp}"
    if reaction.get("action") == "react":
        return MessageInbound(
            event_id=event_id, event=MediaInput(media="reaction"), meta=meta, **common
        )
    return UnknownInbound(event_id=event_id, meta=meta, **common)


def edit_inbound(
    edit: Mapping[str, Any], meta: dict[str, Any], common: dict[str, Any]
) -> MessageInbound | UnknownInbound:
    """A Messenger or Instagram message edit, taken as a new message (as on Telegram)."""
    text = edit.get("text")
    event_id = f"edit:{edit.get('mid')}:{edit.get('num_edit')}"
    if isinstance(text, str) and text.strip():
        return MessageInbound(event_id=event_id, event=TextInput(text=text), meta=meta, **common)
    return UnknownInbound(event_id=event_id, meta=meta, **common)


class MetaSender(ApiSender):
    """Sends to the Graph API and reads its errors by code (never by message text).

    Subclasses name the codes of their platform. The token is kept out of ``repr`` and logs.
    """

    name = "meta"
    #: rate limits and temporary failures: retry, honouring Retry-After.
    retry_codes: frozenset[int] = frozenset({1, 2, 4})
    #: (code, subcode or None for any) of "outside the messaging window".
    window_closed_codes: frozenset[tuple[int, int | None]] = frozenset()
    #: the person cannot be reached: stop sending to them.
    unreachable_codes: frozenset[int] = frozenset()
    #: seconds to wait on a code when the response names no time.
    code_delays: Mapping[int, float] = {}
    #: the Send API takes about 300 calls a second per Page.
    limits = PaceLimits(overall=Rate(300.0, burst=300))

    def __init__(
        self,
        client: httpx.AsyncClient,
        token: str,
        *,
        graph_base: str = "https://graph.facebook.com",
        version: str = "v23.0",
        **retry: Any,
    ) -> None:
        super().__init__(client, **retry)
        if not token:
            raise ValueError(f"{type(self).__name__} needs an access token")
        self._token = token
        self.graph_base = graph_base.rstrip("/")
        self.version = version

    def __repr__(self) -> str:
        return f"{type(self).__name__}(graph_base={self.graph_base!r}, version={self.version!r})"

    def endpoint(self, call: OutboundCall) -> str:
        raise NotImplementedError

    def request(self, call: OutboundCall) -> httpx.Request:
        # The token goes in the Authorization header, never the URL, so that it cannot leak
        # into access logs or into the text of an httpx error.
        return self.json_request(
            self.endpoint(call), call.payload, {"Authorization": f"Bearer {self._token}"}
        )

    def counted(self, call: OutboundCall) -> bool:
        # A typing indicator or a read receipt is not a message.
        payload = call.payload
        return "sender_action" not in payload and payload.get("status") != "read"

    def retryable(self, response: httpx.Response, result: SendResult) -> bool:
        # classify() marks everything not worth retrying as permanent or unreachable, so what
        # reaches here (rate limits arrive as HTTP 400 with a code) is retryable.
        return True

    def classify(self, response: httpx.Response) -> SendResult:
        body = _json_object(response)
        status = response.status_code
        if 200 <= status < 300:
            return SendResult(ok=True, status=status, response=body)
        raw_error = body.get("error")
        error: dict[str, Any] = raw_error if isinstance(raw_error, dict) else {}
        code = _int(error.get("code"))
        subcode = _int(error.get("error_subcode"))
        detail = _error_text(status, code, subcode, error)
        summary = {
            k: error[k] for k in ("code", "error_subcode", "type", "fbtrace_id") if k in error
        }
        response_info: dict[str, Any] = {"error": summary} if summary else {}
        if code is not None and (
            (code, subcode) in self.window_closed_codes or (code, None) in self.window_closed_codes
        ):
            response_info["window_closed"] = True
            return SendResult(
                ok=False, status=status, permanent=True, error=detail, response=response_info
            )
        if code in self.unreachable_codes:
            return SendResult(
                ok=False, status=status, unreachable=True, error=detail, response=response_info
            )
        if code == 190:  # bad or expired token: every retry fails the same way
            return SendResult(
                ok=False, status=status, permanent=True, error=detail, response=response_info
            )
        if code in self.retry_codes or status == 429 or status >= 500:
            delay = retry_after_header(response)
            if delay is None:
                delay = _usage_delay(response)
            if delay is None and code is not None:
                delay = self.code_delays.get(code)
            return SendResult(
                ok=False, status=status, retry_after=delay, error=detail, response=response_info
            )
        return SendResult(
            ok=False, status=status, permanent=True, error=detail, response=response_info
        )


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        data = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return parse_ascii_int(value.strip())
    return None


def _error_text(
    status: int, code: int | None, subcode: int | None, error: Mapping[str, Any]
) -> str:
    where = f"HTTP {status}"
    if code is not None:
        where += f" code {code}" + (f"/{subcode}" if subcode is not None else "")
    message = error.get("message")
    return f"{where}: {message}" if isinstance(message, str) and message else where


def _usage_delay(response: httpx.Response) -> float | None:
    """Seconds until a throttled app or page regains access, from Meta's usage headers."""
    minutes: list[float] = []
    for header in ("X-Business-Use-Case-Usage", "X-Page-Usage", "X-App-Usage"):
        raw = response.headers.get(header)
        if not raw:
            continue
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        blocks: list[Any] = []
        if isinstance(data, dict):
            blocks = [data]
            for value in data.values():
                if isinstance(value, list):
                    blocks.extend(value)
        for block in blocks:
            if isinstance(block, dict):
                value = block.get("estimated_time_to_regain_access")
                if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
                    minutes.append(float(value))
    return max(minutes) * 60 if minutes else None


__all__ = [
    "HUMAN_AGENT_WINDOW",
    "SIGNATURE_HEADER",
    "STANDARD_WINDOW",
    "MetaSender",
    "handshake",
    "load_object",
    "numbered",
    "split_text",
    "truncate",
    "validation_summary",
    "verify_signature",
    "within",
]

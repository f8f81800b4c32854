"""``X-Line-Signature``: base64 of HMAC-SHA256 over the raw body, keyed with the channel secret."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping

from ..base import WebhookRejected

SIGNATURE_HEADER = "X-Line-Signature"


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def sign(channel_secret: str, body: bytes) -> str:
    """The signature LINE sends with ``body`` (tests and tools use it to sign samples)."""
    digest = hmac.new(channel_secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_signature(channel_secret: str, headers: Mapping[str, str], body: bytes) -> None:
    """Raise WebhookRejected unless the header signs ``body``: 401 missing or malformed, 403
    wrong. The digest is compared in constant time, over the raw bytes (LINE signs exactly what
    it sent; a re-serialised body would not verify)."""
    if not channel_secret:
        raise WebhookRejected(403, "no LINE channel secret is configured")
    header = _header(headers, SIGNATURE_HEADER)
    if header is None:
        raise WebhookRejected(401, f"missing {SIGNATURE_HEADER}")
    try:
        given = base64.b64decode(header.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise WebhookRejected(401, f"malformed {SIGNATURE_HEADER}: not base64") from None
    if len(given) != hashlib.sha256().digest_size:
        raise WebhookRejected(401, f"malformed {SIGNATURE_HEADER}: not a SHA-256 digest")
    expected = hmac.new(channel_secret.encode(), body, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, given):
        raise WebhookRejected(403, f"{SIGNATURE_HEADER} does not match the body")

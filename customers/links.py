"""Signed link codes: a chat opened from a link the shop sent joins the customer it was sent to.

``link_code(secret, customer_id, expires)`` makes ``c<id>_<expiry>_<signature>`` (letters,
digits, ``_`` and ``-``, under 64 characters: a Telegram ``/start`` deep-link payload, a web
chat start payload); the signature is HMAC-SHA256 under ``customer_link_secret``, so a code
cannot be made up or changed to another customer, and it stops working after ``expires``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import datetime

_CODE = re.compile(r"^c(\d{1,12})_(\d{1,12})_([A-Za-z0-9_-]{22})$")


def _signature(secret: str, customer_id: int, expires: int) -> str:
    mac = hmac.new(secret.encode(), f"{customer_id}.{expires}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:16]).decode().rstrip("=")


def link_code(secret: str, customer_id: int, expires: datetime) -> str:
    """A code that names ``customer_id`` until ``expires``."""
    stamp = int(expires.timestamp())
    return f"c{customer_id}_{stamp}_{_signature(secret, customer_id, stamp)}"


def verify_code(secret: str | None, code: str | None, now: datetime) -> int | None:
    """The customer a genuine, unexpired code names; None for anything else."""
    if not secret or not code:
        return None
    found = _CODE.match(code.strip())
    if found is None:
        return None
    customer_id, stamp, given = int(found[1]), int(found[2]), found[3]
    if stamp < now.timestamp():
        return None
    if not hmac.compare_digest(given, _signature(secret, customer_id, stamp)):
        return None
    return customer_id


__all__ = ["link_code", "verify_code"]

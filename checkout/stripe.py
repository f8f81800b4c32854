"""Stripe Checkout over plain httpx: create a session for an order, verify webhook signatures.

Sessions are created with a short timeout and an ``Idempotency-Key``, so a retried request
(a double tap, a timeout) gives the same session instead of a second charge page.
Fulfilment happens only from the signed webhook, never from the success page.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from checkout.errors import CheckoutError, PaymentProviderError
from checkout.orders import Order
from shoptext import parse_ascii_int

DEFAULT_API_BASE = "https://api.stripe.com"
SIGNATURE_TOLERANCE = 300  # seconds
SESSION_LIFETIME = timedelta(hours=23)  # Stripe allows 30 minutes to 24 hours


class SignatureInvalid(CheckoutError):
    """A Stripe webhook whose ``Stripe-Signature`` does not prove it came from Stripe."""


@dataclass(frozen=True)
class StripeSession:
    id: str
    url: str


class StripeCheckout:
    """Creates Checkout Sessions with the secret key; ``client`` is injectable for tests."""

    def __init__(
        self,
        secret_key: str,
        *,
        api_base: str = DEFAULT_API_BASE,
        client: httpx.Client | None = None,
        timeout: float = 5.0,
    ) -> None:
        self.secret_key = secret_key
        self.api_base = api_base.rstrip("/")
        self.client = client or httpx.Client(timeout=timeout)
        self.timeout = timeout

    def create_session(
        self,
        order: Order,
        *,
        title: str,
        success_url: str,
        cancel_url: str,
        idempotency_key: str,
        now: datetime,
    ) -> StripeSession:
        """One line for the whole order total, so what Stripe charges is exactly the order."""
        form: dict[str, Any] = {
            "mode": "payment",
            "line_items[0][price_data][currency]": order.currency.lower(),
            "line_items[0][price_data][unit_amount]": str(order.total),
            "line_items[0][price_data][product_data][name]": title[:250],
            "line_items[0][quantity]": "1",
            "success_url": success_url,
            "cancel_url": cancel_url,
            "client_reference_id": order.number,
            "metadata[order_number]": order.number,
            "expires_at": str(int((now + SESSION_LIFETIME).timestamp())),
        }
        if order.email:
            form["customer_email"] = order.email
        if self.client.is_closed:  # the app was stopped and started again
            self.client = httpx.Client(timeout=self.timeout)
        try:
            response = self.client.post(
                f"{self.api_base}/v1/checkout/sessions",
                data=form,
                headers={
                    "Authorization": f"Bearer {self.secret_key}",
                    "Idempotency-Key": idempotency_key[:255],
                },
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            raise PaymentProviderError(f"Stripe could not be reached: {exc}") from exc
        if response.status_code >= 400:
            try:
                message = response.json().get("error", {}).get("message", "")
            except ValueError:
                message = response.text[:200]
            raise PaymentProviderError(
                f"Stripe refused the session ({response.status_code}): {message}"
            )
        data = response.json()
        if not isinstance(data.get("id"), str) or not isinstance(data.get("url"), str):
            raise PaymentProviderError("Stripe answered without a session id and url")
        return StripeSession(data["id"], data["url"])

    def close(self) -> None:
        self.client.close()


def verify_signature(
    header: str | None,
    body: bytes,
    secret: str,
    *,
    now: datetime,
    tolerance: int = SIGNATURE_TOLERANCE,
) -> None:
    """Raise SignatureInvalid unless ``header`` signs ``body`` with ``secret`` recently.

    ``Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>]``: HMAC-SHA256 of ``"{t}." + body``,
    compared in constant time; a timestamp more than ``tolerance`` seconds away is refused
    (a replay of an old, genuinely signed delivery).
    """
    if not header:
        raise SignatureInvalid("no Stripe-Signature header")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            # ASCII digits within 1970..2286: "t=²" or twenty nines are refused, not a 500.
            timestamp = parse_ascii_int(value, high=9_999_999_999)
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        raise SignatureInvalid("Stripe-Signature has no timestamp or no v1 signature")
    signed_at = datetime.fromtimestamp(timestamp, UTC)
    if abs((now - signed_at).total_seconds()) > tolerance:
        raise SignatureInvalid("Stripe-Signature timestamp is outside the tolerance")
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    if not any(hmac.compare_digest(expected, given) for given in signatures):
        raise SignatureInvalid("Stripe-Signature does not match")


def sign(body: bytes, secret: str, at: datetime) -> str:
    """A ``Stripe-Signature`` header for ``body`` (what Stripe sends; for tests and tools)."""
    timestamp = int(at.timestamp())
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


__all__ = [
    "DEFAULT_API_BASE",
    "SignatureInvalid",
    "StripeCheckout",
    "StripeSession",
    "sign",
    "verify_signature",
]

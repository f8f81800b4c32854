"""Who a shopper is, from the email or phone number she typed: one key per person, not per string.

Per-customer limits (a discount code's ``max_uses_per_customer``) must not be beaten by typing
the same address another way. Emails are parsed and normalised by `email-validator` (Unicode
NFC, IDNA domain, lower-case domain), phone numbers by `phonenumbers` (E.164, with the shop's
country for numbers written without a country code). On top of that, the shop's rule for an
email *identity* is deliberately broad:

* case does not matter anywhere in the address;
* plus-addressing is ignored: ``dee+1@example.com`` is ``dee@example.com``;
* dots in the part before ``@`` are ignored, at every domain: ``d.ee@example.com`` is
  ``dee@example.com``. Gmail ignores them; most other providers do not, but two different
  people whose addresses differ only by a dot are rare, and mistaking them costs one of them a
  repeated discount, while telling them apart would let anyone repeat it at will.

These keys are for counting and matching only; orders keep and use the address as typed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

import phonenumbers
from babel.core import get_global
from email_validator import EmailNotValidError, validate_email

MAX_INPUT = 320  # RFC 5321's longest address; anything longer is not an identity


def email_identity(email: str) -> str | None:
    """``"email:dee@example.com"`` for any spelling of that address; None if it is not one."""
    text = unicodedata.normalize("NFKC", email or "").strip()
    if not text or len(text) > MAX_INPUT or "@" not in text:
        return None
    try:
        parsed = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return None
    local = parsed.local_part.casefold().split("+", 1)[0].replace(".", "")
    if not local:
        return None
    return f"email:{local}@{parsed.ascii_domain.lower()}"


def phone_identity(phone: str, region: str | None = None) -> str | None:
    """``"phone:+48600123456"`` for any way of writing that number; None if it is not one.

    ``region`` (ISO 3166 alpha-2, e.g. ``PL``) reads numbers written without a country code;
    without it, such numbers are not identities (they could be anyone's abroad).
    """
    text = unicodedata.normalize("NFKC", phone or "").strip()
    if not text or len(text) > 64:
        return None
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, (region or "").upper() or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return "phone:" + phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def region_for_timezone(timezone: str | None) -> str | None:
    """The country of an IANA time zone (``Europe/Warsaw`` -> ``PL``), from CLDR via Babel."""
    if not timezone:
        return None
    territory = get_global("zone_territories").get(timezone)
    return str(territory) if territory and territory != "001" else None


def customer_keys(
    email: str, phone: str, conversation_id: str, *, region: str | None = None
) -> tuple[str, ...]:
    """Every key a purchase counts under: the email's, the phone's and the conversation's.

    Counting a use under each means switching from email to phone, or to another
    conversation with the same address, still finds it.
    """
    keys: list[str] = []
    for key in (email_identity(email), phone_identity(phone, region)):
        if key:
            keys.append(key)
    if conversation_id:
        keys.append(f"chat:{conversation_id}")
    return tuple(dict.fromkeys(keys))


def identity_of(contact: str, *, region: str | None = None) -> str | None:
    """The identity of one typed contact, email or phone, whichever it is."""
    return email_identity(contact) if "@" in (contact or "") else phone_identity(contact, region)


def any_identity(values: Iterable[str], *, region: str | None = None) -> set[str]:
    """The identities among typed contacts (unusable ones are left out)."""
    return {key for value in values if (key := identity_of(value, region=region))}


__all__ = [
    "any_identity",
    "customer_keys",
    "email_identity",
    "identity_of",
    "phone_identity",
    "region_for_timezone",
]

"""Parsing a shopper's answer into a typed slot value.

Each parser returns the value, or raises :class:`InvalidAnswer` with the key of the system
text that explains what is expected.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import get_currency_symbol

from .money import minor_units
from .text import ascii_digits, fold, fold_phrase, parse_int


class InvalidAnswer(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # a SYSTEM_TEXTS key


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:[ \u00a0\u202f.,']\d{3})+(?:[.,]\d{1,2})?$")
_TODAY = {"today", "dzis", "dzisiaj", "hoy", "сегодня", "امروز"}
_TOMORROW = {"tomorrow", "jutro", "manana", "завтра", "فردا"}
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%y")


def parse_number(text: str) -> Decimal:
    raw = ascii_digits(text).strip().replace("\u00a0", " ")
    if _NUMBER.match(raw):
        return Decimal(raw.replace(",", "."))
    if _GROUPED.match(raw):
        # "1 299,50" / "1,299.50" / "1.299": the last separator followed by 1-2 digits is
        # the decimal point, every other separator groups thousands.
        m = re.search(r"[.,](\d{1,2})$", raw)
        whole, frac = (raw[: m.start()], m.group(1)) if m else (raw, "")
        digits = re.sub(r"[^\d+-]", "", whole)
        return Decimal(f"{digits}.{frac}" if frac else digits)
    raise InvalidAnswer("invalid_number")


def parse_money(text: str, currency: str) -> int:
    """An amount in the shop's currency, as integer minor units ("150 zł" -> 15000)."""
    raw = fold_phrase(text)
    for token in {currency.lower(), fold(get_currency_symbol(currency, "en"))} | _symbols(currency):
        raw = raw.replace(token, " ")
    try:
        amount = parse_number(raw.strip())
    except InvalidAnswer:
        raise InvalidAnswer("invalid_money") from None
    exponent = minor_units(currency)
    try:
        minor = (amount.scaleb(exponent)).to_integral_exact()
    except InvalidOperation:
        raise InvalidAnswer("invalid_money") from None
    if minor != amount.scaleb(exponent):
        raise InvalidAnswer("invalid_money")
    return int(minor)


def _symbols(currency: str) -> set[str]:
    symbols = set()
    for loc in ("en", "pl", "es", "ru", "fa", "de", "fr"):
        try:
            symbols.add(fold(get_currency_symbol(currency, loc)))
        except Exception:
            continue
    return {s for s in symbols if s}


def parse_date(text: str, today: date) -> str:
    raw = fold_phrase(text)
    if raw in _TODAY:
        return today.isoformat()
    if raw in _TOMORROW:
        return (today + timedelta(days=1)).isoformat()
    raw = ascii_digits(raw)
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(raw, fmt).date().isoformat()
        except ValueError:
            continue
    raise InvalidAnswer("invalid_date")


def parse_phone(text: str) -> str:
    raw = ascii_digits(text).strip()
    if not re.fullmatch(r"\+?[\d\s\-().]+", raw):
        raise InvalidAnswer("invalid_phone")
    digits = re.sub(r"\D", "", raw)
    if not 7 <= len(digits) <= 15:
        raise InvalidAnswer("invalid_phone")
    return ("+" if raw.startswith("+") else "") + digits


def parse_email(text: str) -> str:
    raw = text.strip()
    if not _EMAIL.match(raw) or len(raw) > 254:
        raise InvalidAnswer("invalid_email")
    return raw.lower()


def parse_answer(
    kind: str,
    text: str,
    *,
    currency: str,
    today: date,
    minimum: float | None = None,
    maximum: float | None = None,
) -> Any:
    """Parse ``text`` as a ``kind`` slot and check the bounds."""
    value: Any
    if kind == "integer":
        value = parse_int(text)
        if value is None:
            raise InvalidAnswer("invalid_integer")
    elif kind == "number":
        number = parse_number(text)
        value = int(number) if number == number.to_integral_value() else float(number)
    elif kind == "money":
        value = parse_money(text, currency)
    elif kind == "email":
        value = parse_email(text)
    elif kind == "phone":
        value = parse_phone(text)
    elif kind == "date":
        value = parse_date(text, today)
    else:
        value = text.strip()
        if not value:
            raise InvalidAnswer("invalid_text")
        measure: float = len(value)
        if minimum is not None and measure < minimum:
            raise InvalidAnswer("too_small")
        if maximum is not None and measure > maximum:
            raise InvalidAnswer("too_big")
        return value
    if kind in ("integer", "number", "money"):
        if minimum is not None and value < minimum:
            raise InvalidAnswer("too_small")
        if maximum is not None and value > maximum:
            raise InvalidAnswer("too_big")
    return value


__all__ = ["InvalidAnswer", "parse_answer", "parse_money"]

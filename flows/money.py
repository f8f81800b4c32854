"""Money shown to shoppers: integer minor units with an ISO currency, formatted per locale."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision


@lru_cache(maxsize=64)
def _locale(tag: str) -> Locale:
    for candidate in (tag.replace("-", "_"), tag.split("-", 1)[0].split("_", 1)[0], "en"):
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError, TypeError):
            continue
    return Locale.parse("en")


def to_decimal(minor: int, currency: str) -> Decimal:
    """``14999, "PLN"`` -> ``Decimal("149.99")``; ``1500, "JPY"`` -> ``Decimal("1500")``."""
    return Decimal(int(minor)).scaleb(-get_currency_precision(currency))


@lru_cache(maxsize=65536)
def format_money(minor: int, currency: str, locale: str) -> str:
    """``14999, "PLN", "pl"`` -> ``"149,99 zł"`` (Babel's spacing: a no-break space there).

    Cached: a shop shows the same few hundred prices in a handful of locales all day.
    """
    return format_currency(to_decimal(minor, currency), currency, locale=_locale(locale))


__all__ = ["format_money", "to_decimal"]

"""Picking a product text for the shopper's locale and formatting prices with Babel."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from babel import Locale, UnknownLocaleError

from flows.money import format_money

FALLBACK_LOCALE = "en"


def _language(locale: str) -> str:
    return locale.replace("_", "-").split("-", 1)[0].lower()


def pick_text(texts: Mapping[str, str], locale: str) -> str:
    """The text for ``locale``: exact tag, then its language (``pl-PL`` -> ``pl``), then English.

    A mapping without any of those gives its first text, so a product never shows blank.
    """
    if not texts:
        return ""
    wanted = locale.replace("_", "-").lower()
    by_tag = {tag.replace("_", "-").lower(): text for tag, text in texts.items()}
    for tag in (wanted, _language(wanted), FALLBACK_LOCALE):
        if tag in by_tag:
            return by_tag[tag]
    return next(iter(texts.values()))


@lru_cache(maxsize=64)
def _babel_locale(locale: str) -> Locale:
    for candidate in (locale.replace("-", "_"), _language(locale), FALLBACK_LOCALE):
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError, TypeError):
            continue
    return Locale.parse(FALLBACK_LOCALE)


def format_price(minor: int, currency: str, locale: str) -> str:
    """``14999, "PLN", "pl"`` -> ``"149,99 zł"`` (Babel's spacing, a no-break space here)."""
    return format_money(minor, currency, locale)


__all__ = ["FALLBACK_LOCALE", "format_price", "pick_text"]

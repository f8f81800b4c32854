"""Money shown to shoppers: integer minor units with an ISO currency, formatted per locale.

One function formats every amount shopchat shows (the catalog's prices, carts, orders, the
flows' ``money`` filter): :func:`format_money`, Babel's ``format_currency`` with the locale's
own pattern, plus the one CLDR rule Babel does not apply (measured with Babel 2.18/2.19):
*currency spacing*. CLDR puts a no-break space between a currency shown as letters and the
digits next to it (``RON 89.00``, ``PLN 1,234.50`` in English; ``89,00 RON`` in Romanian),
while Babel glues them (``RON89.00``). A symbol (``$``, ``€``, ``zł`` after a space already)
is left as the locale has it.

Amounts are stored in ISO 4217 minor units (:func:`minor_units`): HUF, IDR, COP, IRR and a
few others have 2 decimals there while CLDR, hence Babel's ``get_currency_precision``, shows
them with none, and IQD has 3 (CLDR 0). Reading stored amounts with CLDR's digits would show
them 100 or 1,000 times too big, so amounts are converted with ISO's and then shown rounded
as the locale shows that currency.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, format_decimal, get_currency_symbol

# ISO 4217 minor units where they are not 2 (catalog.feeds.values keeps the same table for
# the feed parser, which must not import flows; a test checks that they agree). XTR is
# Telegram Stars, whole numbers, unknown to ISO and CLDR.
MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
            "XTR",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    "CLF": 4,
    "UYW": 4,
}


def minor_units(currency: str) -> int:
    """Decimal places of the currency's minor unit, as ISO 4217 has them (JPY 0, KWD 3, most 2)."""
    return MINOR_UNITS.get(currency, 2)


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
    return Decimal(int(minor)).scaleb(-minor_units(currency))


def _letter(char: str) -> bool:
    """CLDR's ``[[:^S:]&[:^Z:]]``: neither a symbol nor a separator (a letter, usually)."""
    category = unicodedata.category(char)
    return not category.startswith(("S", "Z"))


def _spaced(text: str, symbol: str) -> str:
    """CLDR currency spacing: a no-break space between a letter-ending currency and a digit."""
    at = text.find(symbol) if symbol else -1
    if at < 0:
        return text
    end = at + len(symbol)
    if end < len(text) and text[end].isdigit() and _letter(symbol[-1]):
        return text[:end] + "\u00a0" + text[end:]
    if at > 0 and text[at - 1].isdigit() and _letter(symbol[0]):
        return text[:at] + "\u00a0" + text[at:]
    return text


# The digits of the numbering systems CLDR makes some locales' default (fa: arabext). Babel
# picks the numbering system's separators ("٫") but not its digits, so they are mapped here.
_DIGITS = {
    "arab": "٠١٢٣٤٥٦٧٨٩",
    "arabext": "۰۱۲۳۴۵۶۷۸۹",
    "beng": "০১২৩৪৫৬৭৮৯",
    "deva": "०१२३४५६७८९",
    "mymr": "၀၁၂၃၄၅၆၇၈၉",
}


def native_digits(text: str, where: Locale) -> str:
    """ASCII digits written in the locale's own (``"189٫99"`` -> ``"۱۸۹٫۹۹"`` in fa)."""
    digits = _DIGITS.get(where.default_numbering_system)
    return text.translate(str.maketrans("0123456789", digits)) if digits else text


@lru_cache(maxsize=65536)
def format_money(minor: int, currency: str, locale: str) -> str:
    """``14999, "PLN", "pl"`` -> ``"149,99 zł"``; ``8900, "RON", "en"`` -> ``"RON 89.00"``
    (no-break spaces, as CLDR has them).

    Cached: a shop shows the same few hundred prices in a handful of locales all day.
    """
    where = _locale(locale)
    if currency == "XTR":  # Telegram Stars: neither ISO nor CLDR knows them
        amount = format_decimal(int(minor), locale=where, numbering_system="default")
        return f"{native_digits(amount, where)} ⭐"
    text = format_currency(
        to_decimal(minor, currency), currency, locale=where, numbering_system="default"
    )
    return native_digits(_spaced(text, get_currency_symbol(currency, where)), where)


__all__ = ["MINOR_UNITS", "format_money", "minor_units", "native_digits", "to_decimal"]

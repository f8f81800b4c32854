"""Parsing one feed value: money, dates, enums, texts. Pure functions; ``ValueError`` says why.

Every format funnels its cells through here, so ``"15,00 PLN"`` in a Meta CSV and
``<g:price>15.00 PLN</g:price>`` in Google XML end up the same integer of minor units.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, tzinfo
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import list_currencies

from catalog.records import AgeGroup, Availability, Gender

# ISO 4217 minor units where they are not 2: the same table as flows.money.MINOR_UNITS (the
# parser process must not import flows; a test checks that the two agree).
_EXPONENT = {
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
_CURRENCIES = frozenset(list_currencies())
_SYMBOLS = {"zł": "PLN", "zl": "PLN", "€": "EUR", "£": "GBP", "₽": "RUB", "¥": "JPY", "₹": "INR"}
_DOLLARS = frozenset(["USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN"])
MAX_PRICE = 10**13  # minor units; anything above is a typo, not a price

_MONEY = re.compile(
    r"^\s*(?P<pre>[A-Za-z]{3}|[^\d\s.,'+-]{1,3})?\s*(?P<num>[+-]?\d[\d\s.,'\u00a0\u202f]*)"
    r"\s*(?P<post>[A-Za-z]{3}|[^\d\s.,'+-]{1,3})?\s*$"
)
_GROUPING = re.compile(r"[\s'\u00a0\u202f]")


def currency_exponent(code: str) -> int:
    """Decimal places of the currency's minor unit (JPY 0, KWD 3, most 2)."""
    return _EXPONENT.get(code, 2)


def check_currency(code: str) -> str:
    code = code.strip().upper()
    if code not in _CURRENCIES:
        raise ValueError(f"{code!r} is not an ISO 4217 currency code")
    return code


_PLAIN_PRICE = re.compile(r"(\d{1,12})\.(\d\d) ([A-Z]{3})")


def parse_money(text: str, shop_currency: str | None) -> tuple[int, str | None]:
    """``"1 234,56 zł"`` -> ``(123456, "PLN")``; the currency is None when the text has none."""
    plain = _PLAIN_PRICE.fullmatch(text)  # Google's own spelling, "15.00 USD": the fast path
    if plain is not None:
        code = plain[3]
        if _EXPONENT.get(code, 2) == 2 and code in _CURRENCIES:
            return int(plain[1]) * 100 + int(plain[2]), code
    return _parse_money(text, shop_currency)


@lru_cache(maxsize=4096)
def _parse_money(text: str, shop_currency: str | None) -> tuple[int, str | None]:
    """``"1 234,56 zł"`` -> ``(123456, "PLN")``; the currency is None when the text has none.

    Separators: the last of ``.``/``,`` followed by 1-2 digits (or as many as the currency
    allows) is the decimal point; spaces, apostrophes and the other mark group thousands.
    """
    match = _MONEY.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a price like '15.00 USD'")
    pre, post = match["pre"], match["post"]
    if pre and post:
        raise ValueError(f"{text!r} names a currency twice")
    code = _currency_token(pre or post, shop_currency) if (pre or post) else None
    exponent = currency_exponent(code or shop_currency or "")
    number = _GROUPING.sub("", match["num"])
    if number.startswith("-"):
        raise ValueError(f"price {text.strip()!r} is negative")
    number = _decimal_point(number, exponent)
    try:
        amount = Decimal(number)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a price like '15.00 USD'") from None
    minor = amount.scaleb(exponent)
    if minor != minor.to_integral_value():
        shown = f"{code or shop_currency} allows" if (code or shop_currency) else "prices have"
        raise ValueError(f"price {text.strip()!r} has more decimals than {shown} ({exponent})")
    if minor > MAX_PRICE:
        raise ValueError(f"price {text.strip()!r} is implausibly large")
    return int(minor), code


def _currency_token(token: str, shop_currency: str | None) -> str:
    if token in _SYMBOLS or token.lower() in _SYMBOLS:
        return _SYMBOLS.get(token) or _SYMBOLS[token.lower()]
    if token == "$":
        return shop_currency if shop_currency in _DOLLARS else "USD"  # type: ignore[return-value]
    return check_currency(token)


def _decimal_point(number: str, exponent: int) -> str:
    last_dot, last_comma = number.rfind("."), number.rfind(",")
    if last_dot < 0 and last_comma < 0:
        return number
    point = max(last_dot, last_comma)
    mark = number[point]
    other = "," if mark == "." else "."
    decimals = len(number) - point - 1
    # "1,234" and "1.234.567" group thousands; "15,00", "15.5" and "15.001" have a decimal
    # mark (a lone dot always does, as in Google's spelling, so a typo is refused, not x1000).
    is_grouping = number.count(mark) > 1 or (
        mark == "," and decimals == 3 and exponent != 3 and other not in number
    )
    if is_grouping:
        return number.replace(mark, "").replace(other, "")
    return number[:point].replace(other, "").replace(mark, "") + "." + number[point + 1 :]


def parse_datetime(text: str, zone: tzinfo = UTC) -> datetime:
    """ISO 8601 date or date-time, as aware UTC; without an offset it is in ``zone`` (the
    shop's time zone; UTC, as Google reads it, when the shop names none)."""
    text = text.strip()
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date like 2024-02-24T13:00-08:00") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


@lru_cache(maxsize=1024)  # a feed's sales share a few windows
def parse_date_range(text: str, zone: tzinfo = UTC) -> tuple[datetime | None, datetime | None]:
    """``sale_price_effective_date``: ``start/end``; either side may be empty (open-ended).

    A date-only end means the end of that day in ``zone``."""
    start, sep, end = text.strip().partition("/")
    if not sep:
        raise ValueError(f"{text!r} is not a date range like 2024-02-24T13:00Z/2024-03-01T00:00Z")
    first = parse_datetime(start, zone) if start.strip() else None
    last = parse_datetime(end, zone) if end.strip() else None
    if last is not None and len(end.strip()) == 10:
        last = datetime.combine(date.fromisoformat(end.strip()), time.max, zone).astimezone(UTC)
    if first and last and last < first:
        raise ValueError(f"sale ends before it starts ({text.strip()!r})")
    return first, last


def time_zone(name: str | None) -> tzinfo:
    """The shop's time zone by IANA name (``Europe/Warsaw``); UTC for None."""
    if not name:
        return UTC
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a time zone like Europe/Warsaw") from None


# What Excel makes of a long number typed into a cell: "8.80609E+12" (the digits are gone).
_SCIENTIFIC = re.compile(r"^\s*\d(?:[.,]\d+)?[eE]\+?\d{1,3}\s*$")


def excel_mangled(text: str) -> bool:
    """Whether an identifier looks like a number a spreadsheet rewrote in scientific notation."""
    return "+" in text and _SCIENTIFIC.match(text) is not None


def _key(text: str) -> str:
    return " ".join(text.strip().lower().replace("_", " ").replace("-", " ").split())


_AVAILABILITY = {
    "in stock": Availability.IN_STOCK,
    "instock": Availability.IN_STOCK,
    "available": Availability.IN_STOCK,
    "out of stock": Availability.OUT_OF_STOCK,
    "outofstock": Availability.OUT_OF_STOCK,
    "sold out": Availability.OUT_OF_STOCK,
    "soldout": Availability.OUT_OF_STOCK,
    "preorder": Availability.PREORDER,
    "pre order": Availability.PREORDER,
    "backorder": Availability.BACKORDER,
    "back order": Availability.BACKORDER,
    "available for order": Availability.BACKORDER,  # Meta: ships later, can be ordered now
    "discontinued": Availability.DISCONTINUED,
}
_AGE = {
    "newborn": AgeGroup.NEWBORN,
    "infant": AgeGroup.INFANT,
    "toddler": AgeGroup.TODDLER,
    "kids": AgeGroup.KIDS,
    "kid": AgeGroup.KIDS,
    "teen": AgeGroup.TEEN,
    "adult": AgeGroup.ADULT,
    "all ages": AgeGroup.ALL_AGES,
}
_GENDER = {
    "female": Gender.FEMALE,
    "male": Gender.MALE,
    "unisex": Gender.UNISEX,
}
CONDITIONS = frozenset({"new", "refurbished", "used"})
_AVAILABILITY_EXACT = {**_AVAILABILITY, **{a.value: a for a in Availability}}


def parse_availability(text: str) -> Availability:
    known = _AVAILABILITY_EXACT.get(text)
    if known is not None:
        return known
    key = _key(text)
    if key.startswith(("http://schema.org/", "https://schema.org/")):
        key = _key(key.rsplit("/", 1)[1])
    try:
        return _AVAILABILITY[key]
    except KeyError:
        raise ValueError(f"unknown availability {text.strip()!r}") from None


def parse_age_group(text: str) -> AgeGroup:
    known = _AGE.get(text)
    if known is not None:
        return known
    try:
        return _AGE[_key(text)]
    except KeyError:
        raise ValueError(f"unknown age_group {text.strip()!r}") from None


def parse_gender(text: str) -> Gender:
    known = _GENDER.get(text)
    if known is not None:
        return known
    try:
        return _GENDER[_key(text)]
    except KeyError:
        raise ValueError(f"unknown gender {text.strip()!r}") from None


def parse_condition(text: str) -> str:
    if text in CONDITIONS:
        return text
    key = _key(text)
    if key not in CONDITIONS:
        raise ValueError(f"unknown condition {text.strip()!r}")
    return key


def split_path(text: str) -> tuple[str, ...]:
    """``"Toys & Games > Toys > Building Toys"`` -> its parts, most general first."""
    return tuple(part for part in (" ".join(p.split()) for p in text.split(">")) if part)


@lru_cache(maxsize=1024)
def categories(google: str, product_type: str) -> tuple[str, tuple[str, ...]]:
    """``(product_type, categories)``: Google's path first, then product_type's new parts.

    A bare-number ``google_product_category`` is a taxonomy id, not a path: it is left out
    (it stays in ``attributes``). Cached: a feed has few distinct categories.
    """
    product_type = collapse(product_type)
    google = collapse(google)
    parts: tuple[str, ...] = ()
    if google and not google.isdigit():
        parts = split_path(google)
    if product_type:
        parts += tuple(p for p in split_path(product_type) if p not in parts)
    return product_type, parts


def collapse(text: str) -> str:
    """Runs of whitespace (newlines, tabs, NBSP) to one space; ends trimmed."""
    return " ".join(text.split())


_TAG = re.compile(r"<(?:[A-Za-z/!][^>]*)>")
_BLOCK = re.compile(r"<\s*(?:br|/?p|/?div|/?li|/?h[1-6]|/?tr)\b[^>]*>", re.IGNORECASE)
_LOOKS_HTML = re.compile(r"<[A-Za-z/!][^>]*>|&(?:[A-Za-z]{2,8}|#\d{1,6}|#x[0-9A-Fa-f]{1,6});")
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


def looks_like_html(text: str) -> bool:
    return ("<" in text or "&" in text) and _LOOKS_HTML.search(text) is not None


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment, for search and plain-text channels.

    A regex is enough here: the text is only indexed and shown as plain text, never rendered,
    and the original markup stays in ``description_html``. Entities escaped twice
    (``&amp;lt;p&amp;gt;``) are unescaped twice.
    """
    text = markup
    for _ in range(2):
        if "<" in text:
            text = _SCRIPT.sub(" ", text)
            text = _BLOCK.sub(" ", text)
            text = _TAG.sub("", text)
        if "&" not in text:
            break
        text = html.unescape(text)
        if "<" not in text:
            break
    return collapse(text)


# Latin-1/cp1252 reading of UTF-8 lead bytes followed by a continuation byte, e.g. "Å¼" for "ż".
_MOJIBAKE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u2122]"
)


def maybe_double_encoded(texts: Iterable[str]) -> bool:
    """Cheap pre-check over a row's texts before looking at each one."""
    joined = "\n".join(texts)
    return not joined.isascii() and _MOJIBAKE.search(joined) is not None


def fix_double_encoding(text: str) -> str | None:
    """The repaired text when ``text`` is UTF-8 decoded twice ("Å¼Ã³Å‚w"), else None."""
    if _MOJIBAKE.search(text) is None:
        return None
    from ftfy import fix_encoding  # imported lazily: only broken feeds pay for it

    fixed: str = fix_encoding(text)
    return fixed if fixed != text else None


__all__ = [
    "CONDITIONS",
    "MAX_PRICE",
    "check_currency",
    "collapse",
    "currency_exponent",
    "categories",
    "fix_double_encoding",
    "maybe_double_encoded",
    "html_to_text",
    "looks_like_html",
    "parse_age_group",
    "parse_availability",
    "parse_condition",
    "parse_date_range",
    "parse_datetime",
    "excel_mangled",
    "parse_gender",
    "parse_money",
    "split_path",
    "time_zone",
]

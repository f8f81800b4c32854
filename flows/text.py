"""Normalising what shoppers type, so matching ignores case, accents and script variants."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Letters that NFKD does not decompose into base + combining mark, but that shoppers routinely
# type without the diacritic (ł -> l), or that differ between keyboard layouts (Arabic vs
# Persian yeh and kaf).
_FOLD = str.maketrans(
    {
        "ł": "l",
        "ø": "o",
        "đ": "d",
        "ß": "ss",
        "æ": "ae",
        "œ": "oe",
        "ı": "i",
        "ё": "е",
        "ي": "ی",
        "ى": "ی",
        "ك": "ک",
        "ة": "ه",
        "\u200c": " ",  # zero-width non-joiner, common inside Persian words
    }
)
_SPACE = re.compile(r"\s+")
_PUNCT_EDGES = re.compile(r"^[\W_]+|[\W_]+$")
_WORD = re.compile(r"\w+")


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Case-, accent- and script-variant-insensitive form of ``text``, with spaces collapsed."""
    text = text.casefold().translate(_FOLD)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACE.sub(" ", stripped).strip()


def fold_message(text: str) -> str:
    """Folded whole message, punctuation at either end dropped ("Help!" -> "help")."""
    return _PUNCT_EDGES.sub("", fold(text))


def words(text: str) -> list[str]:
    """The folded words of ``text``."""
    return _WORD.findall(fold(text))


def parse_int(text: str) -> int | None:
    """An integer typed in any script's digits (``8``, ``۸``, ``٨``), or None."""
    text = text.strip().replace(" ", "").replace("\u00a0", "")
    if not text:
        return None
    sign = 1
    if text[0] in "+-":
        sign = -1 if text[0] == "-" else 1
        text = text[1:]
    if not text or not all(ch.isdecimal() for ch in text):
        return None
    return sign * int("".join(str(unicodedata.decimal(ch)) for ch in text))


def ascii_digits(text: str) -> str:
    """``text`` with every Unicode decimal digit replaced by its ASCII digit."""
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


__all__ = ["ascii_digits", "fold", "fold_message", "parse_int", "words"]

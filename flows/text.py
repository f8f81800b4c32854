"""Normalising what shoppers type, so matching ignores case, accents and script variants.

The folding rule is :func:`shoptext.fold`, shared with the catalog and understanding.
"""

from __future__ import annotations

import re
import unicodedata

from shoptext import fold

# ZWNJ splits a Persian word in two written parts: in a phrase it counts as a space.
_SPACE = re.compile(r"[\s\u200c]+")
_PUNCT_EDGES = re.compile(r"^[\W_]+|[\W_]+$")
_WORD = re.compile(r"\w+")


def fold_phrase(text: str) -> str:
    """:func:`shoptext.fold` of ``text`` with spaces (and ZWNJ) collapsed to one, trimmed."""
    return _SPACE.sub(" ", fold(text)).strip()


def fold_message(text: str) -> str:
    """Folded whole message, punctuation at either end dropped ("Help!" -> "help")."""
    return _PUNCT_EDGES.sub("", fold_phrase(text))


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


__all__ = ["ascii_digits", "fold", "fold_message", "fold_phrase", "parse_int", "words"]

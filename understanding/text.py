"""Normalising and tokenising what shoppers type, and the lemmas of their words.

Lemmas come from ``simplemma`` (54 languages, offline). Its front-coded stream dictionaries
are used instead of the default in-memory dicts: measured on the five demo languages they
take ~100 MB instead of ~430 MB, at a few microseconds per uncached word; every word's
lemma is cached here, so a shopper's words are looked up once per process.

Words are compared folded by :func:`shoptext.fold`, the rule the catalog and flows share.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from shoptext import fold

# Persian and Arabic-Indic decimal and thousands separators.
_NUMBER_MARKS = str.maketrans({"٫": ".", "٬": ",", "،": ","})
_SPACES = re.compile(r"[\s\u200c\u200d\u200e\u200f\u2066-\u2069\ufeff]+")
TOKEN = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*", re.UNICODE)

# simplemma's language codes for the shop locales it knows (fa is Persian there too).
LEMMA_LANGUAGES = frozenset(
    [
        "bg",
        "ca",
        "cs",
        "cy",
        "da",
        "de",
        "el",
        "en",
        "enm",
        "es",
        "et",
        "fa",
        "fi",
        "fr",
        "ga",
        "gd",
        "gl",
        "gv",
        "hbs",
        "hi",
        "hu",
        "hy",
        "id",
        "is",
        "it",
        "ka",
        "la",
        "lb",
        "lt",
        "lv",
        "mk",
        "ms",
        "nb",
        "nl",
        "nn",
        "pl",
        "pt",
        "ro",
        "ru",
        "se",
        "sk",
        "sl",
        "sq",
        "sv",
        "sw",
        "tl",
        "tr",
        "uk",
    ]
)


def ascii_digits(text: str) -> str:
    """Every Unicode decimal digit as its ASCII digit; Persian decimal marks as ``.`` and ``,``."""
    if text.isascii():
        return text
    text = text.translate(_NUMBER_MARKS)
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def clean(text: str) -> str:
    """The message as typed, with ASCII digits and single spaces (ZWNJ counts as a space)."""
    text = unicodedata.normalize("NFC", ascii_digits(text))
    return _SPACES.sub(" ", text).strip()


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a message: as typed (lowercased), folded, and where it is."""

    text: str
    folded: str
    start: int
    end: int

    @property
    def is_number(self) -> bool:
        return self.text.isdigit()


def tokens(text: str) -> list[Token]:
    """The words and numbers of a cleaned message, in order."""
    out = []
    for m in TOKEN.finditer(text):
        word = m.group().lower().replace("’", "'")
        out.append(Token(word, fold(word), m.start(), m.end()))
    return out


def script(word: str) -> str:
    """``latin``, ``cyrillic``, ``arabic`` or ``other``: the script of a word's first letter."""
    for ch in word:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            if name.startswith("LATIN"):
                return "latin"
            if name.startswith("CYRILLIC"):
                return "cyrillic"
            if name.startswith(("ARABIC", "PERSIAN")):
                return "arabic"
            return "other"
    return "other"


class _Lemmas:
    """One simplemma lemmatizer per process, created on first use (loading takes seconds)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lemmatizer: Any = None

    def get(self) -> Any:
        if self._lemmatizer is None:
            with self._lock:
                if self._lemmatizer is None:
                    from simplemma import Lemmatizer
                    from simplemma.strategies import DefaultStrategy

                    # low_memory: the front-coded stream dictionaries (see the docstring).
                    self._lemmatizer = Lemmatizer(
                        cache_max_size=0, lemmatization_strategy=DefaultStrategy(low_memory=True)
                    )
        return self._lemmatizer


_LEMMAS = _Lemmas()


@lru_cache(maxsize=262144)
def lemma(word: str, lang: str) -> str:
    """The folded lemma of a lowercased ``word`` in ``lang`` (the folded word if unknown)."""
    base = lang.split("-", 1)[0].lower()
    if base not in LEMMA_LANGUAGES or not word.isalpha() or len(word) < 3:
        return fold(word)
    try:
        found = _LEMMAS.get().lemmatize(word, lang=base)
    except Exception:  # an unexpected word must never break understanding
        return fold(word)
    return fold(found)


# Snowball stemmers (PyStemmer) for the languages whose inflections the lemma dictionaries
# miss ("cancela" for "cancelar", "отклонили", "zamawiałam", "نرسیده").
STEM_LANGUAGES = {
    "en": "english",
    "pl": "polish",
    "es": "spanish",
    "ru": "russian",
    "fa": "persian",
    "de": "german",
    "fr": "french",
    "it": "italian",
    "pt": "portuguese",
    "uk": "russian",
    "ar": "arabic",
    "tr": "turkish",
    "nl": "dutch",
}
_STEMMERS = threading.local()  # a Stemmer object must not be shared between threads


def _stemmer(name: str) -> Any:
    found = getattr(_STEMMERS, name, None)
    if found is None:
        import Stemmer

        found = Stemmer.Stemmer(name)
        setattr(_STEMMERS, name, found)
    return found


@lru_cache(maxsize=262144)
def stem_key(word: str, lang: str) -> str | None:
    """The Snowball stem of ``word`` in ``lang`` as a matching key (``"~cancel"``), or None
    for short words, numbers and languages without a stemmer. Keys carry a ``~`` so that a
    stem never passes for a word."""
    name = STEM_LANGUAGES.get(lang.split("-", 1)[0].lower())
    if name is None or len(word) < 4 or not word.isalpha():
        return None
    from .intents import stop_words  # (a cycle at import time otherwise)

    if fold(word) in stop_words(lang):
        return None  # "какая" must not meet "какие способы оплаты" through a stem
    try:
        stem = _stemmer(name).stemWord(word.casefold())
    except Exception:  # an unexpected word must never break understanding
        return None
    return "~" + fold(stem) if len(stem) >= 3 else None


@lru_cache(maxsize=262144)
def known(word: str, lang: str) -> bool:
    """Whether ``word`` is a word of ``lang``'s dictionary (a real word, not a typo)."""
    base = lang.split("-", 1)[0].lower()
    if base not in LEMMA_LANGUAGES or not word.isalpha():
        return False
    _LEMMAS.get()
    try:
        from simplemma import is_known

        return bool(is_known(word, base, low_memory=True))
    except Exception:
        return False


def warm_lemmas(langs: list[str]) -> None:
    """Load the lemma dictionaries of ``langs`` now rather than on a shopper's first word."""
    for lang in langs:
        lemma("warmup", lang)


__all__ = [
    "STEM_LANGUAGES",
    "TOKEN",
    "Token",
    "ascii_digits",
    "clean",
    "fold",
    "known",
    "lemma",
    "stem_key",
    "script",
    "tokens",
    "warm_lemmas",
]

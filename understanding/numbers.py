"""Numbers written as words ("eight", "sto pięćdziesiąt", "двадцать пять", "صد و پنجاه").

The word tables come from ``num2words`` (which spells numbers in every shop language): each
language's spelling of 0-99, the hundreds and a thousand is split into words, and a run of
number words is read back by adding units to tens and multiplying by hundreds/thousands,
the way all five languages compose them. Inflected forms ("ośmiu", "восьми") are matched
through their lemma; combining forms used in compounds ("ośmioletni", "восьмилетний") are
listed by hand in :data:`COMBINING`, because no library spells them.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .text import fold, lemma

# The number of a compound's first part: "ośmio|letni", "восьми|летний", "dwu|latek".
COMBINING: dict[str, dict[str, int]] = {
    "pl": {
        "jedno": 1,
        "roczn": 1,
        "dwu": 2,
        "dwa": 2,
        "trzy": 3,
        "cztero": 4,
        "piecio": 5,
        "szescio": 6,
        "siedmio": 7,
        "osmio": 8,
        "dziewiecio": 9,
        "dziesiecio": 10,
        "jedenasto": 11,
        "dwunasto": 12,
        "trzynasto": 13,
        "czternasto": 14,
        "pietnasto": 15,
        "szesnasto": 16,
        "siedemnasto": 17,
        "osiemnasto": 18,
        "dziewietnasto": 19,
        "dwudziesto": 20,
        "trzydziesto": 30,
        "czterdziesto": 40,
        "piecdziesiecio": 50,
    },
    "ru": {
        "одно": 1,
        "двух": 2,
        "трех": 3,
        "четырех": 4,
        "пяти": 5,
        "шести": 6,
        "семи": 7,
        "восьми": 8,
        "девяти": 9,
        "десяти": 10,
        "одиннадцати": 11,
        "двенадцати": 12,
        "тринадцати": 13,
        "четырнадцати": 14,
        "пятнадцати": 15,
        "шестнадцати": 16,
        "семнадцати": 17,
        "восемнадцати": 18,
        "девятнадцати": 19,
        "двадцати": 20,
        "тридцати": 30,
        "сорока": 40,
        "пятидесяти": 50,
    },
}

_LANGS = ("en", "pl", "es", "ru", "fa")
_PL_HUNDREDS = {
    "stu": 100,
    "dwustu": 200,
    "trzystu": 300,
    "czterystu": 400,
    "pieciuset": 500,
    "szesciuset": 600,
    "siedmiuset": 700,
    "osmiuset": 800,
    "dziewieciuset": 900,
    "stowa": 100,
    "stowy": 100,
    "stowe": 100,
    "stowka": 100,
    "stowki": 100,
    "stowke": 100,
    "stow": 100,
}
# One and a half, said before "thousand" or "hundred": "półtora tysiąca", "полторы тысячи".
HALVES = {"poltora": 1.5, "poltorej": 1.5, "полтора": 1.5, "полторы": 1.5, "полутора": 1.5}
_JOINERS = {"and", "y", "و", "i"}


@lru_cache(maxsize=16)
def words_for(lang: str) -> dict[str, int]:
    """Folded number word (and its lemma) -> value, for ``lang``; {} if num2words lacks it."""
    try:
        from num2words import num2words
    except ImportError:  # pragma: no cover - a declared dependency
        return {}
    table: dict[str, int] = {}
    values = list(range(0, 100)) + [100 * k for k in range(1, 10)] + [1000]
    for n in values:
        try:
            spelled = num2words(n, lang=lang)
        except (NotImplementedError, OverflowError, ValueError, KeyError):
            return {}
        parts = fold(spelled.replace("-", " ")).split()
        parts = [p for p in parts if p not in _JOINERS]
        if n >= 1000:
            parts = parts[-1:]  # "one thousand", "одна тысяча" -> the thousand word
        if len(parts) == 1:
            table.setdefault(parts[0], n)
    if lang == "es":
        table.update({"un": 1, "una": 1, "ciento": 100, "cientos": 100, "veintiun": 21})
    if lang == "en":
        table.update({"a": 1, "dozen": 12, "hundred": 100, "thousand": 1000})
        del table["a"]  # "a" is too common to be a number on its own
    if lang == "pl":
        table.update({"jedna": 1, "jedno": 1, "dwie": 2, "tysiace": 1000, "tysiecy": 1000})
        # Hundreds after "do", "od", "około" (genitive), which the lemma tables lack, and
        # the everyday "stówa" (a hundred złoty).
        table.update(_PL_HUNDREDS)
    if lang == "ru":
        table.update({"одна": 1, "одно": 1, "две": 2, "тысячи": 1000, "тысяч": 1000})
        table.update({"сотка": 100, "сотку": 100, "сотни": 100, "сотен": 100, "косарь": 1000})
    if lang == "fa":
        table.update({"یه": 1, "صد": 100})
    for word, value in list(table.items()):
        table.setdefault(lemma(word, lang), value)
    return table


def number_word(word: str, langs: tuple[str, ...]) -> float | None:
    """The value of one number word (lowercased, as typed) in any of ``langs``, or None."""
    folded = fold(word)
    half = HALVES.get(folded)
    if half is not None:
        return half
    for lang in langs:
        table = words_for(lang)
        value = table.get(folded)
        if value is None and len(word) > 3:
            # The lemma of the word as typed: "pięćdziesięciu" is known, its folded form not.
            value = table.get(lemma(word, lang))
        if value is not None:
            return value
    return None


def combine(values: list[float]) -> float:
    """Read a run of number words: [100, 50] -> 150, [2, 100, 50] -> 250, [20, 5] -> 25,
    [1.5, 1000] -> 1500."""
    total: float = 0
    current: float = 0
    for v in values:
        if v == 1000:
            total += max(current, 1) * 1000
            current = 0
        elif v == 100 and current and current < 10:
            current *= 100
        else:
            current += v
    return total + current


@lru_cache(maxsize=64)
def _combining_pattern(langs: tuple[str, ...]) -> tuple[re.Pattern[str], dict[str, int]] | None:
    stems: dict[str, int] = {}
    for lang in langs:
        for stem, value in COMBINING.get(lang, {}).items():
            stems.setdefault(stem, value)
    if not stems:
        return None
    alternatives = "|".join(sorted(map(re.escape, stems), key=len, reverse=True))
    return re.compile(f"^({alternatives})(.{{3,}})$"), stems


def combining_number(word: str, langs: tuple[str, ...]) -> tuple[int, str] | None:
    """``"osmioletni"`` -> (8, "letni"): a compound that starts with a number's combining form."""
    found = _combining_pattern(langs)
    if found is None:
        return None
    pattern, stems = found
    m = pattern.match(word)
    return (stems[m.group(1)], m.group(2)) if m else None


__all__ = ["COMBINING", "combine", "combining_number", "number_word", "words_for"]

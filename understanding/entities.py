"""Values a shopping conversation needs, found in any sentence in any shop locale.

Money (currency words and signs before or after the number, decimal commas, ranges, price
bounds), ages (digits, number words, compounds like "ośmioletni"), recipients with their age
group and gender, interests, colours, sizes, quantities, order numbers, emails and phone
numbers. Currency names and symbols come from Babel's locale data, phone numbers from
``phonenumbers``; number words from :mod:`understanding.numbers`. The patterns that tie a
number to its unit ("8 year old", "до 100 злотых", "بین ۵۰ تا ۸۰") are written here: no
library reads prices and ages out of free text in these five languages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from .lexicon import PhraseIndex, Word
from .numbers import combine, combining_number, number_word
from .text import clean, fold, tokens
from .vocabulary import Vocabulary, iter_words

_NUMBER = re.compile(
    r"(?P<minus>(?:(?<=\s)|^)-)?"  # a minus sign only where a word starts ("-4", not "50-80")
    r"(?P<digits>\d{1,3}(?:(?:[ \u00a0\u202f]|[.,](?=\d{3}(?!\d)))\d{3})+(?:[.,]\d{1,2})?(?!\d)"
    r"|\d+(?:[.,]\d{1,2})?(?!\d))"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
_ORDER = re.compile(r"(?<![\w@])(?:[A-Za-z]{2,4}[-‐]?\d{4,10}|#\d{4,10})(?![\w@])")
_AGE_SUFFIX = re.compile(
    r"^(?:-|)(?:y|yo|yr|yrs|years?-?old|year|years|letni\w*|latk\w*|latek|lat|letn\w*|"
    r"летн\w*|лет|год\w*|ساله|سال\w*|anos|años|ano|año)$"
)
_QUANTITY_X = re.compile(r"^(?:x(\d{1,3})|(\d{1,3})x)$")
_ORDER_WORDS = {
    "order",
    "zamowienie",
    "zamowienia",
    "zamowieniu",
    "pedido",
    "заказ",
    "заказа",
    "заказу",
    "سفارش",
    "سفارشم",
    "numer",
    "number",
    "nr",
    "no",
    "номер",
    "شماره",
}


# Number words that are also articles ("un regalo", "یک هدیه"): a number only next to
# other number words ("veintiún"), never alone.
_ARTICLES = frozenset(
    {"un", "una", "uno", "a", "an", "one", "یک", "یه", "jeden", "jedna", "один", "одна"}
)
# "unos 60 zł", "unas cincuenta": "some", "about"; never the number one.
_NEVER_NUMBERS = frozenset({"unos", "unas"})


@dataclass
class Number:
    value: Decimal
    first: int  # word index
    last: int
    suffix: str = ""  # letters glued after the digits ("zł" in "100zł")
    words: bool = False  # written as words
    start: int = -1  # where the digits are in the text (-1: written as words)
    end: int = -1


# A thousand, glued to the digits or as the next word: "1k", "2 tys.", "1,5 тыс", "۲ هزار".
_THOUSANDS = frozenset({"k", "tys", "tys.", "тыс", "тыс.", "thousand", "grand"})


@dataclass
class Found:
    """What a message holds, and which of its words those values used."""

    entities: dict[str, Any]
    used: set[int]
    interest_used: set[int] = field(default_factory=set)
    # Words that were amounts, ages, numbers, emails, order numbers: never intent words.
    measure_used: set[int] = field(default_factory=set)


def _group(age: int) -> str:
    return "child" if age <= 12 else "teen" if age <= 17 else "adult"


class EntityReader:
    """Reads entities with one shop's vocabulary, currency and locales."""

    def __init__(self, vocabulary: Vocabulary, currency: str, locales: Sequence[str]) -> None:
        from babel.numbers import get_currency_precision

        self.currency = currency
        self.scale = 10 ** get_currency_precision(currency)
        self.locales = list(locales)
        self.vocabulary = vocabulary
        self.cues = PhraseIndex()
        for cue in ("max", "min", "around", "between", "to"):
            for lang, word in iter_words(getattr(vocabulary.money, cue), self.locales):
                self.cues.add(word, lang, cue)
        for lang, word in iter_words(vocabulary.ages.cues, self.locales):
            self.cues.add(word, lang, "age_cue")
        for lang, word in iter_words(vocabulary.size_cues, self.locales):
            self.cues.add(word, lang, "size_cue")
        self.units = PhraseIndex()
        for lang, word in iter_words(vocabulary.ages.units, self.locales):
            self.units.add(word, lang, "age")
        for lang, word in iter_words(vocabulary.quantities.units, self.locales):
            self.units.add(word, lang, "quantity")
        self.currency_words, self.currency_signs = _currency_words(
            currency, vocabulary, self.locales
        )
        for word in self.currency_words:
            self.units.add(word, "", "money")
        self.things = PhraseIndex()
        for rid, rdef in vocabulary.recipients.items():
            for lang, word in iter_words(rdef.words, self.locales):
                self.things.add(word, lang, ("recipient", rid))
        # Size names are everyday adjectives ("большой", "grande"): outside a sentence that
        # names a size ("size", "talla"), only their listed forms count, never another form
        # of the same lemma ("больше", more).
        self.size_forms: set[str] = set()
        for kind, table in vocabulary.tables.items():
            for value, words in table.items():
                for lang, word in iter_words(words, self.locales):
                    self.things.add(word, lang, (kind, value))
                    if kind == "size":
                        self.size_forms.update(t.folded for t in tokens(clean(word)))
        self.interests = PhraseIndex()
        # Months after a number, for babies ("6 month old", "8 meses", "۶ ماهه").
        self.month_words: set[str] = set()
        for lang, word in iter_words(vocabulary.ages.months, self.locales):
            self.units.add(word, lang, "months")
            self.month_words.update(t.folded for t in tokens(clean(word)))
        for lang, word in iter_words(vocabulary.ages.durations, self.locales):
            self.units.add(word, lang, "duration")
        self.ago = PhraseIndex()
        for lang, word in iter_words(vocabulary.ages.ago, self.locales):
            self.ago.add(word, lang, "ago")
        # Read beside the recipients: "noworodek" is a baby and says she is 0.
        self.named_ages = PhraseIndex()
        for years, words in vocabulary.ages.named.items():
            for lang, word in iter_words(words, self.locales):
                self.named_ages.add(word, lang, years)
        self.parts = PhraseIndex()
        for lang, word in iter_words(vocabulary.quantities.parts, self.locales):
            self.parts.add(word, lang, "parts")
        self.after = PhraseIndex()
        for lang, word in iter_words(vocabulary.money.after, self.locales):
            self.after.add(word, lang, "max")
        for lang, word in iter_words(vocabulary.money.around, self.locales):
            self.after.add(word, lang, "around")
        self.regions = _regions(self.locales, currency)
        self.likes = PhraseIndex()
        for lang, word in iter_words(vocabulary.interest_cues, self.locales):
            self.likes.add(word, lang, "likes")
        from .intents import stop_words  # (a cycle at import time otherwise)

        self.quiet_words = frozenset().union(
            *(stop_words(loc) for loc in self.locales),
            (fold(w) for _lang, w in iter_words(vocabulary.function_words, self.locales)),
        )
        for iid, words in vocabulary.interests.items():
            self.interests.add(iid, "", ("interest", iid))
            for lang, word in iter_words(words, self.locales):
                self.interests.add(word, lang, ("interest", iid))
        self.size_letters = {"xs", "s", "m", "l", "xl", "xxl", "xxxl", "2xl", "3xl"}
        # Phrases that only look like values ("دوست دارد" is "likes", not "friend").
        self.ignore = PhraseIndex()
        for lang, word in iter_words(vocabulary.ignore, self.locales):
            self.ignore.add(word, lang, "ignore")

    def vocabulary_keys(self) -> set[str]:
        out: set[str] = set()
        for index in (self.cues, self.units, self.things, self.interests, self.named_ages):
            out.update(index.keys())
        return out

    def add_interest(self, iid: str, lang: str, word: str) -> None:
        self.interests.add(word, lang, ("interest", iid))

    # -- reading -------------------------------------------------------------------------
    def read(
        self,
        text: str,
        words: Sequence[Word],
        langs: Sequence[str],
        interests: PhraseIndex | None = None,
    ) -> Found:
        ents: dict[str, Any] = {}
        used: set[int] = set()
        self._patterns(text, words, ents, used, langs[0] if langs else "")
        numbers = self._numbers(text, words, langs, used)
        self._measures(text, words, numbers, ents, used)
        found = Found(ents, used, measure_used=set(used))
        found.measure_used.update(i for n in numbers for i in range(n.first, n.last + 1))
        after = self._things(text, words, ents, used, interests, found.interest_used)
        if "age" not in ents and after is not None:
            self._age_after_recipient(numbers, after, ents, used)
        # A currency word no amount took ("puzzle zł", "pln") names no product.
        money_words = {
            i
            for i, w in enumerate(words)
            if w.token.folded in self.currency_words or w.keys & self.currency_words
        }
        used.update(money_words)
        found.measure_used.update(money_words)
        if "age" in ents:
            ents.setdefault("age_group", _group(ents["age"]))
        leftover = [n for n in numbers if not any(i in used for i in range(n.first, n.last + 1))]
        if len(leftover) == 1 and leftover[0].value == leftover[0].value.to_integral_value():
            ents["number"] = int(leftover[0].value)
        return found

    def _age_after_recipient(
        self, numbers: list[Number], after: int, ents: dict[str, Any], used: set[int]
    ) -> None:
        """A bare number right after a child ("teen girl, 14", "dla syna 7", "adolescente de
        13") is the child's age."""
        if ents.get("age_group") == "adult":
            return  # "for my dad, 60": no bare number is an adult's age
        for n in numbers:
            span = set(range(n.first, n.last + 1))
            if (
                after <= n.first <= after + 1
                and not span & used
                and not n.suffix
                and n.value == n.value.to_integral_value()
                and 0 < n.value <= 17
            ):
                ents["age"] = int(n.value)
                ents["age_group"] = _group(int(n.value))
                used.update(span)
                return

    def _patterns(
        self, text: str, words: Sequence[Word], ents: dict[str, Any], used: set[int], lang: str
    ) -> None:
        for m in _EMAIL.finditer(text):
            ents.setdefault("email", m.group().lower())
            used.update(_covering(words, m.start(), m.end()))
        for m in _ORDER.finditer(text):
            span = _covering(words, m.start(), m.end())
            if span & used:
                continue
            ents.setdefault("order_number", m.group().upper().lstrip("#"))
            used.update(span)
        digits = sum(ch.isdigit() for ch in text)
        if digits >= 7:
            # The shop's country, then the one of the language the message is in.
            regions = [*self.regions[:1], *_regions([lang] if lang else []), *self.regions]
            phone = _phone(text, list(dict.fromkeys(regions)))
            if phone is not None:
                value, start, end = phone
                span = _covering(words, start, end)
                if not span & used:
                    ents["phone"] = value
                    used.update(span)
        if "order_number" not in ents:
            for i, w in enumerate(words):
                if w.token.is_number and len(w.token.text) >= 5 and i not in used:
                    before = {words[i - 1].token.folded} if i else set()
                    before |= {words[i - 2].token.folded} if i > 1 else set()
                    if before & _ORDER_WORDS:
                        ents["order_number"] = w.token.text
                        used.add(i)
                        break

    def _numbers(
        self, text: str, words: Sequence[Word], langs: Sequence[str], used: set[int]
    ) -> list[Number]:
        out: list[Number] = []
        for m in _NUMBER.finditer(text):
            span = sorted(_covering(words, m.start(), m.end()))
            if not span or set(span) & used:
                continue
            raw = m.group("digits")
            value = _decimal(raw)
            if value is None:
                continue
            if m.group("minus"):
                value = -value
            last = words[span[-1]]
            suffix = (
                last.token.text[m.end() - last.token.start :] if last.token.end > m.end() else ""
            )
            suffix = suffix.lstrip("-")
            if fold(suffix) in _THOUSANDS:  # "1k", "1,5k"
                value, suffix = value * 1000, ""
            out.append(
                Number(value, span[0], span[-1], suffix, start=m.start("digits"), end=m.end())
            )
        # Number words: a run of them ("sto pięćdziesiąt", "twenty five").
        lang_order = tuple(dict.fromkeys([*langs, *self.locales]))
        i = 0
        while i < len(words):
            if i in used or words[i].token.is_number or words[i].token.folded in _NEVER_NUMBERS:
                i += 1
                continue
            values: list[float] = []
            j = i
            while j < len(words) and j not in used:
                v = number_word(words[j].token.text, lang_order)
                if v is not None and not words[j].token.is_number and self.parts.find([words[j]]):
                    v = None  # "1000 piece puzzle": no "pięć"
                if v is None:
                    if (
                        values
                        and words[j].token.folded in ("and", "y", "و", "i")
                        and j + 1 < len(words)
                    ):
                        nxt = number_word(words[j + 1].token.text, lang_order)
                        if nxt is not None:
                            j += 1
                            continue
                    break
                values.append(v)
                j += 1
            if (
                len(values) > 1
                and words[i].token.folded in _ARTICLES
                and values[1] < 100  # "a hundred", "one thousand" stay whole
            ):
                values.pop(0)  # "una cincuenta": no "one fifty"
                i += 1
            if values and not (
                len(values) == 1 and words[i].token.folded in _ARTICLES and j - i == 1
            ):
                out.append(Number(Decimal(str(combine(values))), i, j - 1, words=True))
                i = j
            elif values:
                i = j
            else:
                compound = combining_number(words[i].token.folded, lang_order)
                if compound is not None and _AGE_SUFFIX.match(compound[1]):
                    out.append(Number(Decimal(compound[0]), i, i, suffix=compound[1], words=True))
                i += 1
        out.sort(key=lambda n: n.first)
        return self._thousands(words, out)

    def _thousands(self, words: Sequence[Word], numbers: list[Number]) -> list[Number]:
        """ "2 тысячи", "1,5 tys.", "2 mil", "۲ هزار": digits times the thousand after them."""
        out: list[Number] = []
        for n in numbers:
            prev = out[-1] if out else None
            if (
                prev is not None
                and not prev.words
                and n.first == prev.last + 1
                and n.words
                and n.value == 1000
                and not prev.suffix
            ):
                prev.value *= 1000
                prev.last = n.last
                continue
            if (
                not n.words
                and not n.suffix
                and n.last + 1 < len(words)
                and words[n.last + 1].token.folded in _THOUSANDS
            ):
                n.value *= 1000
                n.last += 1
            out.append(n)
        return out

    def _cue_before(self, words: Sequence[Word], index: int, used: set[int]) -> str | None:
        found = self._cue_span(words, index)
        return found[0] if found else None

    def _cue_span(self, words: Sequence[Word], index: int) -> tuple[str, int] | None:
        """The money/age cue that ends right before word ``index``, and where it starts."""
        for start in range(max(0, index - 3), index):
            for match in self.cues.find(words[start:index]):
                if start + match.end == index:
                    return str(match.phrase.payload), start + match.start
        return None

    def _unit_after(
        self, words: Sequence[Word], number: Number, text: str
    ) -> tuple[str, int] | None:
        """The unit right after a number: ("money"|"age"|"quantity", last word index)."""
        suffix = fold(number.suffix)
        if suffix:
            if suffix in self.currency_words or suffix in self.currency_signs:
                return "money", number.last
            if _AGE_SUFFIX.match(suffix):
                return "age", number.last
            if suffix in self.month_words:  # "6-miesięczny", "۶ماهه"
                return "months", number.last
            qx = _QUANTITY_X.match(suffix)
            if suffix in ("x", "szt", "pcs", "шт"):
                return "quantity", number.last
            if qx:
                return None
        end = words[number.last].token.end
        after = text[end : end + 2].strip()
        if after[:1] in self.currency_signs:
            return "money", number.last
        start = number.last + 1
        if start < len(words):
            for match in self.units.find(words[start : start + 4]):
                if match.start == 0:
                    return str(match.phrase.payload), start + match.end - 1
                break
        return None

    def _bound_after(self, words: Sequence[Word], number: Number) -> int | None:
        """The last word of a price bound right after a bare number ("49.99 max", "150
        tops", "cien como mucho"), or None."""
        start = number.last + 1
        for match in self.after.find(words[start : start + 3]):
            if match.start == 0:
                end = start + match.end - 1
                if end + 1 < len(words) and words[end + 1].token.is_number:
                    return None  # "she'll be 3, max 70": the bound of the next number
                return end
            break
        return None

    def _money_before(self, words: Sequence[Word], number: Number, text: str) -> bool:
        begin = words[number.first].token.start
        before = text[max(0, begin - 2) : begin].strip()
        if before[-1:] in self.currency_signs:
            return True
        if number.first > 0:
            prev = words[number.first - 1].token.folded
            if prev in self.currency_words:
                return True
        return False

    def _measures(
        self,
        text: str,
        words: Sequence[Word],
        numbers: list[Number],
        ents: dict[str, Any],
        used: set[int],
    ) -> None:
        k = 0
        while k < len(numbers):
            n = numbers[k]
            cue = self._cue_before(words, n.first, used)
            unit = self._unit_after(words, n, text)
            kind = unit[0] if unit else None
            if kind is None and self._money_before(words, n, text):
                kind = "money"
            if kind in (None, "quantity") and self._counts_parts(words, n, kind):
                used.update(range(n.first, n.last + 1))  # its part words stay the product's
                k += 1
                continue
            if kind in ("months", "age") and self._ago(words, n, unit):
                kind = "duration"  # "2 months ago", "hace 2 años", "уже 2 месяца"
            if kind == "duration":
                last = unit[1] if unit else n.last
                before = words[n.first - 1].token.folded if n.first else ""
                if (last + 1 < len(words) and words[last + 1].token.folded in ("old", "olds")) or (
                    (cue == "age_cue" or before == "de") and before not in _BE
                ):
                    ents.setdefault("age", 0)  # "a 3 week old baby", "bebé de 3 semanas"
                used.update(range(n.first, last + 1))
                k += 1
                continue
            # A range: "between 50 and 80", "od 50 do 80 zł", "50-80 zł", "بین ۵۰ تا ۸۰" (where
            # "تا" after a number is also "pieces").
            if k + 1 < len(numbers) and kind in (None, "money", "quantity"):
                m = numbers[k + 1]
                gap = range(n.last + 1, m.first)
                if m.first <= n.last:  # one word: "200-250", "100-150zł"
                    between = text[n.end : m.start] if n.end >= 0 and m.start >= 0 else ""
                else:
                    between = text[words[n.last].token.end : words[m.first].token.start]
                joined = len(gap) == 0 and between.strip() in ("-", "–", "—", "..", "...")
                joined = joined or (
                    len(gap) == 1
                    and self._cue_before(words, m.first, used) in ("to", "max")
                    and not any(mark in between for mark in ",;.!?")  # "she'll be 3, max 70"
                    and cue != "age_cue"
                )
                if kind == "quantity" and not (joined and len(gap) == 1 and cue == "between"):
                    joined = False
                if joined:
                    unit2 = self._unit_after(words, m, text)
                    if unit2 and unit2[0] == "duration":  # "between 2 and 4 days", "de 3 a 5 días"
                        used.update(range(n.first, unit2[1] + 1))
                        k += 2
                        continue
                    if (
                        cue == "between"
                        or (unit2 and unit2[0] == "money")
                        or kind == "money"
                        or cue in ("min", "around", "max")
                    ) and (not unit2 or unit2[0] == "money"):
                        low, high = sorted((n.value, m.value))
                        ents["money_min"] = self._minor(low)
                        ents["money"] = self._minor(high)
                        last = unit2[1] if unit2 else m.last
                        used.update(range(max(0, n.first - (1 if cue else 0)), last + 1))
                        k += 2
                        continue
            bound = (
                self._bound_after(words, n)
                if kind is None and (not n.words or n.value >= 20)
                else None
            )
            if (
                kind is None
                and cue in ("max", "min", "around", "between")
                and (not n.words or n.value >= 20)
                and self._age_bound(words, n, cue)
            ):
                k += 1  # "for kids under 12": an age, no price
                continue
            if (
                kind == "money"
                or bound is not None
                or (
                    kind is None
                    and cue in ("max", "min", "around", "between")
                    and (not n.words or n.value >= 20)  # "about two hundred", not "about six"
                )
            ):
                value = self._minor(n.value)
                if cue == "min":
                    ents.setdefault("money_min", value)
                else:
                    ents.setdefault("money", value)
                last = unit[1] if unit else bound if bound is not None else n.last
                span = self._cue_span(words, n.first) if cue else None
                first = span[1] if span else n.first
                if n.first > 0 and words[n.first - 1].token.folded in self.currency_words:
                    first = min(first, n.first - 1)
                used.update(range(first, last + 1))
            elif kind == "months":
                if n.value == n.value.to_integral_value() and 0 <= n.value <= 48:
                    ents["age"] = int(n.value) // 12  # a baby's age in whole years
                    last = unit[1] if unit else n.last
                    used.update(range(n.first, last + 1))
            elif kind == "age" or cue == "age_cue":
                if n.value == n.value.to_integral_value() and 0 <= n.value <= 120:
                    ents.setdefault("age", int(n.value))
                    last = unit[1] if unit else n.last
                    used.update(range(n.first, last + 1))
            elif kind == "quantity":
                if n.value == n.value.to_integral_value() and 0 < n.value < 1000:
                    ents.setdefault("quantity", int(n.value))
                    used.update(range(n.first, (unit[1] if unit else n.last) + 1))
            elif cue == "size_cue" and not n.words:
                ents.setdefault(
                    "size",
                    str(int(n.value)) if n.value == n.value.to_integral_value() else str(n.value),
                )
                used.update(range(n.first - 1, n.last + 1))
            k += 1
        for i, w in enumerate(words):
            m2 = _QUANTITY_X.match(w.token.folded)
            if m2 and i not in used:
                ents.setdefault("quantity", int(m2.group(1) or m2.group(2)))
                used.add(i)

    def _counts_parts(self, words: Sequence[Word], number: Number, kind: str | None) -> bool:
        """ "1000 piece puzzle", "puzzle 500 elementów", "пазл на 1000 деталей": a count of the
        product's parts. A word that is also a quantity ("piezas", "pieces") counts parts
        after a big number or next to a product the shop knows ("dame 3 piezas" is three)."""
        if number.suffix or number.value != number.value.to_integral_value():
            return False
        start = number.last + 1
        found = next(iter(self.parts.find(words[start : start + 2])), None)
        if found is None or found.start != 0:
            return False
        if kind is None or number.value >= 50:
            return True
        end = start + found.end
        near = [*words[max(0, number.first - 2) : number.first], *words[end : end + 1]]
        return any(self.interests.find([w]) for w in near)

    def _ago(self, words: Sequence[Word], number: Number, unit: tuple[str, int] | None) -> bool:
        """A time unit is a span where "ago" follows it or "hace", "уже" come just before."""
        last = unit[1] if unit else number.last
        around = [*words[max(0, number.first - 2) : number.first], *words[last + 1 : last + 2]]
        return any(self.ago.find([w]) for w in around)

    def _age_bound(self, words: Sequence[Word], number: Number, cue: str | None) -> bool:
        """ "toys for kids under 12", "dla dzieci do 10": a bound on an age, not a price;
        "mi hermanita de 9": an age."""
        if number.value > 18 or number.value != number.value.to_integral_value():
            return False
        span = self._cue_span(words, number.first)
        at = (span[1] if span else number.first) - 1
        if at < 0:
            return False
        for match in self.things.find(words[at : at + 1]):
            kind, rid = match.phrase.payload
            if kind == "recipient" and (
                rid in _GROUP_WORDS
                or (cue == "between" and self.vocabulary.recipients[rid].group != "adult")
            ):
                return True
        return False

    def _things(
        self,
        text: str,
        words: Sequence[Word],
        ents: dict[str, Any],
        used: set[int],
        interests: PhraseIndex | None,
        interest_used: set[int],
    ) -> int | None:
        """Recipients, colours, sizes, interests...; returns where the recipient ends."""
        recipients: list[tuple[str, int, int, str]] = []  # id, start, end, language
        quiet = set(used)
        # A currency word that no amount took ("złotych") is no colour ("złoty", golden).
        quiet.update(i for i, w in enumerate(words) if w.token.folded in self.currency_words)
        for match in self.ignore.find(words, used):
            quiet.update(range(match.start, match.end))
        named_ages = self.named_ages.find(words, quiet)
        for match in named_ages:  # "na roczek", "first birthday", "recién nacido"
            ents.setdefault("age", int(match.phrase.payload))
        for match in self.things.find(words, quiet):
            kind, value = match.phrase.payload
            if kind == "recipient":
                recipients.append((value, match.start, match.end, match.phrase.lang))
            elif kind == "size":
                literal = all(
                    words[j].token.folded in self.size_forms for j in range(match.start, match.end)
                )
                if not literal and not any(
                    m.phrase.payload == "size_cue" for m in self.cues.find(words)
                ):
                    continue  # "больше" (more) is no size "большой"
                ents.setdefault("size", value)
            else:
                ents.setdefault(kind, value)
            used.update(range(match.start, match.end))
        for match in named_ages:
            used.update(range(match.start, match.end))
        # Single-letter sizes count after a size cue only ("size M", "talla L").
        for i, w in enumerate(words):
            if i in used or i == 0:
                continue
            if w.token.folded in self.size_letters and any(
                m.phrase.payload == "size_cue" and m.end == 1
                for m in self.cues.find(words[i - 1 : i])
            ):
                ents.setdefault("size", w.token.folded)
                used.update((i - 1, i))
        after: int | None = None
        if recipients:
            # "my son's teacher", "la profesora de mi hijo": the gift is for the teacher.
            links: set[int] = set()
            owners = self._possessors(text, words, recipients, links)
            used.update(links)
            chosen = [r for r in recipients if r not in owners] or recipients
            # The most specific one: "my son" over "my little"; the first among equals.
            rid, _start, after, _lang = max(
                chosen, key=lambda r: _specificity(self.vocabulary, r[0])
            )
            rdef = self.vocabulary.recipients[rid]
            ents["recipient"] = rid
            if rdef.gender:
                ents.setdefault("gender", rdef.gender)
            else:  # "my colleague ... buy her": her gender from the pronoun
                genders = {
                    self.vocabulary.recipients[r].gender
                    for r, _start, _end, _lang in chosen
                    if r in _PEOPLE
                } - {None}
                if len(genders) == 1:
                    ents.setdefault("gender", genders.pop())
            if rdef.age is not None:
                ents.setdefault("age", rdef.age)
            if rdef.group and "age" not in ents:
                ents["age_group"] = rdef.group
        found: list[str] = []
        for index in (self.interests, interests):
            if index is None:
                continue
            for match in index.find(words, used):
                _kind, iid = match.phrase.payload
                if iid not in found:
                    found.append(iid)
                used.update(range(match.start, match.end))
                interest_used.update(range(match.start, match.end))
        if found and self._about_likes(words, ents, interest_used, used):
            ents["interest"] = found
        return after

    def _possessors(
        self,
        text: str,
        words: Sequence[Word],
        recipients: list[tuple[str, int, int, str]],
        links: set[int],
    ) -> list[tuple[str, int, int, str]]:
        """Recipients named only as someone's owner: the son in "my son's teacher", "la
        profesora de mi hijo", "nauczycielki mojego syna", "معلم پسرم". Two people next to each
        other with only possessives or articles between them (no "and", no comma): in English
        the one after "'s" (or the compound's head) is possessed unless "of" joins them; in
        the other languages the possessed comes first, its owner after it."""
        owners = []
        people = sorted(
            (r for r in recipients if r[0] not in _GROUP_WORDS and r[0] not in _PEOPLE),
            key=lambda r: r[1],
        )
        for a, b in zip(people, people[1:], strict=False):
            if b[1] < a[2] or a[0] == b[0]:
                continue
            gap = words[a[2] : b[1]]
            if any(
                w.token.folded in _CONJUNCTIONS
                or not (w.token.folded in self.quiet_words or w.keys & self.quiet_words)
                for w in gap
            ):
                continue
            between = text[words[a[2] - 1].token.end : words[b[1]].token.start]
            if any(mark in between for mark in ",;.!?"):
                continue
            links.update(range(a[2], b[1]))  # "mojego", "de mi": the chain's, no product's
            english = a[3] == "en" and b[3] == "en"
            if english and not any(w.token.folded == "of" for w in gap):
                owners.append(a)
            else:
                owners.append(b)
        return owners

    def _about_likes(
        self, words: Sequence[Word], ents: dict[str, Any], interest_used: set[int], used: set[int]
    ) -> bool:
        """Whether the interests a sentence names are what someone likes: it says so
        ("loves", "lubi"), names who or how old, or is little more than the interests
        ("dinozaury", "lego and space"). "my dog ate my homework" is not."""
        if "recipient" in ents or "age" in ents or self.likes.find(words):
            return True
        rest = [
            i
            for i, w in enumerate(words)
            if i not in interest_used
            and i not in used
            and not w.token.is_number
            and w.token.folded not in self.quiet_words
        ]
        return len(rest) <= 1

    def _minor(self, value: Decimal) -> int:
        return int((value * self.scale).to_integral_value())


# Recipients that name an age group rather than a person.
_GROUP_WORDS = frozenset({"child", "baby", "toddler", "boy", "girl", "teen", "adult"})
# "its been 5 days", "it is 3 weeks": an age cue ("is", "be") that says how long, not how old.
_BE = frozenset({"is", "be", "been", "was", "are", "has", "its", "it's", "will", "gonna"})
# Words that list two people rather than tie one to the other ("my son and daughter").
_CONJUNCTIONS = frozenset(
    {"and", "or", "&", "i", "oraz", "lub", "albo", "y", "e", "o", "и", "или", "و", "یا"}
)
# Recipients that say only someone's sex ("for him", "a lady"): any person named wins.
_PEOPLE = frozenset({"man", "woman"})


def _specificity(vocab: Vocabulary, rid: str) -> int:
    rdef = vocab.recipients[rid]
    return (
        (rdef.gender is not None)
        + (rdef.group is not None)
        + (rid not in ("child", "adult", "teen", "myself"))  # "para mi hijo": the son
        - (rid in _PEOPLE)  # "my colleague ... buy her a gift": the colleague
    )


def _covering(words: Sequence[Word], start: int, end: int) -> set[int]:
    return {i for i, w in enumerate(words) if w.token.start < end and w.token.end > start}


def _decimal(raw: str) -> Decimal | None:
    raw = raw.replace("\u00a0", " ").replace("\u202f", " ")
    m = re.search(r"[.,](\d{1,2})$", raw)
    whole, frac = (raw[: m.start()], m.group(1)) if m else (raw, "")
    digits = re.sub(r"\D", "", whole)
    try:
        return Decimal(f"{digits}.{frac}" if frac else digits)
    except InvalidOperation:
        return None


def _currency_words(
    currency: str, vocab: Vocabulary, locales: Sequence[str]
) -> tuple[set[str], set[str]]:
    """Folded words naming the shop's currency, and its one-character signs."""
    from babel import Locale, UnknownLocaleError

    words: set[str] = {fold(currency)}
    signs: set[str] = set()
    names: list[str] = list(vocab.money.currency_words.get(currency, []))
    for loc in [*locales, "en"]:
        try:
            data = Locale.parse(loc.replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            continue
        symbol = data.currency_symbols.get(currency)
        if symbol:
            names.append(symbol)
        name = data.currencies.get(currency)
        if name:
            names.append(name)
        plurals = data._data.get("currency_names_plural", {}).get(currency, {})
        names.extend(plurals.values())
    for name in names:
        folded = fold(name)
        if len(folded) == 1 and not folded.isalnum():
            signs.add(name)
            signs.add(folded)
            continue
        for part in re.findall(r"\w+", folded):
            if len(part) >= 2:
                words.add(part)
        if not folded.isalnum() and len(folded) <= 3:
            signs.add(name)
    # Adjectives of country names in Babel's currency names ("polski", "польский") are not
    # currency words on their own.
    words -= {
        "polski",
        "polskie",
        "polskich",
        "polaco",
        "polacos",
        "польский",
        "польских",
        "польского",
        "لهستان",
        "polish",
        "us",
        "american",
        "british",
    }
    return words, signs


def _phone(text: str, regions: Sequence[str]) -> tuple[str, int, int] | None:
    try:
        import phonenumbers
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    # A number valid in one of the regions (the shop's country first) beats one that is
    # only possible there ("0912 123 4567" is Iranian, though it has the shape of a UK one).
    possible: tuple[str, int, int] | None = None
    for region in [None, *regions]:
        try:
            for match in phonenumbers.PhoneNumberMatcher(text, region):
                number = match.number
                if phonenumbers.is_possible_number(number):
                    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
                    if phonenumbers.is_valid_number(number):
                        return e164, match.start, match.end
                    possible = possible or (e164, match.start, match.end)
        except Exception:
            continue
    return possible


def _regions(locales: Sequence[str], currency: str = "") -> list[str]:
    """Where a phone number without its country code is read from: the shop's country first
    (the one country whose money is the shop's, from Babel's data), then its locales'."""
    guess = {"pl": "PL", "es": "ES", "ru": "RU", "fa": "IR", "en": "GB", "de": "DE", "fr": "FR"}
    out: list[str] = []
    try:
        from babel.core import get_global

        using = [
            country
            for country, spans in get_global("territory_currencies").items()
            if len(country) == 2 and any(c[0] == currency and c[2] is None and c[3] for c in spans)
        ]
    except Exception:  # Babel's data layout is not part of its API
        using = []
    if len(using) == 1:
        out.append(using[0])
    for loc in locales:
        parts = loc.replace("_", "-").split("-")
        region = parts[1].upper() if len(parts) > 1 else guess.get(parts[0])
        if region and region not in out:
            out.append(region)
    return out


__all__ = ["EntityReader", "Found", "Number"]

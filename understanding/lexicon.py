"""Matching a message's words against known phrases, tolerant of inflection and typos.

Every known phrase (a vocabulary entry, a flow example, a number word) is stored as the
lemmas of its words in its own language. A message word matches through its folded form,
its lemma in the message's language, and, when it is no dictionary word of that language
(a typo, a missing diacritic), the closest known word by Jaro-Winkler similarity from
``rapidfuzz`` confirmed by an edit distance (OSA, which counts a swap of two letters as
one edit) of at most one per four letters.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler

from .text import Token, clean, fold, known, lemma, script, stem_key, tokens

# Persian clitics written joined to a word: my/your/his (م ت ش), our (مان), plurals (ها های),
# the object marker (رو را) and the indefinite/ezafe ی. Stripped only to find a known word.
_FA_SUFFIXES = (
    "هایم",
    "های",
    "ها",
    "مان",
    "تان",
    "شان",
    "ام",
    "ات",
    "اش",
    "م",
    "ت",
    "ش",
    "ی",
    "رو",
    "را",
    # Spoken Persian: our/your/their (مون تون شون) and "is" joined to the word (ست, است:
    # "عاشق فضاست", loves space).
    "مون",
    "تون",
    "شون",
    "است",
    "ست",
    # ... and its shortest spoken form, "-e" ("عاشق علومه", loves science; "کتابه").
    "ه",
)
FUZZY_MIN_LENGTH = 4
FUZZY_SIMILARITY = 0.88


def phrase_keys(phrase: str, lang: str) -> tuple[str, ...]:
    """The lemma keys of a phrase written in ``lang``."""
    return tuple(lemma(t.text, lang) for t in tokens(clean(phrase)))


@dataclass
class Word:
    """A message word with every key it may match under, the most literal first."""

    token: Token
    keys: set[str]
    fuzzy: str | None = None  # the known word a typo was taken for
    order: list[str] = field(default_factory=list)

    def ranked(self) -> list[str]:
        """Keys by priority: as typed, its lemma, then stems and typo corrections."""
        if len(self.keys) <= len(self.order):
            return self.order
        return [*self.order, *sorted(k for k in self.keys if k not in self.order)]


@dataclass
class Phrase:
    keys: tuple[str, ...]
    payload: Any
    lang: str
    literal: bool = False  # these keys are the phrase as written, not its lemmas
    exact: tuple[str, ...] = ()  # "=" entries: the words as typed, accents included


@dataclass
class Match:
    start: int  # index of the first word
    end: int  # one past the last word
    phrase: Phrase


@dataclass
class PhraseIndex:
    """Known phrases by their first key, longest first."""

    by_first: dict[str, list[Phrase]] = field(default_factory=dict)

    def add(self, text: str, lang: str, payload: Any) -> tuple[str, ...]:
        """Index ``text`` by its lemmas and as written; ``"=text"`` only as written, accents
        included ("=para mí" is for oneself; "para mi hijo" is not)."""
        exact = text.startswith("=")
        if exact:
            text = text[1:]
        keys = phrase_keys(text, lang)
        if not keys:
            return keys
        # Also as written: a form listed on purpose ("پسرم", my son) must not lose to
        # another entry whose lemma it shares ("پسر", boy).
        words = tokens(clean(text))
        literal = tuple(t.folded for t in words)
        typed = tuple(t.text for t in words) if exact else ()
        variants = [literal] if exact else [literal, keys]
        for variant, as_written in ((v, v == literal) for v in dict.fromkeys(variants)):
            bucket = self.by_first.setdefault(variant[0], [])
            if not any(p.keys == variant and p.payload == payload for p in bucket):
                bucket.append(Phrase(variant, payload, lang, as_written, typed))
                # The longest first; among equally long ones, a form listed as written
                # ("niño", boy) before another entry's lemma ("niños" -> niño, children).
                bucket.sort(key=lambda p: (-len(p.keys), not p.literal))
        return keys

    def keys(self) -> Iterable[str]:
        for bucket in self.by_first.values():
            for p in bucket:
                yield from p.keys

    def find(self, words: Sequence[Word], taken: set[int] | None = None) -> list[Match]:
        """Non-overlapping matches, longest first from left to right."""
        out: list[Match] = []
        i, n = 0, len(words)
        taken = taken or set()
        while i < n:
            best: Match | None = None
            if i not in taken:
                # The longest phrase wins; among equally long ones, the one reached through
                # the most literal key ("پسرم" as typed over its stem "پسر").
                for key in words[i].ranked():
                    for phrase in self.by_first.get(key, ()):
                        size = len(phrase.keys)
                        if best is not None and size <= best.end - best.start:
                            break
                        if i + size > n or any(j in taken for j in range(i, i + size)):
                            continue
                        if phrase.exact and any(
                            words[i + k].token.text != phrase.exact[k] for k in range(size)
                        ):
                            continue
                        if all(phrase.keys[k] in words[i + k].keys for k in range(1, size)):
                            best = Match(i, i + size, phrase)
                            break
            if best is not None:
                out.append(best)
                i = best.end
            else:
                i += 1
        return out

    def find_all(self, words: Sequence[Word]) -> list[Match]:
        """Every match, overlapping ones too (for scoring intents)."""
        out: list[Match] = []
        for i in range(len(words)):
            for key in words[i].keys:
                for phrase in self.by_first.get(key, ()):
                    size = len(phrase.keys)
                    if (
                        i + size <= len(words)
                        and all(phrase.keys[k] in words[i + k].keys for k in range(1, size))
                        and not (
                            phrase.exact
                            and any(words[i + k].token.text != phrase.exact[k] for k in range(size))
                        )
                    ):
                        out.append(Match(i, i + size, phrase))
        return out


class Lexicon:
    """The known words of one shop: for fuzzy matching and for reading messages."""

    def __init__(self, words: Iterable[str], locales: Sequence[str]) -> None:
        self.locales = list(locales)
        self.words = frozenset(w for w in words if w)
        # Candidates for a typo share its first letter: Jaro-Winkler weighs the start of a
        # word most anyway, and it keeps a lookup to a few hundred comparisons.
        by_initial: dict[str, list[str]] = {}
        for w in sorted(self.words):
            if len(w) >= FUZZY_MIN_LENGTH and w.isalpha():
                by_initial.setdefault(w[0], []).append(w)
        self._by_initial = by_initial
        self.closest = lru_cache(maxsize=65536)(self._closest)

    def _closest(self, word: str) -> str | None:
        candidates = self._by_initial.get(word[:1])
        if not candidates:
            return None
        # The few most similar, then the one fewest edits away: "bratnka" is as similar to
        # "bratanek" as to "bratanka", which is one letter off.
        found = process.extract(
            word,
            candidates,
            scorer=JaroWinkler.normalized_similarity,
            score_cutoff=FUZZY_SIMILARITY,
            limit=4,
        )
        # Among as many edits, one of the same length: "neice" is "niece" (two letters
        # swapped) rather than "nice" (one missing).
        best: str | None = None
        rank = (0, 0)
        for candidate, _score, _index in found:
            edits = OSA.distance(word, candidate)
            here = (edits, len(candidate) != len(word))
            if edits <= max(1, min(len(word), len(candidate)) // 4) and (
                best is None or here < rank
            ):
                best, rank = candidate, here
        return best

    def read(self, text: str, langs: Sequence[str]) -> list[Word]:
        """The words of a message with their keys, reading it as ``langs[0]`` first."""
        out = []
        primary = langs[0] if langs else "en"
        for tok in tokens(clean(text)):
            keys = {tok.folded}
            order = [tok.folded]
            if tok.folded.endswith("'s") and len(tok.folded) > 3:
                # English possessive: "dad's birthday" is about dad.
                bare = tok.folded[:-2]
                keys.add(bare)
                order.append(bare)
                keys.add(lemma(bare, primary))
            if not tok.is_number:
                base = lemma(tok.text, primary)
                if base not in keys:
                    keys.add(base)
                    order.append(base)
                if primary == "fa" or script(tok.text) == "arabic":
                    keys |= _fa_stems(tok.folded)
                stemmed = stem_key(tok.text, primary)
                if stemmed is not None:
                    keys.add(stemmed)
            word = Word(tok, keys, order=order)
            if not (keys & self.words) and not tok.is_number and not known(tok.text, primary):
                for other in langs[1:]:
                    extra = lemma(tok.text, other)
                    if extra in self.words:
                        keys.add(extra)
                        break
                else:
                    # Persian words are short and differ by one letter ("باهام", with me;
                    # "بابام", my dad): only long ones are taken for typos.
                    shortest = FUZZY_MIN_LENGTH + 2 * (script(tok.text) == "arabic")
                    if len(tok.folded) >= shortest and not any(
                        known(tok.text, lang) for lang in langs[:1]
                    ):
                        close = self.closest(tok.folded)
                        if close is not None:
                            keys.add(close)
                            word.fuzzy = close
            out.append(word)
        return out


def fa_stems(word: str) -> set[str]:
    """Persian word without its joined clitics (for matching only)."""
    return _fa_stems(word)


def _fa_stems(word: str) -> set[str]:
    out = set()
    if word.startswith("ن") and word[1:].startswith("می"):
        word = word[1:]
    for suffix in _FA_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            out.add(word[: -len(suffix)])
    return out


__all__ = ["Lexicon", "Match", "Phrase", "PhraseIndex", "Word", "fold", "phrase_keys"]

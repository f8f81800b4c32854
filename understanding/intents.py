"""Which flow a sentence asks for, from the flows' examples and keywords.

Each example is a list of words, each a set of keys (its form as written, its lemma, its
Snowball stem, for Persian its stems without joined clitics); a word counts once, through
whichever key the sentence shares, so "hola" read as English still meets the Spanish
example. A key's weight
is its squared inverse frequency across intents (a word every flow uses says little), and
the vocabulary's function words weigh no more than a word many intents use. A sentence
scores against an example by how much of the example it contains and how much of its own
known words the intent's examples explain together (the geometric mean of the two weighted
coverages), so word order, extra words and inflections do not matter, and "I was charged
but got no confirmation" meets "charged" in one example and "confirmation" in another; the
intent's score is its best example's. Words that are values (an amount, an age, a
recipient) are left out of the sentence's side, and count instead as evidence for the
flows that ask for them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from .lexicon import PhraseIndex, Word, fa_stems, phrase_keys
from .text import clean, stem_key, tokens

FUNCTION_SHARE = 0.3
# A content word no example, value or product explains weighs as much as the sentence's
# average known word: "where is the capital of Australia" is mostly not about an order.
UNKNOWN_SHARE = 1.0  # a key in this share of the intents is a function word


@lru_cache(maxsize=32)
def stop_words(lang: str) -> frozenset[str]:
    """The folded stop words of ``lang`` (empty when the package has no list for it)."""
    from stop_words import LANGUAGE_MAPPING, get_stop_words

    from .text import fold

    base = lang.split("-", 1)[0]
    name = LANGUAGE_MAPPING.get(base)
    if name is None:
        return frozenset()
    try:
        return frozenset(fold(w) for w in get_stop_words(name))
    except Exception:
        return frozenset()


@dataclass
class Example:
    intent: str
    keys: frozenset[str]
    lang: str
    text: str
    source: object = None  # where it was written (for lint messages)
    # The keys of each word (its lemma, stems): a word counts once, through any of them.
    groups: tuple[frozenset[str], ...] = ()
    weight: float = 0.0

    def credit(self, weights: dict[str, float], hit: frozenset[str] | set[str]) -> float:
        """The weight of the example's words that ``hit`` matches (each word once)."""
        got = 0.0
        for group in self.groups:
            common = group & hit
            if common:
                got += max(weights[k] for k in common)
        return got


@dataclass
class IntentIndex:
    """Intents (flow ids, or ``@name`` for interruptions) with their examples."""

    examples: list[Example] = field(default_factory=list)
    weights: dict[str, float] = field(default_factory=dict)
    by_key: dict[str, list[int]] = field(default_factory=dict)
    stop: dict[str, frozenset[str]] = field(default_factory=dict)
    stop_keys: frozenset[str] = frozenset()
    function_keys: frozenset[str] = frozenset()  # the vocabulary's function words

    def add(self, intent: str, text: str, lang: str, source: object = None) -> Example | None:
        toks = tokens(clean(text))
        lemmas = phrase_keys(text, lang)
        if not lemmas:
            return None
        persian = lang.split("-")[0] in ("fa", "ar", "ur")
        groups = []
        for tok, key in zip(toks, lemmas, strict=False):
            group = {key}
            if tok.folded.isalpha():
                # As written too: a typo is closer to the word than to its lemma ("buenass"
                # to "buenas", not "bueno"), and a message read in another language meets it.
                group.add(tok.folded)
            if persian:
                # Persian joins "my", plurals and the object marker to words: their stems.
                group |= {stem for stem in fa_stems(key) if len(stem) > 2}
            # Snowball stems too: inflections the lemma dictionary does not know still meet.
            stem = stem_key(tok.text, lang)
            if stem:
                group.add(stem)
            groups.append(frozenset(group))
        keys = frozenset().union(*groups)
        example = Example(intent, keys, lang, text, source, groups=tuple(groups))
        self.examples.append(example)
        return example

    def finish(self) -> None:
        """Compute the weights once every example is in.

        A key's weight is its inverse frequency across intents. Keys most intents use
        ("for", "my", "i") are function words: matching only those says nothing. Stop-word
        lists are not used here: they hold words that decide intents ("order", "help",
        "find", "buy" are all English stop words).
        """
        df: dict[str, set[str]] = {}
        for ex in self.examples:
            for key in ex.keys:
                df.setdefault(key, set()).add(ex.intent)
        n = len({ex.intent for ex in self.examples}) or 1
        self.weights = {key: _idf(n, len(intents)) for key, intents in df.items()}
        common = max(3, math.ceil(n * FUNCTION_SHARE))
        self.stop_keys = self.function_keys | frozenset(
            k for k, intents in df.items() if len(intents) >= common
        )
        # The vocabulary's function words ("dla", "para", "برای") say as little as a word
        # many intents use, even when only one flow's examples happen to hold them: "dla"
        # in the gift finder's alone must not make "szukam mikroskopu dla dziecka" a gift.
        common_weight = _idf(n, common)
        for key in self.function_keys & self.weights.keys():
            self.weights[key] = min(self.weights[key], common_weight)
        self.by_key = {}
        for i, ex in enumerate(self.examples):
            if not ex.groups:
                ex.groups = tuple(frozenset([k]) for k in ex.keys)
            ex.weight = sum(max(self.weights[k] for k in g) for g in ex.groups)
            for key in ex.keys:
                self.by_key.setdefault(key, []).append(i)

    def _stop(self, lang: str) -> frozenset[str]:
        found = self.stop.get(lang)
        if found is None:
            found = self.stop[lang] = stop_words(lang)
        return found

    def words(self) -> set[str]:
        return set(self.weights)

    def score(
        self,
        words: Sequence[Word],
        used: set[int],
        evidence: dict[str, float] | None = None,
        unknown: int = 0,
        foreign: Callable[[str], int] | None = None,
    ) -> tuple[list[tuple[str, float]], dict[str, set[str]]]:
        """Intents by score, best first (only those with some match), and for each the
        languages of its best-matching examples. ``unknown`` counts the sentence's content
        words no example knows (nor any value, nor the catalog): they are part of what the
        sentence says that no intent explains ("the capital of Australia"). ``foreign(intent)``
        counts the kinds of value the sentence holds that the intent does not ask for: for
        it they are unexplained too ("poproszę 3 sztuki" is no request for a person)."""
        weights = self.weights
        # Each sentence word: its known keys and its weight (its best known key's); words
        # that are values (amounts, ages, recipients) are left out.
        word_weight: list[float] = []
        word_of: dict[str, list[int]] = {}
        for i, w in enumerate(words):
            keys = [k for k in w.keys if k in weights]
            if not keys or i in used:
                continue  # a value ("syna", "100 zł") is evidence, not a matching word
            n = len(word_weight)
            word_weight.append(max(weights[k] for k in keys))
            for k in keys:
                word_of.setdefault(k, []).append(n)
        total = sum(word_weight)
        unit = UNKNOWN_SHARE * total / len(word_weight) if word_weight else 0.0
        total += unknown * unit
        mine = word_of.keys()
        candidates: set[int] = set()
        for k in mine:
            candidates.update(self.by_key.get(k, ()))
        best: dict[str, float] = {}
        langs: dict[str, set[str]] = {}
        stop, function = self.stop_keys, self.function_keys
        # First every example's coverage and the sentence words it explains: how much of the
        # sentence an intent explains counts the words all its examples explain together
        # ("charged" in one, "no confirmation" in another).
        scored: list[tuple[Example, float]] = []
        together: dict[str, set[int]] = {}
        for idx in candidates:
            ex = self.examples[idx]
            hit = ex.keys & mine
            if (hit <= stop and not ex.keys <= stop) or (
                hit <= function and not ex.keys <= function
            ):
                continue  # only "is", "my", "please" in common with an example that says more
            got = ex.credit(weights, hit)
            if not got or not ex.weight:
                continue
            together.setdefault(ex.intent, set()).update(j for k in hit for j in word_of[k])
            scored.append((ex, got / ex.weight))
        union = {}
        for intent, seen in together.items():
            own_total = total + (foreign(intent) * unit if foreign else 0.0)
            union[intent] = sum(word_weight[j] for j in seen) / own_total if own_total else 1.0
        for ex, cover in scored:
            share = union[ex.intent]
            value = math.sqrt(cover * share) if share else cover * 0.5
            known = best.get(ex.intent, 0.0)
            if value > known + 1e-9:
                best[ex.intent] = value
                langs[ex.intent] = {ex.lang}
            elif abs(value - known) <= 1e-9:
                langs.setdefault(ex.intent, set()).add(ex.lang)
        for intent, bonus in (evidence or {}).items():
            if intent in best or bonus >= 0.25:
                best[intent] = best.get(intent, 0.0) + bonus  # may pass 1: ranks, not odds
        return sorted(best.items(), key=lambda kv: (-kv[1], kv[0])), langs

    def phrase_index(self) -> PhraseIndex:
        index = PhraseIndex()
        for ex in self.examples:
            index.add(ex.text, ex.lang, ex.intent)
        return index


__all__ = ["Example", "IntentIndex", "stop_words"]


def _idf(n: int, df: int) -> float:
    """A key's weight from how many of the ``n`` intents use it: squared, so that a word
    one or two flows use ("basket", "parcel") outweighs one most use ("want", "my") by far
    more than plain inverse frequency would say with a dozen intents."""
    return math.log(1 + n / df) ** 2

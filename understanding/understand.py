"""The understanding: one message in, what it means out. Pure, I/O-free and fast.

understander = Understander(locales, currency, vocabulary, intents)
result = understander.understand("prezent dla bratanka, 8 lat, do 100 zł", locale="en")
result.language   -> "pl"
result.intent     -> "gift_finder"
result.entities   -> {"recipient": "nephew", "gender": "male", "age": 8,
                      "age_group": "child", "money": 10000}
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .entities import EntityReader
from .intents import IntentIndex, stop_words
from .language import LanguageDetector
from .lexicon import Lexicon, PhraseIndex, Word, fa_stems, phrase_keys
from .text import clean, fold, lemma, script, stem_key
from .vocabulary import CatalogTerms, CatalogVocabulary, Vocabulary, iter_words

START = 0.5  # an intent this sure starts its flow
MARGIN = 0.08  # ... when the runner-up is this far behind (or the best is above SURE)
SURE = 0.75
# Recipients that say an age group rather than a person ("for kids", "dla dorosłych").
GROUPS = frozenset({"child", "baby", "toddler", "boy", "girl", "teen", "adult", "man", "woman"})
# Values whose presence says what a message is about (not derived ones like the gender).
VALUE_KINDS = frozenset(
    {"money", "age", "recipient", "interest", "order_number", "email", "phone", "quantity"}
)
FILTER_KINDS = frozenset({"money", "age", "recipient", "interest"})
CLARIFY = 0.3  # between CLARIFY and START: ask which of the two best was meant
EVIDENCE = 0.17  # per kind of value a flow asks for that the sentence holds
MAX_EVIDENCE = 0.51  # three kinds ("for my 8 year old nephew") are enough on their own
# The pseudo-intent of small talk and general questions (understanding/data/off_topic.yaml):
# negative evidence, never a result.
OFF_TOPIC = "@none"
OFF_TOPIC_FILE = Path(__file__).with_name("data") / "off_topic.yaml"
# What Understander.warm reads in each locale: a name, a number, an amount, an address.
WARM_UP_SAMPLE = "Ana, 30, 8 eight, 100 EUR, ana@example.com +48 600 700 800"


@lru_cache(maxsize=1)
def off_topic_examples() -> dict[str, tuple[str, ...]]:
    """Sentences no shop flow answers, per locale (shipped with shopchat)."""
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(OFF_TOPIC_FILE.read_text(encoding="utf-8")) or {}
    return {str(loc): tuple(str(t) for t in items or ()) for loc, items in data.items()}


@dataclass(frozen=True)
class Understanding:
    """What one message means: its language, the intent, and the values it holds."""

    text: str
    locale: str  # the language it was read in
    language: str | None = None  # a shop locale, when the text clearly is in it
    language_confidence: float = 0.0
    intent: str | None = None  # a flow id, or "@human" / "@help" / ... for interruptions
    confidence: float = 0.0
    alternatives: tuple[tuple[str, float], ...] = ()  # best intents first, with scores
    entities: dict[str, Any] = field(default_factory=dict)
    source: str = "builtin"  # or "model"
    clarify_at: float = CLARIFY  # the shop's `understanding: {clarify: ...}`

    @property
    def clarify(self) -> tuple[str, ...]:
        """The two intents to offer when none is sure enough (empty when one is)."""
        if self.intent is not None:
            return ()
        close = [
            i for i, s in self.alternatives[:2] if s >= self.clarify_at and not i.startswith("@")
        ]
        return tuple(close) if len(close) == 2 else ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "locale": self.locale,
            "language": self.language,
            "intent": self.intent,
            "confidence": round(self.confidence, 3),
            "entities": self.entities,
        }


class Understander:
    """Reads messages for one shop. Build once per project; safe to share between threads."""

    def __init__(
        self,
        locales: Sequence[str],
        currency: str,
        vocabulary: Vocabulary,
        intents: IntentIndex,
        *,
        evidence: dict[str, frozenset[str]] | None = None,
        search_intent: str | None = None,
        weak_intents: frozenset[str] = frozenset(),
        detect_language: bool = True,
        start: float = START,
        clarify: float = CLARIFY,
    ) -> None:
        self.locales = list(locales)
        self.vocabulary = vocabulary
        self.intents = intents
        self.evidence = evidence or {}
        self.search_intent = search_intent
        # Intents any other one beats when both are sure: greetings ("hi, I need a gift").
        self.weak_intents = weak_intents
        self.detector = LanguageDetector(self.locales) if detect_language else None
        self.start_threshold = start
        self.clarify_threshold = clarify
        self.reader = EntityReader(vocabulary, currency, self.locales)
        if not any(ex.source is OFF_TOPIC_FILE for ex in intents.examples):
            for lang, sentences in off_topic_examples().items():
                if lang in self.locales:
                    for sentence in sentences:
                        intents.add(OFF_TOPIC, sentence, lang, OFF_TOPIC_FILE)
        intents.function_keys = frozenset(
            key
            for lang, word in iter_words(vocabulary.function_words, self.locales)
            for key in _function_keys(word, lang)
        )
        intents.finish()
        self._base_words = self.reader.vocabulary_keys() | intents.words()
        self.lexicon = Lexicon(self._base_words, self.locales)
        # Words of the search intent's examples ("do you have", "szukam"): not product words.
        self._pattern_words = {
            k for ex in intents.examples if ex.intent == search_intent for k in ex.keys
        }
        self._other_words = {
            k for ex in intents.examples if ex.intent != search_intent for k in ex.keys
        }
        self._stops = frozenset().union(
            *(stop_words(loc) for loc in self.locales), intents.function_keys
        )
        self.yes_no = PhraseIndex()
        for answer, words in vocabulary.yes_no.items():
            for lang, word in iter_words(words, self.locales):
                self.yes_no.add(word, lang, answer)
        self._catalog: tuple[object, PhraseIndex, frozenset[str]] | None = None
        self._catalog_lock = threading.Lock()

    # -- the catalog's words ---------------------------------------------------------------
    def _catalog_view(
        self, catalog: CatalogVocabulary | None
    ) -> tuple[PhraseIndex | None, frozenset[str]]:
        if catalog is None:
            return None, frozenset()
        try:
            terms = catalog.terms()
        except Exception:  # a catalog that cannot answer must not stop the conversation
            return None, frozenset()
        cached = self._catalog
        if cached is not None and cached[0] == terms.version:
            return cached[1], cached[2]
        with self._catalog_lock:
            cached = self._catalog
            if cached is not None and cached[0] == terms.version:
                return cached[1], cached[2]
            index, words = self._index_catalog(terms)
            self._catalog = (terms.version, index, words)
            return index, words

    def _index_catalog(self, terms: CatalogTerms) -> tuple[PhraseIndex, frozenset[str]]:
        index = PhraseIndex()
        for iid, per_locale in terms.interests.items():
            index.add(iid.replace("_", " "), "", ("interest", iid))
            for lang, word in iter_words(dict(per_locale), [*self.locales, ""]):  # type: ignore[arg-type]
                index.add(word, lang or "", ("interest", iid))
        words = set(terms.words)
        for w in list(terms.words)[:200_000]:
            kind = script(w)
            for lang in self.locales:
                if (kind == "cyrillic") == (lang in ("ru", "uk", "bg")) and (kind == "arabic") == (
                    lang in ("fa", "ar")
                ):
                    words.add(lemma(w, lang))
        return index, frozenset(words)

    # -- reading ---------------------------------------------------------------------------
    def detect(self, text: str) -> tuple[str, float] | None:
        if self.detector is None:
            return None
        return self.detector.detect(clean(text))

    def read(self, text: str, locale: str) -> list[Word]:
        langs = [locale, *(loc for loc in self.locales if loc != locale)]
        return self.lexicon.read(text, langs)

    def understand(
        self,
        text: str,
        locale: str,
        *,
        detect: bool = True,
        catalog: CatalogVocabulary | None = None,
    ) -> Understanding:
        """What ``text`` means, read in ``locale`` unless it is clearly in another shop locale."""
        cleaned = clean(text)[:1000]
        language: tuple[str, float] | None = None
        if detect and self.detector is not None:
            language = self.detector.detect(cleaned)
        reading = language[0] if language else locale
        langs = [reading, *(loc for loc in self.locales if loc != reading)]
        words = self.lexicon.read(cleaned, langs)
        interests, catalog_words = self._catalog_view(catalog)
        found = self.reader.read(cleaned, words, langs, interests)
        ents = found.entities
        product = self._product_words(words, found.used - found.interest_used, catalog_words)
        if product:
            ents["product"] = " ".join(product)
        evidence = {}
        for intent, kinds in self.evidence.items():
            n = len(kinds & ents.keys())
            if n:
                evidence[intent] = min(MAX_EVIDENCE, EVIDENCE * n)
        named = self._known_products(words, ents, catalog_words)
        if self.search_intent and named:
            # Things the catalog sells, named: evidence of a product question.
            extra = EVIDENCE * min(named, 2)
            evidence[self.search_intent] = evidence.get(self.search_intent, 0.0) + extra
        # What the product search gets for the words it would search for; small talk that
        # names a product ("are you a robot?") is still small talk.
        named_bonus = {i: v for i, v in evidence.items() if i == self.search_intent}
        # Values match no example ("100 zł" or "syna" in an example says nothing): they are
        # evidence for the flows that ask for them instead.
        kept = [i for i in range(len(words)) if i not in found.measure_used]
        used = {j for j, i in enumerate(kept) if i in found.used}
        weights = self.intents.weights
        unknown = sum(
            1
            for i in kept
            if i not in found.used
            and not words[i].token.is_number
            and len(words[i].token.folded) > 2
            and words[i].token.folded not in self._stops
            and not (words[i].keys & weights.keys())
            and not (catalog_words and words[i].keys & catalog_words)
        )
        held = ents.keys() & VALUE_KINDS
        asks = self.evidence
        search = self.search_intent

        def foreign(intent: str) -> int:
            # The search takes amounts, ages, recipients and interests as filters.
            taken = FILTER_KINDS if intent == search else asks.get(intent, frozenset())
            return len(held - taken)

        ranked, example_langs = self.intents.score(
            [words[i] for i in kept], used, evidence, unknown, foreign if held else None
        )
        off_topic = dict(ranked).pop(OFF_TOPIC, 0.0)
        ranked = [(i, v) for i, v in ranked if i != OFF_TOPIC]
        ranked = self._filters_not_wishes(ranked, evidence, ents, words, catalog_words)
        chosen, confidence = self._decide(
            ranked, ents, words, catalog_words, off_topic, named_bonus
        )
        small_talk = confidence < 0
        if small_talk:  # small talk: no flow to start, and none to offer
            ranked, confidence = [], -confidence
        # Too short to detect ("hej", "hola", "¿eres un robot?"), but written like one
        # locale's example: of the flow it starts, or of the small talk it is.
        like = chosen if chosen is not None and confidence >= SURE else None
        if small_talk and off_topic >= self.start_threshold:
            like = OFF_TOPIC
        if language is None and like is not None and detect and self.detector is not None:
            langs_seen = example_langs.get(like, set())
            if len(langs_seen) == 1:
                only = next(iter(langs_seen))
                if only in self.locales and only != locale:
                    language = (only, off_topic if like == OFF_TOPIC else confidence)
        return Understanding(
            text=text,
            locale=reading,
            language=language[0] if language else None,
            language_confidence=language[1] if language else 0.0,
            intent=chosen,
            confidence=min(1.0, confidence),
            alternatives=tuple(ranked[:3]),
            entities=ents,
            clarify_at=self.clarify_threshold,
        )

    def _known_products(
        self, words: Sequence[Word], ents: dict[str, Any], catalog_words: frozenset[str]
    ) -> int:
        """How many of the sentence's product words the catalog knows."""
        if not catalog_words or not ents.get("product"):
            return 0
        named = set(ents["product"].split())
        return sum(1 for w in words if w.token.text in named and w.keys & catalog_words)

    def _filters_not_wishes(
        self,
        ranked: list[tuple[str, float]],
        evidence: dict[str, float],
        ents: dict[str, Any],
        words: Sequence[Word],
        catalog_words: frozenset[str],
    ) -> list[tuple[str, float]]:
        """ "Do you have puzzles for kids?": a product question whose recipient or age is a
        filter. When another flow leads the search only through the values it asks for (its
        words alone score below the search's), and the sentence names something the catalog
        sells, the search goes first."""
        search = self.search_intent
        if not search or len(ranked) < 2:
            return ranked
        person = ents.get("recipient") not in (None, *GROUPS)
        if ranked[0][0] == search:
            if not person:
                return ranked
            # "ищу что-нибудь для внука, любит лего": a person, so a gift, not a filter,
            # when a flow that asks who it is for reads the sentence about as well.
            top = ranked[0][1]
            for intent, value in ranked[1:3]:
                if "recipient" in self.evidence.get(intent, ()) and value + MARGIN >= top:
                    rest = [(i, v) for i, v in ranked if i != intent]
                    return [(intent, max(value, top)), *rest]
            return ranked
        if person:
            return ranked  # "for my grandson": a person, so a gift, not a filter
        scores = dict(ranked)
        found = scores.get(search)
        if found is None or found < self.start_threshold:
            return ranked
        best, score = ranked[0]
        own = score - evidence.get(best, 0.0)
        if own >= found - evidence.get(search, 0.0) or not self._known_products(
            words, ents, catalog_words
        ):
            return ranked
        return [(search, max(found, score)), *((i, v) for i, v in ranked if i != search)]

    def _decide(
        self,
        ranked: list[tuple[str, float]],
        ents: dict[str, Any],
        words: Sequence[Word],
        catalog_words: frozenset[str],
        off_topic: float = 0.0,
        named_bonus: dict[str, float] | None = None,
    ) -> tuple[str | None, float]:
        """The intent to start and its score, or (None, best score) when none is sure, or
        (None, -best score) for small talk.

        Small talk ("who won the match yesterday", "are you a real person lol") that matches
        the off-topic sentences about as well as the best flow does, or better, starts
        nothing. When the small talk is sure of itself, what the product search gets for
        naming a product does not count ("are you a robot?" names one)."""
        if off_topic >= self.clarify_threshold:
            if not ranked:
                return None, 0.0
            top, score = ranked[0]
            own = score - (named_bonus or {}).get(top, 0.0)
            if off_topic + MARGIN > (own if off_topic >= self.start_threshold else score):
                return None, -score  # small talk: nothing to offer either
        sure = [(i, v) for i, v in ranked if v >= self.start_threshold]
        strong = [(i, v) for i, v in sure if i not in self.weak_intents]
        if strong and len(strong) < len(sure):
            # "Dzień dobry, macie coś na prezent?": the greeting yields to what is asked.
            ranked = [(i, v) for i, v in ranked if i not in self.weak_intents]
        known = self._known_products(words, ents, catalog_words)
        if ranked:
            best: str | None
            best, score = ranked[0]
            runner = ranked[1][1] if len(ranked) > 1 else 0.0
            if (
                best == self.search_intent
                and catalog_words
                and not known
                and (score < SURE or runner >= self.start_threshold)
            ):
                # "сколько будет дважды два": a question shape, but nothing the shop sells;
                # "مشکل پرداخت دارم" (I have a payment problem): "have" is no product question
                # when another flow reads the sentence well.
                ranked = ranked[1:]
                best, score = ranked[0] if ranked else (None, 0.0)
                runner = ranked[1][1] if len(ranked) > 1 else 0.0
                if score < self.start_threshold + MARGIN:
                    # The words it asked about are still unexplained: "where is the Eiffel
                    # tower" is no order question either, unless an order flow is clear.
                    best = None
            if (
                best is not None
                and score >= self.start_threshold
                and (score - runner >= MARGIN or score >= SURE)
            ):
                return best, score
        if self.search_intent and ents.get("product"):
            # Names things the catalog sells, though no question shape says so.
            named = ents["product"].split()
            if named and known * 2 >= len(named):
                return self.search_intent, max(self.start_threshold, ranked[0][1] if ranked else 0)
        return None, ranked[0][1] if ranked else 0.0

    def _product_words(
        self, words: Sequence[Word], used: set[int], catalog_words: frozenset[str]
    ) -> list[str]:
        """Content words no value and no other intent explains: what the shopper names."""
        out = []
        for i, w in enumerate(words):
            if i in used or w.token.is_number or len(w.token.folded) < 2:
                continue
            keys = w.keys
            if w.token.folded in self._stops or keys & self._pattern_words:
                continue
            if keys & self._other_words and not (catalog_words and keys & catalog_words):
                continue
            out.append(w.token.text)
        return out

    def answer_yes_no(self, text: str, locale: str) -> str | None:
        """``"yes"``/``"no"`` when the message answers a yes/no question, else None."""
        words = self.read(text, locale)
        matches = self.yes_no.find(words)
        answers = {m.phrase.payload for m in matches}
        if len(answers) == 1 and matches and matches[0].start == 0:
            return str(next(iter(answers)))
        return None

    def warm(self) -> None:
        """Load now what reading messages needs, rather than on a shopper's first message:
        the language models and lemma dictionaries (a few seconds), the number words
        (num2words and its tables: 30 ms for the first name or age typed), and whatever
        else a first reading builds, by reading a sample in each locale."""
        from .numbers import words_for
        from .text import warm_lemmas

        warm_lemmas(self.locales)
        if self.detector is not None:
            self.detector.warm()
        for locale in self.locales:
            words_for(locale)
            self.understand(WARM_UP_SAMPLE, locale, detect=False)


def _function_keys(word: str, lang: str) -> set[str]:
    """Every key a function word can match under: its lemma, its folded form, its Snowball
    stem ("~pleas") and, in Persian, its stems ("برا" of "برای")."""
    keys = {*phrase_keys(word, lang), fold(word)}
    if " " not in word:
        stem = stem_key(word.lower(), lang)
        if stem:
            keys.add(stem)
        if lang.split("-")[0] in ("fa", "ar", "ur"):
            keys |= {k for k in fa_stems(fold(word)) if len(k) > 2}
    return keys


def keys_of(words: Iterable[Word]) -> set[str]:
    out: set[str] = set()
    for w in words:
        out |= w.keys
    return out


__all__ = ["CLARIFY", "OFF_TOPIC", "START", "Understander", "Understanding", "keys_of"]

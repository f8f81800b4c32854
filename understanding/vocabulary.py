"""The words a shop understands: built-in ones, the shop's own YAML, and its catalog's.

A vocabulary file (``vocabulary/*.yaml`` beside ``flows/``) has any of these sections; an
entry with an id the built-in vocabulary already has adds words to it::

    recipients:          # who a gift is for: age group, gender and words per locale
      mother_in_law: {group: adult, gender: female, words: {pl: [teściowa, dla teściowej]}}
    interests:           # what they like, mapped onto the catalog's tags and categories
      lego_technic: {words: {en: [LEGO Technic], pl: [klocki technic]}}
    entities:            # any other kind of value a flow can ask for, by canonical value
      payment_topic:
        problem: {en: [failed, declined], pl: [nie przeszła, odrzucona]}
    colours / sizes / ages / money / quantities / yes_no   # see understanding/data
    interest_cues        # "loves", "lubi": where a named interest is what someone likes

The catalog's own vocabulary (its tags, categories and brands in every feed language) comes
through :class:`CatalogVocabulary`, implemented by the catalog package.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

Words = dict[str, list[str]]
"""Words per locale: ``{en: [nephew], pl: [bratanek, bratanka]}``."""

GROUPS = ("child", "teen", "adult")
BUILTIN = Path(__file__).with_name("data") / "vocabulary.yaml"


class VocabularyError(Exception):
    """A vocabulary file is not valid; ``where`` is the section path inside the file."""

    def __init__(self, message: str, where: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.where = where


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _words(value: Any) -> Words:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError("words are a mapping of locale to a list of words, like {en: [gift]}")
    out: Words = {}
    for locale, items in value.items():
        if isinstance(items, str | int | float):
            items = [items]
        if not isinstance(items, list):
            raise ValueError(f"words for {locale!r} must be a list")
        out[str(locale)] = [str(item) for item in items if str(item).strip()]
    return out


class RecipientDef(_Strict):
    group: Literal["child", "teen", "adult"] | None = None
    gender: Literal["male", "female"] | None = None
    age: int | None = Field(default=None, ge=0, le=120)
    words: Words = Field(default_factory=dict)

    _check = field_validator("words", mode="before")(classmethod(lambda cls, v: _words(v)))


class InterestDef(_Strict):
    words: Words = Field(default_factory=dict)

    _check = field_validator("words", mode="before")(classmethod(lambda cls, v: _words(v)))


class AgeWords(_Strict):
    units: Words = Field(default_factory=dict)
    cues: Words = Field(default_factory=dict)
    months: Words = Field(default_factory=dict)  # "6 month old": a baby's age in months
    # Time spans after a number ("5 days", "od 3 dni", "۵ روزه"): never an age or a price.
    durations: Words = Field(default_factory=dict)
    # Words that make any time unit a span ("2 months ago", "hace 2 meses", "уже 2 месяца").
    ago: Words = Field(default_factory=dict)
    # Ages said without a number: {1: {pl: [roczek], en: [first birthday]}}.
    named: dict[int, Words] = Field(default_factory=dict)

    _check = field_validator("units", "cues", "months", "durations", "ago", mode="before")(
        classmethod(lambda cls, v: _words(v))
    )

    @field_validator("named", mode="before")
    @classmethod
    def _named(cls, value: Any) -> dict[int, Words]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ValueError("named ages are a mapping of age to words, like {1: {pl: [roczek]}}")
        out: dict[int, Words] = {}
        for age, words in value.items():
            try:
                years = int(age)
            except (TypeError, ValueError):
                raise ValueError(f"named age {age!r} is not a whole number of years") from None
            if not 0 <= years <= 120:
                raise ValueError(f"named age {years} is not between 0 and 120")
            out[years] = _words(words)
        return out


class MoneyWords(_Strict):
    max: Words = Field(default_factory=dict)
    min: Words = Field(default_factory=dict)
    around: Words = Field(default_factory=dict)
    between: Words = Field(default_factory=dict)
    to: Words = Field(default_factory=dict)
    # After a bare number, a price bound: "49.99 max", "150 tops", "cien como mucho".
    after: Words = Field(default_factory=dict)
    currency_words: dict[str, list[str]] = Field(default_factory=dict)

    _check = field_validator("max", "min", "around", "between", "to", "after", mode="before")(
        classmethod(lambda cls, v: _words(v))
    )


class QuantityWords(_Strict):
    units: Words = Field(default_factory=dict)
    # A product's parts after a number ("1000 piece puzzle", "puzzle 500 elementów"): part of
    # what the shopper names, never how many she wants.
    parts: Words = Field(default_factory=dict)

    _check = field_validator("units", "parts", mode="before")(classmethod(lambda cls, v: _words(v)))


class SizeWords(_Strict):
    cues: Words = Field(default_factory=dict)
    names: dict[str, Words] = Field(default_factory=dict)

    _check = field_validator("cues", mode="before")(classmethod(lambda cls, v: _words(v)))

    @field_validator("names", mode="before")
    @classmethod
    def _names(cls, value: Any) -> dict[str, Words]:
        return {str(k): _words(v) for k, v in (value or {}).items()}


def _table(value: Any) -> dict[str, Words]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError("a table maps a canonical value to words per locale")
    return {str(k): _words(v) for k, v in value.items()}


class VocabularyFile(_Strict):
    """One vocabulary YAML file."""

    recipients: dict[str, RecipientDef] = Field(default_factory=dict)
    interests: dict[str, InterestDef] = Field(default_factory=dict)
    entities: dict[str, dict[str, Words]] = Field(default_factory=dict)
    colours: dict[str, Words] = Field(default_factory=dict)
    sizes: SizeWords = Field(default_factory=SizeWords)
    ages: AgeWords = Field(default_factory=AgeWords)
    money: MoneyWords = Field(default_factory=MoneyWords)
    quantities: QuantityWords = Field(default_factory=QuantityWords)
    yes_no: dict[Literal["yes", "no"], Words] = Field(default_factory=dict)
    # Phrases that look like a value but are not ("دوست دارد": "likes", not "friend").
    ignore: Words = Field(default_factory=dict)
    # Words that say nothing about what a sentence asks for ("my", "the", "dla").
    function_words: Words = Field(default_factory=dict)
    # Words that say someone likes something ("loves", "lubi", "le encanta", "увлекается").
    interest_cues: Words = Field(default_factory=dict)

    _ignore = field_validator("ignore", "function_words", "interest_cues", mode="before")(
        classmethod(lambda cls, v: _words(v))
    )

    @field_validator("colours", "yes_no", mode="before")
    @classmethod
    def _tables(cls, value: Any) -> dict[str, Words]:
        return _table(value)

    @field_validator("entities", mode="before")
    @classmethod
    def _entities(cls, value: Any) -> dict[str, dict[str, Words]]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ValueError("entities maps a kind to its values: {kind: {value: {en: [...]}}}")
        return {str(kind): _table(table) for kind, table in value.items()}


def _merge_words(into: Words, more: Words) -> None:
    for locale, items in more.items():
        bucket = into.setdefault(locale, [])
        bucket.extend(w for w in items if w not in bucket)


@dataclass
class Vocabulary:
    """Everything the understanding knows by word, merged from the built-in and shop files."""

    recipients: dict[str, RecipientDef] = field(default_factory=dict)
    interests: dict[str, Words] = field(default_factory=dict)
    # kind -> canonical value -> words; colours and sizes live here as "colour" and "size".
    tables: dict[str, dict[str, Words]] = field(default_factory=dict)
    ages: AgeWords = field(default_factory=AgeWords)
    money: MoneyWords = field(default_factory=MoneyWords)
    quantities: QuantityWords = field(default_factory=QuantityWords)
    size_cues: Words = field(default_factory=dict)
    yes_no: dict[str, Words] = field(default_factory=dict)
    ignore: Words = field(default_factory=dict)
    function_words: Words = field(default_factory=dict)
    interest_cues: Words = field(default_factory=dict)

    def add(self, file: VocabularyFile) -> None:
        for rid, rdef in file.recipients.items():
            known = self.recipients.get(rid)
            if known is None:
                self.recipients[rid] = rdef.model_copy(deep=True)
                continue
            _merge_words(known.words, rdef.words)
            for attr in ("group", "gender", "age"):
                if getattr(rdef, attr) is not None:
                    setattr(known, attr, getattr(rdef, attr))
        for iid, idef in file.interests.items():
            _merge_words(self.interests.setdefault(iid, {}), idef.words)
        for kind, table in [
            *file.entities.items(),
            ("colour", file.colours),
            ("size", file.sizes.names),
        ]:
            into = self.tables.setdefault(kind, {})
            for value, words in table.items():
                _merge_words(into.setdefault(value, {}), words)
        for attr in ("units", "cues", "months", "durations", "ago"):
            _merge_words(getattr(self.ages, attr), getattr(file.ages, attr))
        for years, words in file.ages.named.items():
            _merge_words(self.ages.named.setdefault(years, {}), words)
        for attr in ("max", "min", "around", "between", "to", "after"):
            _merge_words(getattr(self.money, attr), getattr(file.money, attr))
        _merge_words(self.quantities.units, file.quantities.units)
        _merge_words(self.quantities.parts, file.quantities.parts)
        for code, names in file.money.currency_words.items():
            bucket = self.money.currency_words.setdefault(code.upper(), [])
            bucket.extend(w for w in names if w not in bucket)
        _merge_words(self.size_cues, file.sizes.cues)
        for answer, words in file.yes_no.items():
            _merge_words(self.yes_no.setdefault(answer, {}), words)
        _merge_words(self.ignore, file.ignore)
        _merge_words(self.function_words, file.function_words)
        _merge_words(self.interest_cues, file.interest_cues)


def parse_vocabulary(data: Any) -> VocabularyFile:
    """Validate one vocabulary file's data; raise :class:`VocabularyError` with where."""
    if data is None:
        return VocabularyFile()
    if not isinstance(data, dict):
        raise VocabularyError("a vocabulary file is a mapping (recipients:, interests:, ...)")
    try:
        return VocabularyFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = tuple(p for p in err["loc"] if isinstance(p, str | int))
        path = ".".join(str(p) for p in where)
        raise VocabularyError(f"{path}: {err['msg']}" if path else err["msg"], where) from None


def builtin_vocabulary() -> Vocabulary:
    """The vocabulary shopchat ships (understanding/data/vocabulary.yaml)."""
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(BUILTIN.read_text(encoding="utf-8"))
    vocab = Vocabulary()
    vocab.add(parse_vocabulary(data))
    return vocab


@dataclass(frozen=True)
class CatalogTerms:
    """A snapshot of what a catalog sells, for the understanding.

    ``interests`` maps each tag and category to its words per locale (locale ``""``: words
    in any language, like the tag itself); ``words`` are the folded words of product titles
    and labels in every feed language, so a product question can be told from small talk.
    """

    version: object = None
    interests: Mapping[str, Mapping[str, Sequence[str]]] = field(default_factory=dict)
    brands: Sequence[str] = ()
    words: frozenset[str] = frozenset()


@runtime_checkable
class CatalogVocabulary(Protocol):
    """What the understanding needs to know about a catalog; implemented in the catalog."""

    def terms(self) -> CatalogTerms:
        """The current snapshot; cheap to call per message (refreshed when the catalog is)."""
        ...


def iter_words(words: Words, locales: Iterable[str]) -> Iterable[tuple[str, str]]:
    """(locale, word) pairs of ``words`` for ``locales`` and the any-locale key ``""``."""
    wanted = set(locales) | {""}
    for locale, items in words.items():
        base = locale.split("-", 1)[0]
        if locale in wanted or base in wanted:
            for item in items:
                yield base, item


__all__ = [
    "BUILTIN",
    "CatalogTerms",
    "CatalogVocabulary",
    "GROUPS",
    "RecipientDef",
    "Vocabulary",
    "VocabularyError",
    "VocabularyFile",
    "Words",
    "builtin_vocabulary",
    "iter_words",
    "parse_vocabulary",
]

"""How the engine uses the understanding: reading a message, and the values it heard.

A sentence's values (see :mod:`understanding.entities`) wait in ``SessionState.heard`` until
a question of the flow needs one; each ask takes the kind it names (``entity:``) or the one
its type and slot name imply, validated exactly as a typed answer would be.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from understanding import Understanding
from understanding.intents import stop_words
from understanding.lexicon import phrase_keys

from .events import TextInput
from .text import fold_phrase

if TYPE_CHECKING:
    from .compiled import ChoiceOption, Project, Step
    from .state import SessionState

Heard = dict[str, Any]
MISSING: Any = object()  # no heard value for this question
_NOT_VALUES = frozenset({"number", "product"})


class _Meaning(BaseModel):
    """A precomputed understanding (the optional model's), validated before the engine uses it."""

    model_config = ConfigDict(extra="ignore")

    text: str = ""
    locale: str | None = None
    language: str | None = None
    intent: str | None = None
    confidence: float = Field(default=0.0, ge=0, le=1)
    entities: dict[str, Any] = Field(default_factory=dict)


def meaning_of(project: Project, event: TextInput, state: SessionState) -> Understanding | None:
    """What ``event`` means: its precomputed meaning when it carries one, else the built-in."""
    understander = project.understander
    if event.meaning is not None:
        try:
            given = _Meaning.model_validate(event.meaning)
        except ValidationError:
            given = None
        if given is not None:
            language = given.language if given.language in project.locales else None
            intent = given.intent
            if intent is not None and not (
                intent in project.flows or intent[1:] in ("help", "human", "cancel", "language")
            ):
                intent = None
            return Understanding(
                text=event.text,
                locale=language or state.locale,
                language=language,
                intent=intent,
                confidence=given.confidence,
                entities=dict(given.entities),
                source="model",
            )
    if understander is None:
        return None
    settings = project.shop.understanding
    return understander.understand(
        event.text,
        state.locale,
        detect=settings.detect_language and not state.locale_pinned,
        catalog=project.catalog_vocabulary,
    )


def _norm(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return fold_phrase(str(value))


def _flat(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def heard_for(
    step: Step,
    heard: Heard,
    options: Sequence[tuple[Any, ChoiceOption | None]] = (),
    *,
    allow_number: bool = False,
) -> tuple[Any, ChoiceOption | None, str | None]:
    """The heard value for ``step``: (value, the choice it picked, the kind it came from),
    or (MISSING, None, None)."""
    kind = step.entity
    if step.slot_type == "choice":
        kinds = [kind] if kind and kind in heard else []
        kinds += [k for k in heard if k not in _NOT_VALUES and k != kind]
        for k in kinds:
            for candidate in _flat(heard[k]):
                wanted = _norm(candidate)
                for value, option in options:
                    if _norm(value) == wanted:
                        return value, option, k
        if step.accept_other and kind and kind in heard:
            value = heard[kind]
            text = ", ".join(str(v) for v in _flat(value))
            return text, None, kind
        return MISSING, None, None
    if kind and kind in heard:
        return heard[kind], None, kind
    if allow_number and step.slot_type in ("integer", "number", "money") and "number" in heard:
        return heard["number"], None, "number"
    return MISSING, None, None


def choice_by_words(
    text_keys: set[str],
    options: Sequence[tuple[Any, list[tuple[str, str]]]],
) -> Any:
    """The option whose label words a free-text answer contains ("the science one" ->
    Science); ``options`` are (value, [(locale, label), ...]). None unless exactly one."""
    best: list[tuple[int, Any]] = []
    for value, labels in options:
        top = 0
        for locale, label in labels:
            stops = stop_words(locale)
            keys = {k for k in phrase_keys(label, locale) if k not in stops and len(k) > 1}
            keys = keys or set(phrase_keys(label, locale))
            if keys and keys <= text_keys:
                top = max(top, len(keys))
        if _norm(value) in text_keys:
            top = max(top, 1)
        if top:
            best.append((top, value))
    if not best:
        return None
    best.sort(key=lambda t: -t[0])
    if len(best) > 1 and best[0][0] == best[1][0]:
        return None
    return best[0][1]


def display_value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


__all__ = ["MISSING", "Heard", "choice_by_words", "display_value", "heard_for", "meaning_of"]

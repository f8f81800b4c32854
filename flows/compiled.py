"""The compiled form of a bot project: what the engine runs.

Loading turns YAML into these once; every template is compiled and every target resolved, so
a turn does no parsing and no lookups by name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from understanding import CatalogVocabulary, Understander

from .model import ShopFile
from .text import fold_message, words
from .yamlpos import PathKey, YamlDoc

Renderer = Callable[[Mapping[str, Any]], Any]


@dataclass
class LText:
    """A user-facing text compiled for every locale it has."""

    by_locale: dict[str, Renderer]
    default_locale: str

    def render(self, locale: str, ctx: Mapping[str, Any]) -> str:
        r = self.by_locale.get(locale)
        if r is None:
            r = self.by_locale.get(locale.split("-", 1)[0])
        if r is None:
            r = self.by_locale.get(self.default_locale) or next(iter(self.by_locale.values()))
        return str(r(ctx))


@dataclass(frozen=True)
class Jump:
    """A resolved target: a step of a flow, or the end of the current flow (``step is None``)."""

    flow: str
    step: int | None
    leaves_flow: bool = False  # a {flow: ...} target replaces the current flow


@dataclass
class ChoiceOption:
    value: Any
    label: LText
    next: Jump | None = None


@dataclass
class Rule:
    check: Renderer
    error: LText
    source: str


@dataclass
class Step:
    index: int
    id: str
    explicit_id: bool
    kind: str
    doc: YamlDoc
    loc: PathKey
    next: Jump | None = None
    interruptions: frozenset[str] = frozenset()
    help: LText | None = None
    text: LText | None = None
    image: Renderer | None = None
    products: Renderer | None = None
    slot: str = ""
    slot_type: str = "text"
    minimum: float | None = None
    maximum: float | None = None
    choices: list[ChoiceOption] = field(default_factory=list)
    choices_from: Renderer | None = None
    error: LText | None = None
    rules: list[Rule] = field(default_factory=list)
    attempts: int = 3
    on_fail: Jump | None = None
    skip_if_set: bool = False
    entity: str | None = None  # the kind of heard value that fills this slot
    confirm: bool = False
    confirm_text: LText | None = None
    optional: bool = False
    accept_other: bool = False
    values: dict[str, Renderer] = field(default_factory=dict)
    arms: list[tuple[Renderer | None, Jump]] = field(default_factory=list)
    target_flow: str = ""
    action: str = ""
    args: dict[str, Renderer] = field(default_factory=dict)
    result: str | None = None
    on_error: Jump | None = None
    reason: str = ""
    remember: dict[str, str] = field(default_factory=dict)  # fact -> slot

    @property
    def waits(self) -> bool:
        return self.kind == "ask"


@dataclass
class Flow:
    id: str
    path: Path
    version: str
    steps: list[Step]
    by_id: dict[str, int]
    help: LText | None = None
    description: str = ""
    title: LText | None = None
    # Kinds of heard values this flow (and the flows it calls) asks for.
    fills: frozenset[str] = frozenset()


@dataclass
class TriggerIndex:
    """Finds the flow a message starts."""

    commands: dict[str, str] = field(default_factory=dict)
    payloads: dict[str, str] = field(default_factory=dict)
    phrases: dict[str, str] = field(default_factory=dict)
    keywords: dict[str, str] = field(default_factory=dict)
    multiword: list[tuple[str, str]] = field(default_factory=list)
    regexes: list[tuple[re.Pattern[str], str]] = field(default_factory=list)
    # "ADD_TO_CART:{product_id}": (prefix, slot, flow); the rest of the payload fills the slot.
    payload_patterns: list[tuple[str, str, str]] = field(default_factory=list)

    def match_payload(self, payload: str) -> tuple[str, dict[str, str]] | None:
        """The flow a button payload starts, and the slot values it carries."""
        flow = self.payloads.get(payload)
        if flow is not None:
            return flow, {}
        for prefix, slot, flow in self.payload_patterns:
            if payload.startswith(prefix) and len(payload) > len(prefix):
                return flow, {slot: payload[len(prefix) :]}
        return None

    def match_whole(self, text: str) -> str | None:
        """The flow whose phrase or single keyword is the entire message, if any."""
        folded = fold_message(text)
        return self.phrases.get(folded) or self.keywords.get(folded)

    def match_text(self, text: str) -> str | None:
        folded = fold_message(text)
        if not folded:
            return None
        command = folded.split(" ", 1)[0] if folded.startswith("/") else None
        if command is None and text.strip().startswith("/"):
            command = "/" + folded.split(" ", 1)[0]
        if command:
            return self.commands.get(command.split("@", 1)[0])
        hit = self.phrases.get(folded)
        if hit:
            return hit
        for word in words(text):
            hit = self.keywords.get(word)
            if hit:
                return hit
        padded = f" {' '.join(words(text))} "
        for phrase, flow in self.multiword:
            if f" {phrase} " in padded:
                return flow
        for pattern, flow in self.regexes:
            if pattern.search(text):
                return flow
        return None


@dataclass
class InterruptionIndex:
    phrases: dict[str, str] = field(default_factory=dict)

    def match(self, text: str) -> str | None:
        raw = text.strip()
        if raw.startswith("/"):
            name = raw[1:].split("@", 1)[0].split(" ", 1)[0].lower()
            return name if name in {"help", "cancel", "restart", "human", "language"} else None
        return self.phrases.get(fold_message(raw)) or (
            self.phrases.get(raw) if raw == "?" else None
        )


@dataclass
class Project:
    """A loaded, compiled bot project."""

    root: Path
    shop: ShopFile
    flows: dict[str, Flow]
    triggers: TriggerIndex
    interruptions: InterruptionIndex
    system: dict[str, LText]
    locales: list[str]
    idle_timeout: timedelta
    tz: ZoneInfo
    start_flow: str | None
    fallback_flow: str | None
    slot_names: frozenset[str]
    understander: Understander | None = None
    # The catalog's words, attached by the application that opens the catalog.
    catalog_vocabulary: CatalogVocabulary | None = None
    search_flow: str | None = None
    # Flows a shopper can start by writing (examples, phrases, keywords or commands).
    startable: frozenset[str] = frozenset()
    # Choices of static questions that lead to another flow, by payload ("gift" on the
    # menu): an old menu button still starts its flow.
    choice_jumps: dict[str, Jump] = field(default_factory=dict)

    @property
    def default_locale(self) -> str:
        return self.shop.default_locale

    def pick_locale(self, hint: str | None) -> str:
        """The shop locale that best fits a channel's language hint (``pl-PL`` -> ``pl``)."""
        if hint:
            hint = hint.replace("_", "-")
            for candidate in (hint, hint.split("-", 1)[0]):
                for loc in self.locales:
                    if loc.lower() == candidate.lower():
                        return loc
        return self.default_locale


__all__ = [
    "ChoiceOption",
    "Flow",
    "InterruptionIndex",
    "Jump",
    "LText",
    "Project",
    "Rule",
    "Step",
    "TriggerIndex",
]

"""Conversation tests: YAML scripts of what the shopper says and what the bot must answer.

``shopchat test PROJECT`` runs them, and so does pytest (see ``tests/test_example_shop.py``).
A failure names the file and line of the failing turn, what was expected and what the bot
actually said.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .actions import ActionRegistry
from .compiled import Project
from .diagnostics import Diagnostic
from .driver import run_turn
from .engine import Engine
from .events import ChoiceInput, Event, StartInput, TextInput
from .loader import parse_duration
from .replies import Handoff, ImageReply, ProductCards, Reply, TextReply
from .state import SessionState
from .text import fold_message
from .yamlpos import PathKey, YamlDoc, YamlSyntaxError, load_yaml

START_TIME = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)

Strings = str | list[str]


class TurnSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    user: str | int | None = None
    press: str | None = None
    start: str | bool | None = None
    wait: str | None = None
    bot: Strings | None = None
    not_bot: Strings | None = None
    choices: list[str] | None = None
    slots: dict[str, Any] | None = None
    # Questions the turn did not ask because the shopper's sentence answered them: each
    # slot is set and its question was not said.
    skipped: list[str] | None = None
    flow: str | None = Field(default="__unset__")
    cards: int | list[str] | None = None
    handoff: bool | None = None
    locale: str | None = None
    # Facts the shop keeps about the customer after this turn (``remember:``).
    remembered: dict[str, Any] | None = None


class CaseSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    locale: str | None = None
    channel: str = "test"
    user: dict[str, Any] = Field(default_factory=dict)
    # What the shop already knows about a returning customer (``customer.*`` in templates).
    customer: dict[str, Any] = Field(default_factory=dict)
    turns: list[TurnSpec] = Field(min_length=1)


class FileSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tests: list[CaseSpec] = Field(min_length=1)


@dataclass
class Case:
    name: str
    path: Path
    line: int
    spec: CaseSpec
    turn_lines: list[int]

    @property
    def id(self) -> str:
        return f"{self.path.name}::{self.name}"


@dataclass
class Failure:
    case: Case
    turn: int
    line: int
    problems: list[str]
    said: str
    transcript: list[str] = field(default_factory=list)

    def format(self) -> str:
        said = "\n".join(f"    | {line}" for line in self.said.splitlines()) or "    | (nothing)"
        problems = "\n".join(f"  - {p}" for p in self.problems)
        return (
            f"{self.case.path}:{self.line}: {self.case.name} (turn {self.turn})\n"
            f"{problems}\n  the bot said:\n{said}"
        )


def collect(root: Path) -> tuple[list[Case], list[Diagnostic]]:
    """Every conversation test in ``root/tests/*.yaml``, with problems in the files."""
    cases: list[Case] = []
    diags: list[Diagnostic] = []
    folder = root / "tests"
    for path in sorted(folder.glob("*.y*ml")) if folder.is_dir() else []:
        try:
            doc = load_yaml(path)
        except YamlSyntaxError as exc:
            diags.append(Diagnostic(path, exc.line, exc.col, exc.message))
            continue
        try:
            spec = FileSpec.model_validate(doc.data)
        except ValidationError as exc:
            for err in exc.errors():
                loc = _real_loc(doc, err["loc"])
                line, col = doc.pos(loc)
                where = ".".join(str(p) for p in err["loc"])
                diags.append(Diagnostic(path, line, col, f"{where}: {err['msg']}"))
            continue
        for i, case in enumerate(spec.tests):
            lines = [doc.pos(("tests", i, "turns", j))[0] for j in range(len(case.turns))]
            cases.append(Case(case.name, path, doc.pos(("tests", i))[0], case, lines))
    return cases, diags


def _real_loc(doc: YamlDoc, loc: tuple[Any, ...]) -> PathKey:
    out: list[str | int] = []
    for part in loc:
        if (*out, part) in doc.positions:
            out.append(part)
    return tuple(out)


def describe(replies: list[Reply]) -> str:
    """The plain-text transcript of a turn's replies, as the terminal chat prints it."""
    lines: list[str] = []
    for reply in replies:
        if isinstance(reply, TextReply):
            lines.append(reply.text)
            lines.extend(f"{i}. {c.label}" for i, c in enumerate(reply.choices, 1))
        elif isinstance(reply, ProductCards):
            for i, card in enumerate(reply.cards, 1):
                lines.append(f"{i}. {card.title} — {card.price}".rstrip(" —"))
        elif isinstance(reply, ImageReply):
            lines.append(f"[image] {reply.url} {reply.caption}".rstrip())
    return "\n".join(lines)


_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " "})


def _matches(expected: str, text: str) -> bool:
    # Money and numbers carry no-break spaces (CLDR's "PLN\u00a0189.99"): a test author types
    # a plain space.
    text = text.translate(_SPACES)
    m = re.fullmatch(r"/(.*)/([a-z]*)", expected, re.S)
    if m:
        flags = re.I if "i" in m.group(2) else 0
        return re.search(m.group(1), text, flags | re.S) is not None
    return expected in text


def _as_list(value: Strings | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


class ConversationRunner:
    """Runs conversation tests against a project, with a fake clock."""

    def __init__(self, project: Project, actions: ActionRegistry) -> None:
        self.project = project
        self.engine = Engine(project)
        self.actions = actions

    def run(self, case: Case) -> Failure | None:
        spec = case.spec
        now = START_TIME
        state = self.engine.new_session(
            f"test:{case.id}", now=now, locale=spec.locale, user=spec.user, channel=spec.channel
        )
        state.customer = dict(spec.customer)
        transcript: list[str] = []
        for i, turn in enumerate(spec.turns):
            line = case.turn_lines[i]
            if turn.wait:
                now += parse_duration(turn.wait)
            event = self._event(turn, state)
            replies: list[Reply] = []
            handed_off = False
            if event is not None:
                replies, effects = run_turn(self.engine, self.actions, state, event, now)
                handed_off = any(isinstance(e, Handoff) for e in effects)
                now += timedelta(seconds=5)
            said = describe(replies)
            transcript.append(said)
            problems = self._check(turn, replies, said, state, handed_off)
            if problems:
                return Failure(case, i + 1, line, problems, said, transcript)
        return None

    def _event(self, turn: TurnSpec, state: SessionState) -> Event | None:
        if turn.user is not None:
            return TextInput(text=str(turn.user))
        if turn.press is not None:
            wanted = fold_message(turn.press)
            for label, payload in state.offered:
                if turn.press == payload or wanted == fold_message(label):
                    return ChoiceInput(payload=payload, label=label)
            return ChoiceInput(payload=turn.press)
        if turn.start is not None:
            return StartInput(payload=turn.start if isinstance(turn.start, str) else None)
        return None

    def _check(
        self, turn: TurnSpec, replies: list[Reply], said: str, state: SessionState, handed_off: bool
    ) -> list[str]:
        problems: list[str] = []
        for expected in _as_list(turn.bot):
            if not _matches(expected, said):
                problems.append(f"expected the bot to say {expected!r}")
        for unwanted in _as_list(turn.not_bot):
            if _matches(unwanted, said):
                problems.append(f"expected the bot NOT to say {unwanted!r}")
        if turn.choices is not None:
            offered = _offered_labels(replies)
            if [o.translate(_SPACES) for o in offered] != turn.choices:
                problems.append(f"expected choices {turn.choices}, got {offered}")
        if turn.cards is not None:
            cards = [c.title for r in replies if isinstance(r, ProductCards) for c in r.cards]
            if isinstance(turn.cards, int):
                if len(cards) != turn.cards:
                    problems.append(
                        f"expected {turn.cards} product cards, got {len(cards)}: {cards}"
                    )
            else:
                for title in turn.cards:
                    if not any(title in c for c in cards):
                        problems.append(f"expected a product card titled {title!r}, got {cards}")
        for name, value in (turn.slots or {}).items():
            actual = state.slots.get(name)
            if actual != value:
                problems.append(f"expected slot {name!r} = {value!r}, got {actual!r}")
        for slot in turn.skipped or []:
            if state.slots.get(slot) is None:
                problems.append(
                    f"expected slot {slot!r} to be filled from the sentence, it is empty"
                )
            question = self._question(slot, state)
            if question and question in said:
                problems.append(f"expected the question for {slot!r} to be skipped, it was asked")
        if turn.flow != "__unset__":
            current = state.frame.flow if state.frame else None
            if current != turn.flow:
                problems.append(f"expected to be in flow {turn.flow!r}, got {current!r}")
        if turn.handoff is not None and handed_off != turn.handoff:
            problems.append(f"expected handoff={turn.handoff}, got handoff={handed_off}")
        if turn.locale is not None and state.locale != turn.locale:
            problems.append(f"expected locale {turn.locale!r}, got {state.locale!r}")
        for fact, value in (turn.remembered or {}).items():
            if state.customer.get(fact) != value:
                problems.append(
                    f"expected the shop to remember {fact!r} = {value!r}, "
                    f"got {state.customer.get(fact)!r}"
                )
        return problems

    def _question(self, slot: str, state: SessionState) -> str | None:
        """The text of the first question that asks for ``slot``, in the session's locale."""
        ctx = {**state.slots, "user": state.user, "locale": state.locale}
        for flow in self.project.flows.values():
            for step in flow.steps:
                if step.kind == "ask" and step.slot == slot and step.text is not None:
                    try:
                        return step.text.render(state.locale, ctx).strip() or None
                    except Exception:
                        return None
        return None


def _offered_labels(replies: list[Reply]) -> list[str]:
    for reply in reversed(replies):
        if isinstance(reply, TextReply) and reply.choices:
            return [c.label for c in reply.choices]
        if isinstance(reply, ProductCards) and any(c.button for c in reply.cards):
            return [c.title for c in reply.cards]
    return []


def run_all(
    project: Project,
    actions: ActionRegistry,
    cases: list[Case],
    on_result: Callable[[Case, Failure | None], None] | None = None,
) -> list[Failure]:
    runner = ConversationRunner(project, actions)
    failures = []
    for case in cases:
        failure = runner.run(case)
        if on_result:
            on_result(case, failure)
        if failure:
            failures.append(failure)
    return failures


def iter_cases(root: Path) -> Iterator[Case]:
    cases, _ = collect(root)
    yield from cases


__all__ = ["Case", "ConversationRunner", "Failure", "collect", "describe", "run_all"]

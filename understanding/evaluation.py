"""Measuring the understanding on a set of shopper sentences with known answers.

A sentence file (YAML) lists ``sentences:``, each ``{text, lang, flow, slots}``: ``flow`` is
the intent it should get (a flow id, ``"@human"``-style for interruptions, or null for
none), ``slots`` the values it holds by kind. Used by ``bench/understanding.py`` and by the
test suite, which fails when accuracy drops below its floors.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .text import fold, tokens
from .understand import Understander, Understanding
from .vocabulary import CatalogVocabulary

# Kinds whose spurious values count as errors; the derived ones (age group, gender) and the
# leftovers (product words, a bare number) count only where a sentence expects them.
CORE_KINDS = frozenset(
    {
        "money",
        "money_min",
        "age",
        "recipient",
        "interest",
        "order_number",
        "email",
        "phone",
        "quantity",
        "colour",
        "size",
    }
)


@dataclass
class Case:
    text: str
    lang: str
    flow: str | None
    slots: dict[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    case: Case
    result: Understanding
    seconds: float
    language_ok: bool
    flow_ok: bool
    slots_ok: dict[str, bool]

    @property
    def ok(self) -> bool:
        return self.flow_ok and all(self.slots_ok.values())


@dataclass
class Report:
    outcomes: list[Outcome]

    def accuracy(self, lang: str | None = None, task: str = "all") -> tuple[float, int]:
        """(accuracy, count) of ``task`` ("all", "language", "flow" or a slot kind)."""
        rows = [o for o in self.outcomes if lang is None or o.case.lang == lang]
        if task == "all":
            hits = [o.ok for o in rows]
        elif task == "language":
            hits = [o.language_ok for o in rows]
        elif task == "flow":
            hits = [o.flow_ok for o in rows]
        else:
            hits = [o.slots_ok[task] for o in rows if task in o.slots_ok]
        return (sum(hits) / len(hits) if hits else 1.0), len(hits)

    def kinds(self) -> list[str]:
        return sorted({k for o in self.outcomes for k in o.slots_ok})

    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not (o.ok and o.language_ok)]

    def percentile(self, q: float) -> float:
        times = sorted(o.seconds for o in self.outcomes)
        if not times:
            return 0.0
        return times[min(len(times) - 1, int(q * len(times)))]


def load_cases(path: Path | str) -> list[Case]:
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(Path(path).read_text(encoding="utf-8"))
    out = []
    for row in data["sentences"]:
        out.append(
            Case(str(row["text"]), row["lang"], row.get("flow"), dict(row.get("slots") or {}))
        )
    return out


def _same(kind: str, expected: Any, got: Any) -> bool:
    if kind == "interest":
        want = expected if isinstance(expected, list) else [expected]
        have = got if isinstance(got, list) else [got]
        return {fold(str(x)) for x in want} == {fold(str(x)) for x in have or []}
    if kind == "product":
        return {t.folded for t in tokens(str(expected))} == {
            t.folded for t in tokens(str(got or ""))
        }
    if kind == "order_number":
        return str(expected).upper() == str(got or "").upper()
    if isinstance(expected, str) and isinstance(got, str):
        return fold(expected) == fold(got)
    return bool(expected == got)


def evaluate(
    understander: Understander,
    cases: Sequence[Case],
    *,
    session_locale: str = "en",
    catalog: CatalogVocabulary | None = None,
) -> Report:
    """Read every case as the first message of a session in ``session_locale``."""
    outcomes = []
    for case in cases:
        start = time.perf_counter()
        result = understander.understand(case.text, session_locale, catalog=catalog)
        seconds = time.perf_counter() - start
        language = result.language or session_locale
        got = result.entities
        scored = set(case.slots) | (set(got) & CORE_KINDS)
        if case.flow is not None and case.flow == understander.search_intent:
            # In a product question a catalog tag it names ("puzzle") is the product; that
            # it is also heard as an interest is not an error.
            scored -= {"interest"} - set(case.slots)
        slots_ok = {
            k: k in case.slots and k in got and _same(k, case.slots[k], got[k]) for k in scored
        }
        outcomes.append(
            Outcome(
                case, result, seconds, language == case.lang, result.intent == case.flow, slots_ok
            )
        )
    return Report(outcomes)


def by_language(report: Report) -> dict[str, list[Outcome]]:
    out: dict[str, list[Outcome]] = defaultdict(list)
    for o in report.outcomes:
        out[o.case.lang].append(o)
    return dict(out)


__all__ = ["CORE_KINDS", "Case", "Outcome", "Report", "by_language", "evaluate", "load_cases"]

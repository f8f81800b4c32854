"""The understanding's accuracy on the evaluation sentences must not drop below its floors.

The floors are set a little under what ``python bench/understanding.py --set all`` measured
(dev 94.8%, held-out 99.4%, fresh 99.2%, paraphrase 91.9% of sentences with flow and every
value right; language 98-100%). The held-out sentences are never tuned against; the fresh
ones, written later, guided only general fixes; the paraphrase ones were written before
the intent tuning they measure and never tuned against: see their files. Dev also holds
the hardest sentences, moved there from blind.yaml once they had been studied; among them
occasions heard as interests ("for christmas"), which hold dev's interest accuracy near 80%
until the entity reader tells them apart.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from understanding.evaluation import Report, evaluate, load_cases

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "understanding"
FLOORS = {
    "dev": {"all": 0.9, "flow": 0.94, "language": 0.97, "slots": 0.6},  # see below
    "heldout": {"all": 0.95, "flow": 0.95, "language": 0.97, "slots": 0.85},
    "fresh": {"all": 0.93, "flow": 0.93, "language": 0.96, "slots": 0.75},
    "paraphrase": {"all": 0.87, "flow": 0.9, "language": 0.95, "slots": 0.45},
    # Values in sentences (slots.yaml, 175 written for the entity rules: 93.1% all, flow
    # 96.6%, every kind of value 96% or more; language ~95%, as one- and two-word answers
    # like "talla M" are hard to place).
    "slots": {"all": 0.88, "flow": 0.92, "language": 0.9, "slots": 0.9},
}


def _misses(report: Report) -> str:
    return "\n".join(
        f"  [{o.case.lang}] {o.case.text!r}: want {o.case.flow} {o.case.slots}, "
        f"got {o.result.intent} {o.result.entities}"
        for o in report.failures()
    )


@pytest.mark.parametrize("name", ["dev", "heldout", "fresh", "paraphrase", "slots"])
def test_accuracy_stays_above_its_floors(shop, name):
    cases = load_cases(DATA / f"{name}.yaml")
    assert len(cases) >= 120
    report = evaluate(shop.understander, cases, catalog=shop.catalog_vocabulary)
    floors = FLOORS[name]
    for task in ("all", "flow", "language"):
        accuracy, _n = report.accuracy(None, task)
        assert accuracy >= floors[task], f"{name} {task} {accuracy:.1%}\n{_misses(report)}"
    for kind in report.kinds():
        accuracy, n = report.accuracy(None, kind)
        if n >= 5:
            assert accuracy >= floors["slots"], f"{name} {kind} {accuracy:.1%}\n{_misses(report)}"


def test_every_language_has_at_least_fifty_sentences_and_some_match_nothing():
    cases = [c for name in ("dev", "heldout") for c in load_cases(DATA / f"{name}.yaml")]
    assert len(cases) >= 250
    for lang in ("en", "pl", "es", "ru", "fa"):
        assert sum(c.lang == lang for c in cases) >= 50, lang
    assert sum(c.flow is None for c in cases) >= 15

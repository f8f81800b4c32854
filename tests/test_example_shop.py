"""The example shop's own conversation tests (examples/shop/tests/*.yaml), run by pytest.

Each YAML test is one pytest test, so a failure shows the file:line of the failing turn.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.project import open_project
from bot.settings import Settings
from flows.testing import ConversationRunner, collect

SHOP = Path(__file__).resolve().parent.parent / "examples" / "shop"
CASES, PROBLEMS = collect(SHOP)


@pytest.fixture(scope="module")
def runner() -> ConversationRunner:
    opened = open_project(SHOP, Settings(_env_file=None))
    errors = [d.format() for d in opened.diagnostics if d.severity == "error"]
    assert opened.project is not None, "\n".join(errors)
    return ConversationRunner(opened.project, opened.actions)


def test_the_example_shop_passes_its_own_check() -> None:
    opened = open_project(SHOP, Settings(_env_file=None))
    assert [d.format() for d in opened.diagnostics if d.severity == "error"] == []
    assert [d.format() for d in PROBLEMS] == []
    assert set(opened.project.flows) >= {
        "main_menu",
        "gift_finder",
        "order_tracking",
        "payment_help",
    }
    assert opened.project.locales == ["en", "pl", "es", "ru", "fa"]


def test_every_example_flow_has_conversation_tests() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in (SHOP / "tests").glob("*.yaml"))
    for flow in ("main_menu", "gift_finder", "order_tracking", "payment_help"):
        assert flow in text or flow.replace("_", " ") in text.lower(), f"no test mentions {flow}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_conversation(case, runner: ConversationRunner) -> None:
    failure = runner.run(case)
    if failure is not None:
        pytest.fail(failure.format(), pytrace=False)

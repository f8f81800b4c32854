"""Helpers to write small bot projects on disk for tests."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from flows import ActionContext, ActionRegistry, Diagnostic, Project, load_project

SHOP = """\
name: Test Shop
default_locale: en
locales: [en, pl]
currency: PLN
timezone: Europe/Warsaw
start_flow: menu
session:
  idle_timeout: 30m
"""


def make_actions() -> ActionRegistry:
    registry = ActionRegistry()

    @registry.action("shop.lookup")
    def lookup(ctx: ActionContext, *, number: str, verbose: bool = False) -> dict | None:
        return {"number": number, "status": "shipped"} if number == "A1" else None

    @registry.action("shop.fail")
    def fail(ctx: ActionContext) -> None:
        raise RuntimeError("backend down")

    return registry


ProjectFactory = Callable[..., tuple[Project | None, list[Diagnostic], Path]]


@pytest.fixture
def make_project(tmp_path: Path) -> ProjectFactory:
    def make(
        flows: dict[str, str], *, shop: str = SHOP, locales: dict[str, str] | None = None
    ) -> tuple[Project | None, list[Diagnostic], Path]:
        root = tmp_path / "bot"
        (root / "flows").mkdir(parents=True, exist_ok=True)
        (root / "shop.yaml").write_text(textwrap.dedent(shop), encoding="utf-8")
        for name, text in flows.items():
            (root / "flows" / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
        if locales:
            (root / "locales").mkdir(exist_ok=True)
            for loc, text in locales.items():
                (root / "locales" / f"{loc}.yaml").write_text(
                    textwrap.dedent(text), encoding="utf-8"
                )
        project, diags = load_project(root, make_actions())
        return project, diags, root

    return make


def lines(diags: list[Diagnostic], root: Path) -> list[str]:
    """Diagnostics as 'flows/x.yaml:3:5: message' for assertions."""
    return [f"{d.path.relative_to(root)}:{d.line}:{d.col}: {d.message}" for d in diags]

"""``shopchat serve --workers N``: PostgreSQL only, with a clear refusal otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.workers import workers_problem

ROOT = Path(__file__).resolve().parents[2]


def test_several_workers_on_sqlite_are_refused_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOPCHAT_DATABASE_URL", f"sqlite:///{tmp_path}/one.db")
    result = CliRunner().invoke(cli, ["serve", str(ROOT / "bench" / "project"), "--workers", "2"])
    assert result.exit_code == 2
    assert "--workers 2 needs PostgreSQL" in result.output
    assert "Traceback" not in result.output


def test_which_databases_take_several_workers() -> None:
    assert workers_problem("sqlite:///x.db", 1) is None
    assert workers_problem("postgresql+psycopg://postgres@db/shop", 4) is None
    assert "needs PostgreSQL" in (workers_problem("sqlite:///x.db", 2) or "")
    assert "at least 1" in (workers_problem("postgresql://db/shop", 0) or "")

"""`remember:` names slots that a step sets; a typo is a file:line error from `shopchat check`."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app as cli

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"


def test_remembering_a_slot_no_step_sets_is_an_error_with_its_line(tmp_path):
    shop = tmp_path / "shop"
    shutil.copytree(SHOP, shop, ignore=shutil.ignore_patterns("data", "tests"))
    flow = shop / "flows" / "checkout.yaml"
    text = flow.read_text(encoding="utf-8")
    flow.write_text(
        text.replace("remember: {name: customer_name}", "remember: {name: custmer_name}")
    )
    done = CliRunner().invoke(cli, ["check", str(shop)])
    assert done.exit_code == 1
    line = next(i for i, s in enumerate(flow.read_text().splitlines(), 1) if "custmer_name" in s)
    assert f"checkout.yaml:{line}:" in done.output
    assert "remember: no step sets the slot 'custmer_name' (did you mean 'customer_name'?)" in (
        done.output
    )

"""`shopchat customers show/merge/undo-merge/split` and templates.yaml's lint in `shopchat check`."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app as cli
from bot.storage import SessionStore
from customers import CustomerBook

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_an_agent_merges_two_customers_from_the_cli_and_undoes_it(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/c.db"
    store = SessionStore(url)
    store.migrate()
    with store.transaction() as conn:
        CustomerBook().remember(
            conn, "telegram:1", "telegram", {"name": "Ola", "contact": "ola@example.com"}, T0
        )
        CustomerBook().remember(conn, "web:abc", "web", {"recipient_age": 8}, T0)
    store.close()
    monkeypatch.setenv("SHOPCHAT_DATABASE_URL", url)
    run = CliRunner().invoke
    merged = run(cli, ["customers", "merge", "ola@example.com", "web:abc", "--actor", "marta"])
    assert merged.exit_code == 0, merged.output
    line = merged.output.strip().split()[-1]
    shown = json.loads(run(cli, ["customers", "show", "telegram:1"]).output)
    assert {c["id"] for c in shown["conversations"]} == {"telegram:1", "web:abc"}
    assert shown["facts"]["name"] == "Ola" and shown["audit"][0]["by"] == "marta"
    assert run(cli, ["customers", "undo-merge", line]).exit_code == 0
    shown = json.loads(run(cli, ["customers", "show", "telegram:1"]).output)
    assert [c["id"] for c in shown["conversations"]] == ["telegram:1"]
    unknown = run(cli, ["customers", "show", "nobody@example.com"])
    assert unknown.exit_code == 2 and "no customer is known" in unknown.output


def test_check_points_at_a_template_without_a_language_or_with_a_bad_category(tmp_path):
    shop = tmp_path / "shop"
    shutil.copytree(SHOP, shop, ignore=shutil.ignore_patterns("data", "tests"))
    (shop / "templates.yaml").write_text(
        "whatsapp:\n"
        "  - name: service_notice\n"
        "    category: utility\n"
        "    languages: {en: en_US}\n"
        "    parameters: [message]\n"
        "    events: [broadcast]\n"
        "  - name: promo\n"
        "    category: spam\n"
        "    languages: {en: en_US}\n"
    )
    done = CliRunner().invoke(cli, ["check", str(shop)])
    assert done.exit_code == 1
    assert "templates.yaml:8:5: whatsapp.1.category" in done.output
    (shop / "templates.yaml").write_text(
        "whatsapp:\n  - name: service_notice\n    category: utility\n"
        "    languages: {en: en_US}\n    events: [broadcast]\n"
    )
    warned = CliRunner().invoke(cli, ["check", str(shop)])
    assert warned.exit_code == 0, warned.output
    assert "templates.yaml:4:5: warning: template 'service_notice' has no language for pl" in (
        warned.output
    )

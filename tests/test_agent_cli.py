"""``shopchat agent``: accounts from the command line."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.console import AgentStore
from bot.storage import SessionStore

runner = CliRunner()


@pytest.fixture
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/agents.db"
    monkeypatch.setenv("SHOPCHAT_DATABASE_URL", url)
    return url


def agents(url: str) -> AgentStore:
    return AgentStore(SessionStore(url))


def test_add_with_the_password_on_stdin(db):
    result = runner.invoke(
        app,
        ["agent", "add", "alice", "--display-name", "Alice S.", "--password-stdin"],
        input="a long enough secret\n",
    )
    assert result.exit_code == 0, result.output
    assert "agent alice (Alice S.) added" in result.output
    assert agents(db).authenticate("alice", "a long enough secret") is not None


def test_duplicate_weak_and_bad_names_are_clear_errors(db):
    runner.invoke(
        app, ["agent", "add", "alice", "--password-stdin"], input="a long enough secret\n"
    )
    dup = runner.invoke(
        app, ["agent", "add", "alice", "--password-stdin"], input="another long one\n"
    )
    assert dup.exit_code == 1
    assert "already exists" in dup.output
    weak = runner.invoke(app, ["agent", "add", "bob", "--password-stdin"], input="short\n")
    assert weak.exit_code == 1
    assert "too short" in weak.output
    empty = runner.invoke(app, ["agent", "add", "bob", "--password-stdin"], input="\n")
    assert "empty" in empty.output
    bad = runner.invoke(
        app, ["agent", "add", "Bob Smith", "--password-stdin"], input="a long enough secret\n"
    )
    assert bad.exit_code == 1
    assert "invalid agent name" in bad.output
    assert "Traceback" not in dup.output + weak.output + bad.output


def test_token_list_password_and_remove(db):
    runner.invoke(
        app, ["agent", "add", "alice", "--password-stdin"], input="a long enough secret\n"
    )
    token = runner.invoke(app, ["agent", "token", "alice"])
    assert token.exit_code == 0
    value = token.stdout.strip().splitlines()[-1]
    assert value.startswith("sca_")
    assert agents(db).token_agent(value).name == "alice"
    listed = runner.invoke(app, ["agent", "list"])
    assert "alice" in listed.output
    changed = runner.invoke(
        app, ["agent", "password", "alice", "--password-stdin"], input="a new long secret\n"
    )
    assert changed.exit_code == 0
    assert agents(db).authenticate("alice", "a new long secret") is not None
    removed = runner.invoke(app, ["agent", "remove", "alice"])
    assert removed.exit_code == 0
    assert agents(db).token_agent(value) is None
    assert agents(db).authenticate("alice", "a new long secret") is None
    assert runner.invoke(app, ["agent", "token", "ghost"]).exit_code == 1


def test_without_a_project_or_database_url_it_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.delenv("SHOPCHAT_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["agent", "list"])
    assert result.exit_code == 2
    assert "not a bot project" in result.output


def test_the_demo_creates_one_demo_agent_and_prints_its_password(db, tmp_path, capsys):
    from bot.agent_cli import demo_agent

    (tmp_path / "shop.yaml").write_text("name: X\n")
    demo_agent(tmp_path, "http://127.0.0.1:8000/agent")
    printed = capsys.readouterr().err
    assert "http://127.0.0.1:8000/agent" in printed
    password = printed.split("log in as demo / ")[1].split(" ")[0]
    assert agents(db).authenticate("demo", password) is not None
    demo_agent(tmp_path, "http://127.0.0.1:8000/agent")
    again = capsys.readouterr().err
    assert "log in as one of: demo" in again
    assert password not in again


def test_admin_is_granted_at_creation_or_later_and_can_be_revoked(db):
    runner.invoke(
        app,
        ["agent", "add", "alice", "--admin", "--password-stdin"],
        input="a long enough secret\n",
    )
    runner.invoke(app, ["agent", "add", "bob", "--password-stdin"], input="a long enough secret\n")
    store = agents(db)
    assert store.get("alice").admin and not store.get("bob").admin
    assert runner.invoke(app, ["agent", "admin", "bob"]).exit_code == 0
    assert store.get("bob").admin
    revoked = runner.invoke(app, ["agent", "admin", "alice", "--revoke"])
    assert revoked.exit_code == 0 and "no longer an admin" in revoked.output
    assert not store.get("alice").admin
    listed = runner.invoke(app, ["agent", "list"]).output
    assert "admin" in listed
    unknown = runner.invoke(app, ["agent", "admin", "carol"])
    assert unknown.exit_code == 1 and "no agent named 'carol'" in unknown.output

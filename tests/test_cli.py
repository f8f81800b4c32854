"""The shopchat command line, run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def shopchat(*args: str, stdin: str = "", cwd: Path | None = None, env: dict | None = None):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-c", "from bot.cli import main; main()", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=full_env,
        timeout=120,
    )


def write_project(root: Path, flows: dict[str, str]) -> Path:
    (root / "flows").mkdir(parents=True)
    (root / "shop.yaml").write_text(
        "name: CLI Shop\ndefault_locale: en\nlocales: [en]\ncurrency: EUR\nstart_flow: menu\n",
        encoding="utf-8",
    )
    for name, text in flows.items():
        (root / "flows" / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return root


MENU = """\
triggers:
  keywords: {en: [hi]}
steps:
  - ask: colour
    text: Which colour?
    choices: [Red, Green, Blue]
  - say: "You chose {{ colour }}."
"""


def test_check_reports_errors_as_path_line_col_and_exits_1(tmp_path):
    project = write_project(
        tmp_path / "p", {"menu": MENU, "bad": "steps:\n  - goto: nowhere\n  - say: [unclosed\n"}
    )
    result = shopchat("check", str(project))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert "bad.yaml:3:" in result.stderr and "YAML syntax error" in result.stderr


def test_check_passes_a_good_project(tmp_path):
    project = write_project(tmp_path / "p", {"menu": MENU})
    result = shopchat("check", str(project))
    assert result.returncode == 0, result.stderr
    assert "OK: 1 flows, 2 steps" in result.stdout


def test_check_on_a_missing_folder_is_a_clean_error(tmp_path):
    result = shopchat("check", str(tmp_path / "nope"))
    assert result.returncode == 1
    assert "not a folder" in result.stderr and "Traceback" not in result.stderr


def test_piped_chat_prints_plain_replies_with_numbered_choices(tmp_path):
    project = write_project(tmp_path / "p", {"menu": MENU})
    result = shopchat(
        "chat",
        str(project),
        stdin="hi\ngreen\n",
        env={"SHOPCHAT_DATABASE_URL": f"sqlite:///{tmp_path}/s.db"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Which colour?\n1. Red\n2. Green\n3. Blue\n\nYou chose Green.\n"


def test_sessions_persist_in_the_database_between_runs(tmp_path):
    project = write_project(tmp_path / "p", {"menu": MENU})
    env = {"SHOPCHAT_DATABASE_URL": f"sqlite:///{tmp_path}/s.db"}
    shopchat("chat", str(project), "--session", "s1", stdin="hi\n", env=env)
    result = shopchat("chat", str(project), "--session", "s1", stdin="3\n", env=env)
    assert result.stdout == "You chose Blue.\n"


def test_env_overrides_shop_settings(tmp_path):
    project = write_project(tmp_path / "p", {"menu": MENU})
    result = shopchat("check", str(project), env={"SHOPCHAT_TIMEZONE": "Nowhere/Land"})
    assert result.returncode == 1
    assert "unknown time zone 'Nowhere/Land'" in result.stderr


def test_test_command_reports_the_failing_turn_with_file_and_line(tmp_path):
    project = write_project(tmp_path / "p", {"menu": MENU})
    (project / "tests").mkdir()
    (project / "tests" / "t.yaml").write_text(
        textwrap.dedent(
            """\
            tests:
              - name: picks a colour
                turns:
                  - user: hi
                    choices: [Red, Green, Blue]
                  - user: "2"
                    bot: You chose Green.
              - name: expects the wrong thing
                turns:
                  - user: hi
                    bot: Which size?
            """
        ),
        encoding="utf-8",
    )
    result = shopchat("test", str(project))
    assert result.returncode == 1
    assert "1 passed, 1 failed" in result.stdout
    assert "t.yaml:10: expects the wrong thing (turn 1)" in result.stdout
    assert "expected the bot to say 'Which size?'" in result.stdout
    assert "| Which colour?" in result.stdout


def test_schema_is_valid_json_schema_for_flows():
    result = shopchat("schema")
    schema = json.loads(result.stdout)
    assert schema["title"] == "shopchat flow"
    assert "steps" in schema["properties"]
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(schema)
    flow = {"steps": [{"ask": "x", "text": "Hi?", "type": "integer"}]}
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(flow)) == []
    bad = {"steps": [{"ask": "x", "text": "Hi?", "type": "colour"}]}
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(bad)) != []


MODEL_SHOP = """\
name: CLI Shop
default_locale: en
locales: [en]
currency: EUR
start_flow: menu
understanding:
  provider: openai
  base_url: http://model.test/v1
  model: tiny
  timeout: 2s
"""
TRACK = """\
title: Track an order
triggers:
  examples: {en: [where is my order, track my parcel]}
steps:
  - say: Let me look for your order.
"""


def chat_in_process(project: Path, tmp_path: Path, monkeypatch, stdin: str) -> str:
    from typer.testing import CliRunner

    from bot.cli import app

    monkeypatch.setenv("SHOPCHAT_DATABASE_URL", f"sqlite:///{tmp_path}/s.db")
    result = CliRunner().invoke(app, ["chat", str(project)], input=stdin)
    assert result.exit_code == 0, result.output
    return result.output


def test_chat_reads_sentences_with_the_shops_model_when_shop_yaml_names_one(tmp_path, monkeypatch):
    import httpx
    import respx

    project = write_project(tmp_path / "p", {"menu": MENU, "track": TRACK})
    (project / "shop.yaml").write_text(MODEL_SHOP, encoding="utf-8")
    content = json.dumps({"intent": "track", "language": "en"})
    with respx.mock:
        route = respx.post("http://model.test/v1/chat/completions").mock(
            return_value=httpx.Response(200, json={"choices": [{"message": {"content": content}}]})
        )
        output = chat_in_process(
            project, tmp_path, monkeypatch, "the courier seems to have lost my stuff\n"
        )
    assert route.called
    assert output == "Let me look for your order.\n"


def test_chat_with_an_unreachable_model_still_answers(tmp_path, monkeypatch):
    import httpx
    import respx

    project = write_project(tmp_path / "p", {"menu": MENU, "track": TRACK})
    (project / "shop.yaml").write_text(MODEL_SHOP, encoding="utf-8")
    with respx.mock:
        respx.post("http://model.test/v1/chat/completions").mock(
            side_effect=httpx.ConnectError("refused")
        )
        output = chat_in_process(
            project, tmp_path, monkeypatch, "the courier seems to have lost my stuff\nhi\n"
        )
    first, second = output.split("\n\n")
    assert "Traceback" not in output and first.strip()  # the built-in reading answered
    assert second.startswith("Which colour?")

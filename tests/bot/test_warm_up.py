"""A serving process loads at start what the first shopper's messages would otherwise load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Run in a fresh interpreter: in the test process, earlier tests have imported everything.
FIRST_SHOPPER = textwrap.dedent(
    """
    import json, sys
    import httpx
    from fastapi.testclient import TestClient
    from bot.app import create_app, warm_up
    from bot.settings import Settings
    from tests.support.fake_telegram import text_update

    project, db, warm = sys.argv[1], sys.argv[2], sys.argv[3] == "warm"
    settings = Settings(
        _env_file=None, database_url=f"sqlite:///{db}", telegram_token="123:ABC",
        telegram_secret_token="s3cret",
    )
    sent = []

    def api(request):
        sent.append(json.loads(request.content))
        return httpx.Response(200, json={"ok": True, "result": True})

    app = create_app(project, settings, transport=httpx.MockTransport(api))
    if warm:
        warm_up(app)
    with TestClient(app) as client:
        before = set(sys.modules)
        for n, text in enumerate(["/start", "Ana", "30"], 1):
            client.post(
                "/webhooks/telegram",
                json=text_update(n, 7, text),
                headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"},
            )
            client.portal.call(app.state.service.drain)
        print(json.dumps({"imported": sorted(set(sys.modules) - before),
                          "replies": [call["text"] for call in sent]}))
    """
)

SIGNUP = """\
triggers:
  commands: [/start]
steps:
  - ask: name
    text: "What's your name?"
  - ask: age
    type: integer
    text: "How old are you, {{ name }}?"
  - say: "Thanks {{ name }}, noted: {{ age }}."
"""


def first_shopper(tmp_path: Path, warm: bool) -> dict[str, list[str]]:
    project = tmp_path / "shop"
    (project / "flows").mkdir(parents=True)
    (project / "shop.yaml").write_text("name: Warm\nlocales: [en]\nstart_flow: signup\n")
    (project / "flows" / "signup.yaml").write_text(SIGNUP)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            FIRST_SHOPPER,
            str(project),
            str(tmp_path / "warm.db"),
            "warm" if warm else "cold",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_after_the_warm_up_a_first_shoppers_messages_import_nothing(tmp_path):
    found = first_shopper(tmp_path, warm=True)
    assert found["replies"] == [
        "What's your name?",
        "How old are you, Ana?",
        "Thanks Ana, noted: 30.",
    ]
    assert found["imported"] == []


def test_without_it_the_first_name_typed_loads_the_number_words(tmp_path):
    # What the warm-up saves: reading "Ana" for numbers imported num2words and its tables.
    found = first_shopper(tmp_path, warm=False)
    assert "num2words" in found["imported"]

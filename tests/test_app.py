"""The server: health, readiness, disabled channels, body limits and the web chat."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.app import ProjectUnusable, create_app
from bot.settings import Settings

MENU = """\
triggers:
  keywords: {en: [hi, start]}
steps:
  - ask: colour
    text: "Hi {{ user.first_name or 'there' }}! Which colour?"
    choices: [Red, Green]
  - say: "You chose {{ colour }}."
"""


def make_project(tmp_path: Path, flows: dict[str, str] | None = None) -> Path:
    root = tmp_path / "bot"
    (root / "flows").mkdir(parents=True)
    (root / "shop.yaml").write_text(
        "name: Web <Shop>\nlocales: [en]\nstart_flow: menu\n", encoding="utf-8"
    )
    for name, text in (flows or {"menu": MENU}).items():
        (root / "flows" / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def settings(tmp_path: Path, **kw) -> Settings:
    return Settings(_env_file=None, database_url=f"sqlite:///{tmp_path}/app.db", **kw)


@pytest.fixture
def client(tmp_path):
    app = create_app(make_project(tmp_path), settings(tmp_path), typing_delay=60)
    with TestClient(app) as c:
        yield c


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200


def test_unconfigured_channels_answer_404_and_the_server_still_runs(client):
    assert client.post("/webhooks/telegram", content=b"{}").status_code == 404
    assert client.post("/webhooks/whatsapp", content=b"{}").status_code == 404
    assert client.get("/webhooks/messenger", params={"hub.mode": "subscribe"}).status_code == 404


def test_a_broken_project_refuses_to_start_with_its_errors(tmp_path):
    root = make_project(tmp_path, {"menu": "steps:\n  - goto: nowhere\n"})
    with pytest.raises(ProjectUnusable, match="unknown step 'nowhere'"):
        create_app(root, settings(tmp_path))


def test_web_chat_page_escapes_the_shop_name(client):
    page = client.get("/chat")
    assert page.status_code == 200
    assert "Web &lt;Shop&gt;" in page.text and "<Shop>" not in page.text


def receive_reply(ws) -> dict:
    while True:
        frame = ws.receive_json()
        if frame["type"] != "session":
            return frame


def test_web_chat_talks_to_the_engine(client):
    with client.websocket_connect("/chat/ws") as ws:
        session = ws.receive_json()
        assert session["type"] == "session" and len(session["ref"]) >= 16
        ws.send_json({"id": "frame-0001", "type": "start"})
        reply = ws.receive_json()
        assert reply == {
            "type": "text",
            "text": "Hi there! Which colour?",
            "choices": [{"label": "Red", "payload": "Red"}, {"label": "Green", "payload": "Green"}],
            "locale": "en",
        }
        ws.send_json({"id": "frame-0002", "type": "choice", "payload": "Green", "label": "Green"})
        assert ws.receive_json()["text"] == "You chose Green."


def test_web_chat_answers_a_resent_frame_once(client):
    with client.websocket_connect("/chat/ws") as ws:
        ws.receive_json()
        ws.send_json({"id": "frame-0001", "type": "start"})
        ws.receive_json()
        ws.send_json({"id": "frame-0002", "type": "text", "text": "1"})
        ws.send_json({"id": "frame-0002", "type": "text", "text": "1"})  # the same frame again
        ws.send_json({"id": "frame-0003", "type": "text", "text": "hi"})
        assert ws.receive_json()["text"] == "You chose Red."
        assert ws.receive_json()["text"] == "Hi there! Which colour?"


def test_web_chat_refuses_garbage_frames_cleanly(client):
    with client.websocket_connect("/chat/ws") as ws:
        ws.receive_json()
        ws.send_text("not json")
        assert ws.receive_json()["type"] == "error"
        ws.send_json({"id": "x", "type": "text", "text": "hi"})
        assert "id" in ws.receive_json()["error"]
        ws.send_json({"id": "frame-0009", "type": "dance"})
        assert "unknown frame type" in ws.receive_json()["error"]


def test_web_chat_answers_a_voice_note_or_file_and_asks_the_question_again(client):
    with client.websocket_connect("/chat/ws") as ws:
        ws.receive_json()
        ws.send_json({"id": "frame-0001", "type": "start"})
        ws.receive_json()
        ws.send_json({"id": "frame-0002", "type": "media", "media": "audio"})
        texts = [ws.receive_json()["text"] for _ in range(2)]
        assert "can't listen to voice" in texts[0] and "Which colour?" in texts[1]
        ws.send_json({"id": "frame-0003", "type": "media", "media": "hologram"})
        assert "can't read that kind of message" in ws.receive_json()["text"]
        ws.receive_json()
        # A picture with a caption is read by its caption.
        ws.send_json({"id": "frame-0004", "type": "media", "media": "image", "caption": "green"})
        assert ws.receive_json()["text"] == "You chose Green."


def test_web_chat_keeps_replies_for_a_browser_that_comes_back(client):
    client.get("/chat")  # the page gives the browser its chat's secret (a cookie)
    with client.websocket_connect("/chat/ws") as ws:
        ref = ws.receive_json()["ref"]
        ws.send_json({"id": "frame-0001", "type": "start"})
        ws.receive_json()
    # The reply to this frame is produced while no browser is connected...
    service = client.app.state.service
    inbound = service.links["web"].adapter.parse_frame(
        ref, '{"id": "frame-0002", "type": "text", "text": "2"}'
    )
    client.portal.call(service.accept, [inbound])
    client.portal.call(service.drain)
    # ...and delivered when it reconnects with the same cookie.
    with client.websocket_connect("/chat/ws") as ws:
        assert ws.receive_json() == {"type": "session", "ref": ref}
        assert ws.receive_json()["text"] == "You chose Green."

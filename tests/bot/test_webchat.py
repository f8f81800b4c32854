"""The web chat's session is a secret of the browser; its socket refuses what is not a frame."""

from __future__ import annotations

import logging
import secrets
import textwrap
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from bot import webchat
from bot.app import create_app
from bot.settings import Settings

MENU = """\
triggers:
  keywords: {en: [hi, start]}
steps:
  - ask: colour
    text: "Hi! Which colour?"
    choices: [Red, Green]
  - say: "You chose {{ colour }}."
"""

ENGLISH = ["Hi! Which colour?", "Red", "Green", "You chose {{ colour }}."]
PL = ["Cześć! Jaki kolor?", "Czerwony", "Zielony", "Wybrano {{ colour }}."]
FA = ["سلام! چه رنگی؟", "قرمز", "سبز", "{{ colour }} را انتخاب کردید."]


@pytest.fixture
def client(tmp_path: Path):
    root = tmp_path / "bot"
    (root / "flows").mkdir(parents=True)
    (root / "shop.yaml").write_text(
        "name: Web Shop\nlocales: [en, pl, fa]\nstart_flow: menu\n"
        "channels:\n  web:\n    origins: ['https://shop.example']\n",
        encoding="utf-8",
    )
    (root / "flows" / "menu.yaml").write_text(textwrap.dedent(MENU), encoding="utf-8")
    (root / "locales").mkdir()
    for loc, words in {"pl": PL, "fa": FA}.items():
        lines = [f'"{en}": "{there}"' for en, there in zip(ENGLISH, words, strict=True)]
        (root / "locales" / f"{loc}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp_path}/app.db")
    with TestClient(create_app(root, settings, typing_delay=60)) as c:
        yield c


def cookie(secret: str) -> dict[str, bytes]:
    return {"cookie": f"{webchat.COOKIE}={secret}".encode()}


def until(ws, kind: str) -> dict:
    while (frame := ws.receive_json())["type"] != kind:
        pass
    return frame


def test_the_page_gives_an_http_only_secret_and_the_socket_names_the_chat_by_a_ref(
    client, tmp_path, caplog
):
    caplog.set_level(logging.DEBUG)
    page = client.get("/chat")
    set_cookie = page.headers["set-cookie"]
    assert "HttpOnly" in set_cookie and "Path=/chat" in set_cookie
    secret = client.cookies[webchat.COOKIE]
    assert secret not in page.text  # not in the page, so no script can read it
    with client.websocket_connect("/chat/ws") as ws:
        ref = ws.receive_json()["ref"]
        ws.send_json({"id": "frame-0001", "type": "start"})
        assert ws.receive_json()["text"] == "Hi! Which colour?"
        ws.send_json({"id": "frame-0002", "type": "text", "text": "Green"})
        assert ws.receive_json()["text"] == "You chose Green."
    assert ref == webchat.public_ref(secret) and secret not in ref
    # What agents, the outbox and the logs see is web:<ref>; the secret is nowhere.
    client.portal.call(client.app.state.service.drain)
    assert client.app.state.store.load(f"web:{ref}") is not None
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("app.db*"))
    assert secret.encode() not in stored
    assert secret not in caplog.text


@pytest.mark.parametrize(
    "secret",
    ["ＡＢＣＤ" * 10, "٠١٢٣٤٥٦٧٨٩" * 4, "short", "a" * 100, "has space" * 5],
)
def test_a_secret_that_is_not_ascii_or_too_short_is_replaced_by_a_fresh_one(client, secret):
    with client.websocket_connect("/chat/ws", headers=cookie(secret)) as ws:
        ref = ws.receive_json()["ref"]
        fresh = dict(ws.extra_headers or [])[b"set-cookie"].decode()
    # The browser is handed a fresh secret (with the handshake) and the chat is named by it.
    new = fresh.split(";")[0].removeprefix(f"{webchat.COOKIE}=")
    assert webchat.valid_secret(new) and new != secret
    assert ref == webchat.public_ref(new)


def test_the_same_secret_is_the_same_chat_in_a_second_tab_which_sees_what_she_types(client):
    secret = secrets.token_urlsafe(32)
    with (
        client.websocket_connect("/chat/ws", headers=cookie(secret)) as one,
        client.websocket_connect("/chat/ws", headers=cookie(secret)) as two,
    ):
        assert one.receive_json() == two.receive_json()  # the same ref
        one.send_json({"id": "frame-0001", "type": "text", "text": "hi"})
        assert until(two, "echo")["text"] == "hi"
        assert until(two, "text")["text"] == "Hi! Which colour?"


def test_a_socket_from_another_site_is_refused_and_a_listed_origin_is_not(client):
    evil = {"origin": "https://evil.example"}
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect("/chat/ws", headers=evil),
    ):
        pass
    assert refused.value.code == webchat.POLICY
    for origin in ("https://shop.example", "http://testserver"):
        with client.websocket_connect("/chat/ws", headers={"origin": origin}) as ws:
            assert ws.receive_json()["type"] == "session"


def test_a_binary_frame_or_a_huge_frame_closes_the_socket_with_its_code(client, caplog):
    with client.websocket_connect("/chat/ws") as ws:
        ws.receive_json()
        ws.send_bytes(b"\x00\x01")
        closed = ws.receive()
    assert closed["type"] == "websocket.close" and closed["code"] == 1003
    with client.websocket_connect("/chat/ws") as ws:
        ws.receive_json()
        ws.send_text("x" * (webchat.MAX_FRAME + 1))
        closed = ws.receive()
    assert closed["type"] == "websocket.close" and closed["code"] == 1009
    assert "Traceback" not in caplog.text and not [
        r for r in caplog.records if r.levelno >= logging.ERROR
    ]


def test_an_abrupt_close_mid_conversation_leaves_no_error(client, caplog):
    with client.websocket_connect("/chat/ws") as ws:
        ws.receive_json()
        ws.send_json({"id": "frame-0001", "type": "start"})
    # The reply had no browser to go to; it waits in the outbox, nothing is logged as an error.
    client.portal.call(client.app.state.service.drain)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_the_language_picker_switches_the_conversation_and_the_page(client):
    with client.websocket_connect("/chat/ws") as ws:
        ws.receive_json()
        ws.send_json({"id": "frame-0001", "type": "start"})
        assert ws.receive_json()["locale"] == "en"
        ws.send_json({"id": "frame-0002", "type": "choice", "payload": "@lang:pl", "label": "P"})
        switched = ws.receive_json()
        assert switched["locale"] == "pl"
        # The question is asked again, still with its choices: the step goes on.
        again = ws.receive_json()
        assert again["locale"] == "pl" and [c["payload"] for c in again["choices"]] == [
            "Red",
            "Green",
        ]


def test_the_page_speaks_the_browsers_language_and_mirrors_for_persian(client):
    page = client.get("/chat", headers={"accept-language": "fa-IR,fa;q=0.9,en;q=0.5"}).text
    assert '<html lang="fa" dir="rtl">' in page
    assert 'placeholder="پیامی بنویسید"' in page and ">ارسال<" in page
    english = client.get("/chat?locale=en", headers={"accept-language": "fa"}).text
    assert '<html lang="en" dir="ltr">' in english and ">Send<" in english
    polish = client.get("/chat", headers={"accept-language": "de-DE,pl;q=0.8"}).text
    assert '<html lang="pl" dir="ltr">' in polish and ">Wyślij<" in polish


def test_the_home_page_leads_to_the_chat(client):
    answer = client.get("/", follow_redirects=False)
    assert answer.status_code in (302, 307) and answer.headers["location"] == "/chat"


def test_the_widget_script_carries_the_shops_name_colour_and_words(client):
    script = client.get("/chat/widget.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert '"shop": "Web Shop"' in script.text and '"colour": "#5b3fd6"' in script.text
    assert "Napisz do nas" in script.text  # the button's words in each of the shop's locales
    assert "/chat?embed=1" in script.text

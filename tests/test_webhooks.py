"""The three webhooks end to end: verified, stored, answered once, in order, never a 5xx."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.app import create_app
from bot.inbox import inbox_table
from bot.settings import Settings
from flows import TextReply
from tests.support.fake_telegram import text_update

SECRET = "tg-secret_123"
APP_SECRET = "meta-app-secret"
VERIFY = "verify-me"
DATA = Path(__file__).parent / "data"

MENU = """\
triggers:
  keywords: {en: [hi, menu]}
steps:
  - ask: colour
    text: "Hi {{ user.first_name or 'there' }}! Pick <b>one</b>:"
    choices: [Red, Green, Blue]
  - say: "You chose {{ colour }}."
"""


class Platform:
    """A recording fake of the Telegram and Graph APIs, as an httpx transport."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict]] = []
        self.lock = threading.Lock()
        self.responses: list[httpx.Response] = []  # queued special answers

    def handler(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content or b"{}")
        with self.lock:
            self.requests.append((request.url.path, body))
            if self.responses:
                return self.responses.pop(0)
        if request.url.host == "api.telegram.org":
            return httpx.Response(200, json={"ok": True, "result": True})
        return httpx.Response(200, json={"message_id": "wamid.OUT", "recipient_id": "1"})

    def calls(self, suffix: str) -> list[dict]:
        with self.lock:
            return [body for path, body in self.requests if path.endswith(suffix)]


def make_project(tmp_path: Path) -> Path:
    root = tmp_path / "bot"
    (root / "flows").mkdir(parents=True)
    (root / "shop.yaml").write_text(
        "name: Hooks\nlocales: [en]\nstart_flow: menu\n", encoding="utf-8"
    )
    (root / "flows" / "menu.yaml").write_text(textwrap.dedent(MENU), encoding="utf-8")
    return root


@pytest.fixture
def platform() -> Platform:
    return Platform()


def channel_settings(tmp_path) -> Settings:
    return Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path}/hooks.db",
        telegram_token="123:ABC",
        telegram_secret_token=SECRET,
        meta_app_secret=APP_SECRET,
        meta_verify_token=VERIFY,
        whatsapp_token="wa-token",
        whatsapp_phone_number_id="106540352242922",
        messenger_page_token="page-token",
        max_body_bytes=64_000,
    )


@pytest.fixture
def client(tmp_path, platform):
    app = create_app(
        make_project(tmp_path),
        channel_settings(tmp_path),
        transport=httpx.MockTransport(platform.handler),
        typing_delay=60,
    )
    with TestClient(app) as c:
        yield c


def test_a_slow_reply_shows_the_typing_indicator_first(tmp_path, platform):
    app = create_app(
        make_project(tmp_path),
        channel_settings(tmp_path),
        transport=httpx.MockTransport(platform.handler),
        typing_delay=0,
    )
    with TestClient(app) as client:
        tg(client, text_update(60, 48))
        settle(client)
    assert platform.calls("/sendChatAction") == [{"chat_id": 48, "action": "typing"}]
    assert len(platform.calls("/sendMessage")) == 1


def test_a_quick_reply_shows_no_typing_indicator(client, platform):
    tg(client, text_update(61, 49))
    settle(client)
    assert platform.calls("/sendChatAction") == []


def settle(client) -> None:
    client.portal.call(client.app.state.service.drain)


def inbox_count(client) -> int:
    store = client.app.state.store
    with store.connection() as conn:
        return conn.execute(select(func.count()).select_from(inbox_table)).scalar_one()


def tg(client, update: dict | bytes, secret: str | None = SECRET) -> httpx.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
    body = update if isinstance(update, bytes) else json.dumps(update).encode()
    return client.post(
        "/webhooks/telegram", content=body, headers={**headers, "content-type": "application/json"}
    )


def meta(client, path: str, body: bytes, secret: str = APP_SECRET) -> httpx.Response:
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        path,
        content=body,
        headers={"X-Hub-Signature-256": signature, "content-type": "application/json"},
    )


# -- Telegram ------------------------------------------------------------------------------


def test_telegram_text_is_answered_with_an_escaped_message_and_keyboard(client, platform):
    assert tg(client, text_update(1, 42)).status_code == 200
    settle(client)
    [sent] = platform.calls("/sendMessage")
    assert sent["chat_id"] in (42, "42")
    assert sent["text"] == "Hi Ana! Pick &lt;b&gt;one&lt;/b&gt;:"
    assert [row[0]["text"] for row in sent["reply_markup"]["inline_keyboard"]] == [
        "Red",
        "Green",
        "Blue",
    ]


def test_telegram_button_press_is_acknowledged_and_answered(client, platform):
    tg(client, text_update(1, 42))
    settle(client)
    press = {
        "update_id": 2,
        "callback_query": {
            "id": "cbq-1",
            "from": {"id": 42, "is_bot": False, "first_name": "Ana"},
            "message": {"message_id": 9, "chat": {"id": 42, "type": "private"}, "date": 1767607200},
            "chat_instance": "1",
            "data": "Green",
        },
    }
    assert tg(client, press).status_code == 200
    settle(client)
    assert platform.calls("/answerCallbackQuery") == [{"callback_query_id": "cbq-1"}]
    assert platform.calls("/sendMessage")[-1]["text"] == "You chose Green."


def test_a_duplicated_update_gets_one_reply(client, platform):
    for _ in range(3):
        assert tg(client, text_update(7, 42)).status_code == 200
    settle(client)
    assert len(platform.calls("/sendMessage")) == 1
    assert inbox_count(client) == 1


def test_concurrent_duplicate_deliveries_are_answered_once(client, platform):
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda _: tg(client, text_update(8, 43)).status_code, range(16)))
    settle(client)
    assert set(codes) == {200}
    assert len(platform.calls("/sendMessage")) == 1


def test_one_chats_updates_are_answered_in_update_id_order(tmp_path, platform):
    """Telegram delivers one chat's updates over parallel connections: 11 may come before
    10. Within the reordering window they are answered in update_id order."""
    settings = channel_settings(tmp_path).model_copy(update={"reorder_window": 5.0})
    app = create_app(
        make_project(tmp_path),
        settings,
        transport=httpx.MockTransport(platform.handler),
        typing_delay=60,
    )
    with TestClient(app) as client:
        tg(client, text_update(11, 44, "3"))  # the answer to the question 10 asks...
        tg(client, text_update(10, 44, "hi"))  # ...delivered before it
        tg(client, text_update(12, 44, "menu"))
        settle(client)  # ends the window at once
    texts = [c["text"] for c in platform.calls("/sendMessage")]
    assert texts == [
        "Hi Ana! Pick &lt;b&gt;one&lt;/b&gt;:",
        "You chose Blue.",
        "Hi Ana! Pick &lt;b&gt;one&lt;/b&gt;:",
    ]


@pytest.mark.parametrize("secret", [None, "wrong-secret"])
def test_a_forged_telegram_update_is_refused_and_leaves_no_trace(client, platform, secret):
    response = tg(client, text_update(20, 45), secret=secret)
    assert response.status_code in (401, 403)
    settle(client)
    assert inbox_count(client) == 0 and platform.requests == []


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"update_id": "x"}', b""])
def test_malformed_telegram_body_with_a_valid_secret_is_400(client, body):
    assert tg(client, body).status_code == 400


def test_an_oversized_body_is_413(client):
    assert tg(client, b'{"update_id": 1, "pad": "' + b"x" * 70_000 + b'"}').status_code == 413


def test_unknown_update_types_are_acknowledged_not_answered(client, platform):
    assert tg(client, {"update_id": 30, "poll": {"id": "1", "question": "?"}}).status_code == 200
    settle(client)
    assert platform.calls("/sendMessage") == []


def test_an_edited_message_is_answered_as_a_new_message(client, platform):
    assert (
        tg(client, json.loads((DATA / "telegram" / "edited_message.json").read_text())).status_code
        == 200
    )
    settle(client)
    assert len(platform.calls("/sendMessage")) >= 1


def test_a_user_who_blocked_the_bot_is_not_messaged_again(client, platform):
    platform.responses.append(
        httpx.Response(
            403,
            json={
                "ok": False,
                "error_code": 403,
                "description": "Forbidden: bot was blocked by the user",
            },
        )
    )
    tg(client, text_update(40, 46))
    settle(client)
    contact = client.app.state.service.contacts.get("telegram:46")
    assert contact is not None and contact.unreachable


def test_telegram_429_is_retried_after_the_requested_pause(client, platform):
    platform.responses.append(
        httpx.Response(
            429,
            json={
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests",
                "parameters": {"retry_after": 0},
            },
        )
    )
    tg(client, text_update(50, 47))
    settle(client)
    assert len(platform.calls("/sendMessage")) == 2  # refused once, then delivered


def test_pre_checkout_for_an_unknown_invoice_is_refused(client, platform):
    update = json.loads((DATA / "telegram" / "pre_checkout_query.json").read_text())
    assert tg(client, update).status_code == 200
    settle(client)
    [answer] = platform.calls("/answerPreCheckoutQuery")
    assert answer["ok"] is False and answer["error_message"]


# -- WhatsApp and Messenger -----------------------------------------------------------------


def test_meta_handshakes(client):
    ok = client.get(
        "/webhooks/whatsapp",
        params={"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"},
    )
    assert ok.status_code == 200 and ok.text == "1158201444"
    bad = client.get(
        "/webhooks/messenger",
        params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"},
    )
    assert bad.status_code == 403


def whatsapp_text(wamid: str, text: str, wa_id: str = "48600123456") -> bytes:
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "102290129340398",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {
                                    "display_phone_number": "15550783881",
                                    "phone_number_id": "106540352242922",
                                },
                                "contacts": [{"profile": {"name": "Zofia"}, "wa_id": wa_id}],
                                "messages": [
                                    {
                                        "from": wa_id,
                                        "id": wamid,
                                        "timestamp": "1767607200",
                                        "type": "text",
                                        "text": {"body": text},
                                    }
                                ],
                            },
                        }
                    ],
                }
            ],
        }
    ).encode()


def test_whatsapp_message_is_answered_with_reply_buttons(client, platform):
    assert meta(client, "/webhooks/whatsapp", whatsapp_text("wamid.A1", "hi")).status_code == 200
    settle(client)
    [sent] = platform.calls("/106540352242922/messages")
    assert sent["to"] == "48600123456" and sent["type"] == "interactive"
    assert sent["interactive"]["body"]["text"] == "Hi Zofia! Pick <b>one</b>:"  # profile name
    assert [b["reply"]["title"] for b in sent["interactive"]["action"]["buttons"]] == [
        "Red",
        "Green",
        "Blue",
    ]


def test_a_resigned_whatsapp_body_fails_verification(client):
    body = (DATA / "whatsapp" / "text.json").read_bytes()
    assert b"\\u00" in body  # Meta signs the escaped-unicode form
    reserialised = json.dumps(json.loads(body), ensure_ascii=False).encode()
    assert reserialised != body
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = client.post(
        "/webhooks/whatsapp", content=reserialised, headers={"X-Hub-Signature-256": signature}
    )
    assert response.status_code == 403
    assert meta(client, "/webhooks/whatsapp", body).status_code == 200  # the raw bytes verify


def test_whatsapp_batch_is_processed_in_order_each_once(client, platform):
    body = (DATA / "whatsapp" / "batched.json").read_bytes()
    assert meta(client, "/webhooks/whatsapp", body).status_code == 200
    assert meta(client, "/webhooks/whatsapp", body).status_code == 200  # Meta retried
    settle(client)
    events = client.app.state.service.journal.status_counts()
    assert sum(events.values()) == inbox_count(client)
    assert events.get("pending", 0) == 0


def test_whatsapp_statuses_are_recorded_never_answered(client, platform):
    body = (DATA / "whatsapp" / "statuses.json").read_bytes()
    assert meta(client, "/webhooks/whatsapp", body).status_code == 200
    settle(client)
    assert platform.requests == []
    assert inbox_count(client) > 0


def messenger_body(event: dict) -> bytes:
    return json.dumps(
        {"object": "page", "entry": [{"id": "PAGE1", "time": 1767607200000, "messaging": [event]}]}
    ).encode()


def test_messenger_text_gets_quick_replies_and_echoes_are_ignored(client, platform):
    text = {
        "sender": {"id": "PSID1"},
        "recipient": {"id": "PAGE1"},
        "timestamp": 1767607200000,
        "message": {"mid": "m_1", "text": "hi"},
    }
    echo = {
        "sender": {"id": "PAGE1"},
        "recipient": {"id": "PSID1"},
        "timestamp": 1767607200001,
        "message": {"mid": "m_2", "text": "Hi!", "is_echo": True, "app_id": 1},
    }
    assert meta(client, "/webhooks/messenger", messenger_body(text)).status_code == 200
    assert meta(client, "/webhooks/messenger", messenger_body(echo)).status_code == 200
    settle(client)
    sent = platform.calls("/me/messages")
    replies = [c for c in sent if "message" in c]
    assert len(replies) == 1
    assert [q["title"] for q in replies[0]["message"]["quick_replies"]] == ["Red", "Green", "Blue"]


def test_wrongly_signed_meta_bodies_are_refused(client):
    body = messenger_body(
        {
            "sender": {"id": "P"},
            "recipient": {"id": "PAGE1"},
            "timestamp": 1,
            "message": {"mid": "m_9", "text": "hi"},
        }
    )
    assert meta(client, "/webhooks/messenger", body, secret="not-the-secret").status_code == 403
    assert client.post("/webhooks/messenger", content=body).status_code == 401
    assert inbox_count(client) == 0


# -- fuzz ----------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.one_of(st.binary(max_size=200), json_values.map(lambda v: json.dumps(v).encode())))
def test_fuzzed_signed_bodies_never_cause_a_5xx(client, body):
    for path in ("/webhooks/whatsapp", "/webhooks/messenger"):
        assert meta(client, path, body).status_code < 500
    assert tg(client, body).status_code < 500


def test_a_database_that_fails_mid_run_gets_503_so_the_platform_retries(client, platform):
    # Someone dropped a table under the running server: storage errors, never a 500.
    with client.app.state.store.transaction() as conn:
        conn.exec_driver_sql("DROP TABLE inbox")
    response = tg(client, text_update(70, 50))
    assert response.status_code == 503
    assert response.json() == {"detail": "temporarily unavailable"}
    assert platform.calls("/sendMessage") == []


def test_a_flush_right_after_a_reply_does_not_send_it_again(client, platform):
    # Sends are recorded in the outbox in batches, after the reply went out; a flush (the
    # retry loop, a returning browser) that comes first must still see them as sent.
    service = client.app.state.service

    async def scenario() -> None:
        body = json.dumps(text_update(80, 51, "hi")).encode()
        await service.receive("telegram", {"x-telegram-bot-api-secret-token": SECRET}, body)
        await service.drain()
        await service.push("telegram:51", [TextReply("Your parcel left the warehouse.")])
        await service.flush()  # at once: the push's send is not recorded yet
        await service.drain()

    client.portal.call(scenario)
    assert len(platform.calls("/sendMessage")) == 2
    with client.app.state.store.connection() as conn:
        statuses = conn.exec_driver_sql("SELECT status FROM outbox").scalars().all()
    assert statuses == ["sent", "sent"]


class _CountingEnviron(dict):
    """os.environ's stand-in that counts the look-ups."""

    reads = 0

    def __getitem__(self, key):
        type(self).reads += 1
        return super().__getitem__(key)

    def __contains__(self, key):
        type(self).reads += 1
        return super().__contains__(key)

    def get(self, key, default=None):
        type(self).reads += 1
        return super().get(key, default)


def test_a_webhook_post_reads_no_environment_variable(client, monkeypatch):
    # FastAPI's OpenTelemetry instrumentation, unless OpenTelemetry is set up, is off: left
    # on, it looked three variables up per request to find nobody listening.
    tg(client, text_update(90, 77))  # warm: anything read once is read by now
    monkeypatch.setattr(os, "environ", _CountingEnviron(os.environ))
    assert tg(client, text_update(91, 77)).status_code == 200
    assert _CountingEnviron.reads == 0


def test_fastapis_telemetry_stays_on_where_opentelemetry_is_set_up(monkeypatch):
    from bot.app import _telemetry

    assert _telemetry() == {"tracing": False, "metrics": False, "logs": False}
    monkeypatch.setenv("OTEL_PYTHON_TRACER_PROVIDER", "sdk_tracer_provider")
    assert _telemetry() is None  # FastAPI's defaults: it instruments every request

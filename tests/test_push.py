"""Messages pushed outside a turn (agent answers, order updates) and features hooked into turns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from adapters.base import OutboundCall
from bot.app import create_app
from bot.service import UnknownConversation
from bot.turnhook import TurnHookBase
from flows.replies import TextReply
from tests.support.fake_telegram import text_update
from tests.test_webhooks import (
    Platform,
    channel_settings,
    make_project,
    meta,
    settle,
    tg,
    whatsapp_text,
)


@pytest.fixture
def platform() -> Platform:
    return Platform()


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


def push(client, cid: str, text: str, **kw) -> int:
    service = client.app.state.service
    return client.portal.call(lambda: service.push(cid, [TextReply(text)], **kw))


def test_a_pushed_message_reaches_the_shopper_on_their_channel(client, platform):
    tg(client, text_update(1, 42))
    settle(client)
    assert push(client, "telegram:42", "Your parcel is on its way") == 1
    sent = platform.calls("/sendMessage")
    assert sent[-1]["chat_id"] in (42, "42")
    assert "Your parcel is on its way" in sent[-1]["text"]


def test_pushing_to_a_stranger_is_refused(client, platform):
    with pytest.raises(UnknownConversation):
        push(client, "telegram:999", "hello")
    assert platform.calls("/sendMessage") == []


def test_whatsapp_push_outside_the_24_hour_window_sends_nothing(tmp_path, platform):
    now = [datetime(2026, 11, 1, 12, tzinfo=UTC)]
    app = create_app(
        make_project(tmp_path),
        channel_settings(tmp_path),
        transport=httpx.MockTransport(platform.handler),
        typing_delay=60,
        clock=lambda: now[0],
    )
    with TestClient(app) as client:
        meta(client, "/webhooks/whatsapp", whatsapp_text("wamid.A", "hi"))
        settle(client)
        before = len(platform.calls("/messages"))
        assert push(client, "whatsapp:48600123456", "still open") == 1
        now[0] += timedelta(hours=25)
        assert push(client, "whatsapp:48600123456", "too late") == 0
        assert len(platform.calls("/messages")) == before + 1


class Silence(TurnHookBase):
    """A hook that takes over every text message of one chat, answering with a fixed call."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def take_over(self, conn, link, inbound, now):
        if inbound.conversation_id == "telegram:7":
            return [OutboundCall("sendMessage", {"chat_id": 7, "text": "an agent will answer"})]
        return None

    def commit(self, conn, inbound, state, replies, effects, now):
        self.seen.append(inbound.conversation_id)


def test_a_hook_can_take_a_conversation_over_and_sees_the_bot_turns(client, platform):
    hook = Silence()
    client.app.state.service.hooks.append(hook)
    tg(client, text_update(1, 7))
    tg(client, text_update(2, 8))
    settle(client)
    texts = {(m["chat_id"], m["text"]) for m in platform.calls("/sendMessage")}
    assert (7, "an agent will answer") in texts
    assert not any(chat == 7 and "Pick" in text for chat, text in texts)
    assert any(str(chat) == "8" and "Pick" in text for chat, text in texts)
    assert hook.seen == ["telegram:8"]

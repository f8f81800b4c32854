"""Instagram Direct, LINE, Wire and public comments, end to end through ``create_app``.

Real-format samples from tests/data/<channel>/ go through the real routes; the platforms are
a recording fake (tests/support/channels.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from adapters.line.signature import sign
from bot.app import create_app
from bot.comments import answered_table
from bot.handoff.models import TicketSummary
from bot.inbox import inbox_table
from flows import TextReply
from tests.support.channels import (
    APP_SECRET,
    IG_ACCOUNT_ID,
    LINE_SECRET,
    WIRE_SERVICE_TOKEN,
    Platform,
    Shop,
    settle,
    shop_settings,
)

SHOP = Path(__file__).parents[1] / "examples" / "shop"
DATA = Path(__file__).parent / "data"


@contextlib.contextmanager
def serving(settings) -> Iterator[Shop]:
    platform = Platform()
    app = create_app(
        SHOP, settings, transport=httpx.MockTransport(platform.handler), typing_delay=60
    )
    with TestClient(app) as client, contextlib.ExitStack() as sockets:
        yield Shop(client, platform, sockets)


@pytest.fixture
def shop(tmp_path):
    with serving(shop_settings(tmp_path)) as shop:
        yield shop


@pytest.fixture
def any_db_shop(tmp_path, store_url):
    """The shop on SQLite and on PostgreSQL."""
    settings = shop_settings(tmp_path).model_copy(update={"database_url": store_url})
    with serving(settings) as shop:
        yield shop


def sample(name: str) -> bytes:
    """A sample with its times moved to now: reply tokens and the 7-day private reply
    window are measured from them."""
    data = json.loads((DATA / name).read_bytes())
    now = int(time.time())
    for event in data.get("events", []):
        event["timestamp"] = now * 1000
    for entry in data.get("entry", []):
        entry["time"] = now
        for change in entry.get("changes", []):
            if "created_time" in change.get("value", {}):
                change["value"]["created_time"] = now
    return json.dumps(data, ensure_ascii=False).encode()


def meta_signed(body: bytes) -> dict[str, str]:
    digest = hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "content-type": "application/json"}


def stored(shop: Shop) -> int:
    store = shop.client.app.state.store
    with store.connection() as conn:
        return int(conn.execute(select(func.count()).select_from(inbox_table)).scalar_one())


def calls_to(shop: Shop, start: int, suffix: str) -> list[dict]:
    return [body for _h, path, body in shop.platform.since(start) if path.endswith(suffix)]


# -- forged requests ------------------------------------------------------------------------

FORGED = [
    ("/webhooks/instagram", "instagram/text.json", {}, 401),
    (
        "/webhooks/instagram",
        "instagram/text.json",
        {"X-Hub-Signature-256": "sha256=" + "0" * 64},
        403,
    ),
    ("/webhooks/line", "line/text.json", {}, 401),
    ("/webhooks/line", "line/text.json", {"X-Line-Signature": "not base64!"}, 401),
    ("/webhooks/line", "line/text.json", {"X-Line-Signature": sign("another-secret", b"{}")}, 403),
    ("/webhooks/wire", "wire/new_text.json", {}, 401),
    ("/webhooks/wire", "wire/new_text.json", {"Authorization": "Bearer guessed"}, 403),
    ("/webhooks/wire", "wire/new_text.json", {"Authorization": WIRE_SERVICE_TOKEN}, 403),
]


@pytest.mark.parametrize(("path", "name", "headers", "status"), FORGED)
def test_forged_and_unsigned_webhooks_are_refused_and_nothing_is_stored(
    shop, path, name, headers, status
):
    start = shop.platform.count()
    response = shop.client.post(path, content=sample(name), headers=headers)
    assert response.status_code == status
    settle(shop.client)
    assert stored(shop) == 0
    assert shop.platform.since(start) == []


def test_a_line_body_signed_then_changed_is_refused(shop):
    body = sample("line/text.json")
    tampered = body.replace(b"Hello, world", b"Hello, World")
    response = shop.client.post(
        "/webhooks/line", content=tampered, headers={"X-Line-Signature": sign(LINE_SECRET, body)}
    )
    assert response.status_code == 403
    assert stored(shop) == 0


def test_instagram_handshake_answers_the_challenge_with_metas_verify_token(shop):
    ok = shop.client.get(
        "/webhooks/instagram",
        params={"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "42"},
    )
    assert (ok.status_code, ok.text) == (200, "42")
    bad = shop.client.get(
        "/webhooks/instagram",
        params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "42"},
    )
    assert bad.status_code == 403


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/webhooks/line", b"not json"),
        ("/webhooks/line", b'{"events": [{"type": "message"}]}'),
        ("/webhooks/instagram", b'{"object": "page", "entry": []}'),
    ],
)
def test_signed_garbage_is_a_400_not_a_500(shop, path, body):
    headers = {"X-Line-Signature": sign(LINE_SECRET, body)} if "line" in path else meta_signed(body)
    assert shop.client.post(path, content=body, headers=headers).status_code == 400
    assert stored(shop) == 0


def test_signed_garbage_on_wire_is_a_400(shop):
    headers = {"Authorization": f"Bearer {WIRE_SERVICE_TOKEN}"}
    for body in (b"[]", b'{"type": "conversation.new_text"}', b"{"):
        assert shop.client.post("/webhooks/wire", content=body, headers=headers).status_code == 400
    assert stored(shop) == 0


# -- LINE -------------------------------------------------------------------------------------


def post_line_sample(shop: Shop, name: str) -> None:
    body = sample(name)
    response = shop.client.post(
        "/webhooks/line", content=body, headers={"X-Line-Signature": sign(LINE_SECRET, body)}
    )
    assert response.status_code == 200, response.text
    settle(shop.client)


def test_line_answers_with_the_reply_token_and_a_redelivery_is_answered_once(shop):
    start = shop.platform.count()
    post_line_sample(shop, "line/text.json")  # "Hello, world": not understood, the menu
    replies = calls_to(shop, start, "/v2/bot/message/reply")
    assert [r["replyToken"] for r in replies] == ["38ef843bde154d9b91c21320ffd17a0f"]
    [menu] = replies
    assert 1 <= len(menu["messages"]) <= 5
    items = menu["messages"][-1]["quickReply"]["items"]
    assert [i["action"]["label"] for i in items] == [
        "Find a gift",
        "Track an order",
        "Payment help",
        "Talk to a person",
    ]
    assert all(i["action"]["type"] == "postback" for i in items)

    again = shop.platform.count()
    post_line_sample(shop, "line/redelivered_text.json")  # the same webhookEventId
    assert shop.platform.since(again) == []


def test_line_follow_greets_and_unfollow_stops_messages(shop):
    start = shop.platform.count()
    post_line_sample(shop, "line/follow.json")
    [greeting] = calls_to(shop, start, "/v2/bot/message/reply")
    assert "Welcome to Toy & Gift Shop" in greeting["messages"][0]["text"]
    post_line_sample(shop, "line/unfollow.json")
    contacts = shop.client.app.state.service.contacts
    contact = contacts.get("line:U4af4980629abcdef0123456789abcdef")
    assert contact is not None and contact.unreachable


@pytest.mark.parametrize(
    "name",
    [
        "line/sticker.json",
        "line/image.json",
        "line/location.json",
        "line/audio.json",
        "line/video.json",
        "line/file.json",
    ],
)
def test_line_stickers_pictures_places_voice_videos_and_files_are_answered(shop, name):
    start = shop.platform.count()
    post_line_sample(shop, name)
    [reply] = calls_to(shop, start, "/v2/bot/message/reply")
    assert reply["messages"], reply


def test_line_verify_ping_is_acknowledged_without_a_word(shop):
    start = shop.platform.count()
    post_line_sample(shop, "line/verify.json")
    assert shop.platform.since(start) == []


# -- Instagram --------------------------------------------------------------------------------


def post_ig(shop: Shop, name: str) -> None:
    body = sample(name)
    response = shop.client.post("/webhooks/instagram", content=body, headers=meta_signed(body))
    assert response.status_code == 200, response.text
    settle(shop.client)


@pytest.mark.parametrize(
    "name",
    [
        "instagram/text.json",
        "instagram/quick_reply.json",
        "instagram/postback.json",
        "instagram/story_reply.json",
        "instagram/story_mention.json",
        "instagram/image.json",
    ],
)
def test_instagram_messages_are_answered_within_instagrams_limits(shop, name):
    start = shop.platform.count()
    post_ig(shop, name)
    sent = calls_to(shop, start, f"/{IG_ACCOUNT_ID}/messages")
    assert sent, f"no answer to {name}"
    for body in sent:
        assert body["recipient"] == {"id": "1254459154682919"}
        assert body["messaging_type"] == "RESPONSE"
        message = body["message"]
        if "text" in message:
            assert 0 < len(message["text"].encode()) <= 1000
        for q in message.get("quick_replies", []):
            assert 0 < len(q["title"]) <= 20
        assert len(message.get("quick_replies", [])) <= 13
        payload = message.get("attachment", {}).get("payload", {})
        assert "image_aspect_ratio" not in payload
        assert len(payload.get("elements", [])) <= 10


@pytest.mark.parametrize("name", ["instagram/echo.json", "instagram/read.json"])
def test_instagram_echoes_and_reads_get_no_answer(shop, name):
    start = shop.platform.count()
    post_ig(shop, name)
    assert shop.platform.since(start) == []
    assert stored(shop) == 1


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("instagram/audio.json", "I can't listen to voice or audio messages"),
        ("instagram/reel.json", "I can't read that kind of message"),
        ("instagram/unsupported.json", "I can't read that kind of message"),
        ("instagram/reaction.json", "Thanks for the reaction!"),
    ],
)
def test_instagram_voice_notes_reels_and_reactions_are_answered_with_what_the_shop_can_do(
    shop, name, says
):
    start = shop.platform.count()
    post_ig(shop, name)
    texts = [
        b["message"].get("text", "") for b in calls_to(shop, start, f"/{IG_ACCOUNT_ID}/messages")
    ]
    assert any(says in t for t in texts), texts
    assert any("I can help with" in t for t in texts), texts  # and what it can do


def test_an_edited_instagram_message_is_taken_as_the_new_message(shop):
    start = shop.platform.count()
    post_ig(shop, "instagram/edit.json")  # edited to "where is my order"
    texts = [
        b["message"].get("text", "") for b in calls_to(shop, start, f"/{IG_ACCOUNT_ID}/messages")
    ]
    assert any("order number" in t for t in texts), texts


# -- public comments --------------------------------------------------------------------------


def test_an_instagram_comment_gets_one_public_and_one_private_reply_opening_the_flow(shop):
    start = shop.platform.count()
    post_ig(shop, "instagram/comment.json")  # "How much is the fire station set?"
    [public] = calls_to(shop, start, "/17919697626119712/replies")
    assert public == {"message": "Thanks ana.kowalska! We've sent you a message 🎁"}
    [private] = calls_to(shop, start, f"/{IG_ACCOUNT_ID}/messages")
    assert private["recipient"] == {"comment_id": "17919697626119712"}
    message = private["message"]
    assert "Who is the gift for?" in message["text"]
    assert [q["title"] for q in message["quick_replies"]] == ["A child", "A teenager", "An adult"]

    # The commenter answers the private message: the gift finder goes on from there.
    tap = shop.instagram()
    tap.last.options.clear()
    answer = tap._turn(
        lambda: tap.post(
            {"message": {"mid": "m_ans1", "text": "A child", "quick_reply": {"payload": "child"}}}
        )
    )
    assert answer.texts == ["How old are they?"]


def test_a_comment_delivered_twice_and_concurrently_is_answered_once(any_db_shop):
    shop = any_db_shop
    body = sample("instagram/comment.json")
    # Twice in one body, then twice at the same time, then again later.
    data = json.loads(body)
    data["entry"] = data["entry"] * 2
    doubled = json.dumps(data).encode()
    shop.client.post("/webhooks/instagram", content=doubled, headers=meta_signed(doubled))

    async def both() -> None:
        transport = httpx.ASGITransport(app=shop.client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            await asyncio.gather(
                *(
                    c.post("/webhooks/instagram", content=body, headers=meta_signed(body))
                    for _ in range(4)
                )
            )

    shop.client.portal.call(both)
    settle(shop.client)
    post_ig(shop, "instagram/comment.json")
    assert len(calls_to(shop, 0, "/17919697626119712/replies")) == 1
    private = [
        b for b in calls_to(shop, 0, f"/{IG_ACCOUNT_ID}/messages") if "comment_id" in b["recipient"]
    ]
    assert len(private) == 1
    store = shop.client.app.state.store
    with store.connection() as conn:
        rows = conn.execute(select(answered_table)).all()
    assert len(rows) == 1 and rows[0].private_reply and rows[0].public_reply


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/webhooks/instagram", "instagram/own_comment.json"),
        ("/webhooks/messenger", "messenger/feed_own_comment.json"),
    ],
)
def test_the_accounts_own_comment_is_never_answered(shop, path, name):
    body = sample(name)
    start = shop.platform.count()
    assert shop.client.post(path, content=body, headers=meta_signed(body)).status_code == 200
    settle(shop.client)
    assert shop.platform.since(start) == []


def test_an_angry_page_comment_is_apologised_for_and_handed_to_a_person(shop):
    body = sample("messenger/feed_comment.json")
    start = shop.platform.count()
    response = shop.client.post("/webhooks/messenger", content=body, headers=meta_signed(body))
    assert response.status_code == 200
    settle(shop.client)
    comment = "122100000000000001_1234567890123456"
    [public] = calls_to(shop, start, f"/{comment}/comments")
    assert public == {"message": "We're so sorry, Ana. We've sent you a private message."}
    [private] = calls_to(shop, start, "/me/messages")
    assert private["recipient"] == {"comment_id": comment}
    assert private["message"]["text"].startswith("Hi Ana, I'm sorry about this.")

    desk = shop.client.app.state.handoff
    tickets: list[TicketSummary] = shop.client.portal.call(desk.tickets)
    [ticket] = [t for t in tickets if t.conversation_id == "messenger:6998441213545698"]
    assert ticket.reason == "angry_comment"
    view = shop.client.portal.call(desk.ticket, ticket.id)
    said = "\n".join(line.text for line in view.transcript)
    assert "my order never came" in said
    assert "https://www.facebook.com/107392638845910/posts/pfbid02abc" in said


# -- metrics and the console ------------------------------------------------------------------


def test_metrics_show_each_channel_its_webhooks_and_comments(shop):
    post_ig(shop, "instagram/comment.json")
    shop.client.post("/webhooks/line", content=b"{}")  # unsigned: 401
    text = shop.client.get("/metrics").text
    for channel in ("instagram", "line", "wire", "messenger"):
        assert f'shopchat_channel_enabled{{channel="{channel}"}} 1' in text
    assert 'shopchat_webhook_requests_total{channel="instagram",status="200"} 1' in text
    assert 'shopchat_webhook_requests_total{channel="line",status="401"} 1' in text
    assert "shopchat_private_replies_total 1" in text
    assert "shopchat_public_replies_total 1" in text


def test_the_console_says_how_long_an_agent_can_still_answer():
    from datetime import UTC, datetime, timedelta

    from bot.console.desk import window_state

    now = datetime(2026, 1, 5, 12, tzinfo=UTC)
    assert window_state("instagram", now - timedelta(hours=2), now) == "open, 22 h left"
    assert window_state("messenger", now - timedelta(days=2), now) == "agents only, 5 d left"
    assert window_state("whatsapp", now - timedelta(days=2), now) == "closed"
    assert window_state("instagram", None, now) == "closed"
    assert window_state("line", now - timedelta(days=30), now) == ""  # push: no window
    assert window_state("wire", None, now) == ""


def test_an_agent_waits_for_an_angry_commenter_to_answer_before_writing(shop):
    from bot.handoff import WindowClosed

    body = sample("messenger/feed_comment.json")
    shop.client.post("/webhooks/messenger", content=body, headers=meta_signed(body))
    settle(shop.client)
    desk = shop.client.app.state.handoff
    [ticket] = shop.client.portal.call(desk.tickets)
    shop.client.portal.call(desk.claim, ticket.id, "ann")
    with pytest.raises(WindowClosed):
        shop.client.portal.call(desk.reply, ticket.id, "ann", "Hello!")
    # The commenter answers the private reply: now the agent's message goes out.
    shopper = shop.messenger()
    shopper.say("It never arrived")
    start = shop.platform.count()
    shop.client.portal.call(desk.reply, ticket.id, "ann", "So sorry, Ana, let me check.")
    settle(shop.client)
    sent = calls_to(shop, start, "/me/messages")
    assert sent[-1]["recipient"] == {"id": "6998441213545698"}
    assert "let me check" in sent[-1]["message"]["text"]


def test_wires_conversation_token_survives_a_restart(tmp_path, store_url):
    """An order update after a restart still reaches a Wire conversation: its token is kept
    in the database, not only in memory."""
    settings = shop_settings(tmp_path).model_copy(update={"database_url": store_url})
    with serving(settings) as shop:
        shopper = shop.wire()
        assert "Welcome to Toy & Gift Shop" in shopper.greeting.texts[0]
        cid = f"wire:{shopper.bot_id}"
    with serving(settings) as shop:
        start = shop.platform.count()
        service = shop.client.app.state.service
        sent = shop.client.portal.call(service.push, cid, [TextReply("Your parcel is on its way")])
        assert sent == 1
        settle(shop.client)
        [(_host, path, body)] = shop.platform.since(start)
        assert path == "/api/conversation"
        assert body == {"type": "text", "text": {"data": "Your parcel is on its way"}}

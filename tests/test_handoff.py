"""The human hand-off end to end: the demo shop on Telegram and the web chat, a fake clock."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re

import pytest

from bot.handoff import (
    NotYourTicket,
    TicketClosed,
    TicketTaken,
    UnknownFlow,
    UnknownTicket,
    WindowClosed,
)
from tests.handoff_support import (
    WEBHOOK_SECRET,
    Clock,
    Hooks,
    call,
    desk,
    running_shop,
)
from tests.support.channels import settle


@pytest.fixture
def shop(tmp_path):
    with running_shop(tmp_path) as shop:
        yield shop


@pytest.fixture
def assigning(tmp_path):
    """A shop that gives waiting tickets to online agents itself (auto_assign is off by default)."""
    with running_shop(tmp_path, "  auto_assign: true\n  max_per_agent: 2\n") as shop:
        yield shop


def only_ticket(shop):
    tickets = call(shop, desk(shop).tickets)
    assert len(tickets) == 1, tickets
    return tickets[0]


def test_asking_for_a_person_gets_one_acknowledgement_with_name_and_wait(shop):
    ana = shop.telegram(first_name="Ana")
    ana.say("hi")
    turn = ana.say("human")
    assert len(turn.texts) == 1, turn.texts  # the engine's generic text was replaced
    assert turn.texts[0].startswith("Thanks, Ana! I'm passing you to a person")
    assert "about 5 min" in turn.texts[0]  # the configured figure: no waits yet
    ticket = only_ticket(shop)
    assert (ticket.state, ticket.reason, ticket.channel) == (
        "waiting",
        "shopper_request",
        "telegram",
    )
    assert ticket.customer_name == "Ana"


def test_the_bot_stays_silent_on_telegram_while_a_person_owns_the_conversation(shop):
    ana = shop.telegram(first_name="Ana")
    ana.say("hi")
    ana.say("human")
    ticket = only_ticket(shop)
    assert call(shop, desk(shop).claim, ticket.id, "kasia").agent == "kasia"

    for text in ("hello?", "menu", "gift", "help"):
        turn = ana.say(text)
        assert turn.texts == [] and turn.options == [], (text, turn.texts)

    call(shop, desk(shop).reply, ticket.id, "kasia", "Hi Ana, how can I help?")
    settle(shop.client)
    sent = [b for _h, p, b in shop.platform.since(0) if p.endswith("/sendMessage")]
    assert "Hi Ana, how can I help?" in sent[-1]["text"]
    assert sent[-1]["text"].endswith("— kasia")  # signed

    view = call(shop, desk(shop).ticket, ticket.id)
    shopper_lines = [line.text for line in view.transcript if line.author == "shopper"]
    assert shopper_lines[-4:] == ["hello?", "menu", "gift", "help"]


def test_the_bot_stays_silent_in_the_web_chat_while_a_person_owns_it(shop):
    web = shop.web()
    web.say("hi")
    turn = web.say("talk to a person")
    assert len(turn.texts) == 1 and "passing you to a person" in turn.texts[0]
    ticket = only_ticket(shop)
    call(shop, desk(shop).claim, ticket.id, "kasia")
    assert web.say("is anyone there?").texts == []
    assert web.say("gift").texts == []
    call(shop, desk(shop).reply, ticket.id, "kasia", "Yes, I'm here")
    frames = web._until_barrier()
    assert any("Yes, I'm here" in f.get("text", "") for f in frames)


def test_returning_to_the_bot_resumes_in_the_named_flow(shop):
    ana = shop.telegram(first_name="Ana")
    ana.say("hi")
    ana.say("human")
    ticket = only_ticket(shop)
    call(shop, desk(shop).claim, ticket.id, "kasia")
    ana.say("I need a present for my nephew")

    start = shop.platform.count()
    call(shop, desk(shop).return_to_bot, ticket.id, "kasia", "gift_finder")
    settle(shop.client)
    pushed = [b["text"] for _h, p, b in shop.platform.since(start) if p.endswith("/sendMessage")]
    assert any("Who is the gift for?" in t for t in pushed), pushed

    turn = ana.say("A child")  # the bot answers again, inside the gift finder
    assert turn.texts == ["How old are they?"]
    assert call(shop, desk(shop).tickets)[0].state == "returned"
    state = shop.client.app.state.store.load("telegram:4242")
    assert '"handoff":false' in state.data


def test_return_to_an_unknown_flow_is_refused(shop):
    ana = shop.telegram()
    ana.say("human")
    ticket = only_ticket(shop)
    call(shop, desk(shop).claim, ticket.id, "kasia")
    with pytest.raises(UnknownFlow, match="no flow 'gifts'"):
        call(shop, desk(shop).return_to_bot, ticket.id, "kasia", "gifts")


def test_without_auto_assign_an_online_agent_claims_tickets_herself(shop):
    d = desk(shop)
    call(shop, d.set_online, "ann", True)
    shop.telegram(chat_id=1).say("human")
    shop.telegram(chat_id=2).say("human")
    call(shop, d.sweep)
    call(shop, d.set_online, "ann", True)
    assert {(t.state, t.agent) for t in call(shop, d.tickets)} == {("waiting", None)}


def test_auto_assign_spreads_a_backlog_and_caps_each_agent(assigning):
    shop, d = assigning, desk(assigning)
    for chat in range(1, 6):
        shop.telegram(chat_id=chat).say("human")
    call(shop, d.set_online, "ann", True)  # the first one online gets her share, not all five
    assert [t.agent for t in call(shop, d.tickets, state="assigned")] == ["ann", "ann"]
    call(shop, d.set_online, "bob", True)
    assert sorted(t.agent for t in call(shop, d.tickets, state="assigned")) == [
        "ann",
        "ann",
        "bob",
        "bob",
    ]
    assert len(call(shop, d.tickets, state="waiting")) == 1


def test_two_agents_claiming_at_once_exactly_one_wins(shop):
    shop.telegram().say("human")
    ticket = only_ticket(shop)

    async def both():
        d = desk(shop)
        return await asyncio.gather(
            *(d.claim(ticket.id, agent) for agent in ("ann", "bob", "cyd", "dan")),
            return_exceptions=True,
        )

    results = shop.client.portal.call(both)
    winners = [r for r in results if not isinstance(r, Exception)]
    losers = [r for r in results if isinstance(r, TicketTaken)]
    assert len(winners) == 1 and len(losers) == 3
    assert all(winners[0].agent in str(e) for e in losers)
    assert only_ticket(shop).agent == winners[0].agent


def test_agents_acting_on_tickets_they_do_not_hold_get_clear_errors(shop):
    shop.telegram().say("human")
    ticket = only_ticket(shop)
    with pytest.raises(NotYourTicket, match="claim it first"):
        call(shop, desk(shop).reply, ticket.id, "bob", "hi")
    call(shop, desk(shop).claim, ticket.id, "ann")
    for action in (desk(shop).resolve, desk(shop).return_to_bot):
        with pytest.raises(NotYourTicket, match="held by ann"):
            call(shop, action, ticket.id, "bob")
    with pytest.raises(NotYourTicket):
        call(shop, desk(shop).transfer, ticket.id, "bob", "cyd")
    with pytest.raises(UnknownTicket):
        call(shop, desk(shop).claim, 999, "ann")
    call(shop, desk(shop).resolve, ticket.id, "ann")
    with pytest.raises(TicketClosed):
        call(shop, desk(shop).reply, ticket.id, "ann", "one more thing")


def test_a_transfer_loses_nothing_the_shopper_writes(shop):
    ana = shop.telegram()
    ana.say("human")
    ticket = only_ticket(shop)
    call(shop, desk(shop).claim, ticket.id, "ann")
    ana.say("my order is late")
    call(shop, desk(shop).transfer, ticket.id, "ann", "bob")
    ana.say("order TG-10234")
    assert only_ticket(shop).agent == "bob"
    call(shop, desk(shop).reply, ticket.id, "bob", "Looking at TG-10234 now")
    lines = [
        (line.author, line.text) for line in call(shop, desk(shop).ticket, ticket.id).transcript
    ]
    assert ("shopper", "my order is late") in lines and ("shopper", "order TG-10234") in lines
    assert lines[-1][0] == "agent"


def test_the_transcript_has_the_bot_part_the_shopper_and_the_agent(shop):
    ana = shop.telegram(first_name="Ana")
    ana.say("hi")
    ana.press("Payment help")
    ana.press("Talk to a person")
    ticket = only_ticket(shop)
    assert (ticket.reason, ticket.flow, ticket.step) == ("payment_help", "payment_help", "person")
    assert ticket.priority == 1
    call(shop, desk(shop).claim, ticket.id, "ann")
    ana.say("I paid twice")
    call(shop, desk(shop).reply, ticket.id, "ann", "I'll refund one")
    call(shop, desk(shop).note, ticket.id, "ann", "double BLIK payment")
    view = call(shop, desk(shop).ticket, ticket.id)
    directions = [line.author for line in view.transcript]
    texts = "\n".join(line.text for line in view.transcript)
    assert directions[:2] == ["shopper", "bot"]
    assert "Hi Ana! Welcome" in texts and "How can I help with your payment?" in texts
    assert "Expected wait" in texts  # the acknowledgement, after the flow's own text
    assert directions[-2:] == ["shopper", "agent"]
    assert [n.text for n in view.notes] == ["double BLIK payment"]
    assert view.profile.name == "Ana" and view.profile.channel == "telegram"
    assert (view.flow, view.step) == ("payment_help", "person")


def test_misunderstood_messages_in_a_row_call_a_person(shop):
    ana = shop.telegram(first_name="Ana")
    first = ana.say("blorp")
    assert "didn't quite get that" in first.said
    assert call(shop, desk(shop).tickets) == []
    second = ana.say("zzzqx")  # not an answer to the menu either
    assert "passing you to a person" in second.said and "pick one" not in second.said
    assert only_ticket(shop).reason == "fallbacks"


def test_understood_messages_in_between_reset_the_count(shop):
    ana = shop.telegram()
    ana.say("blorp")
    ana.say("hi")
    ana.say("zzzqx")
    assert call(shop, desk(shop).tickets) == []


def test_an_angry_message_calls_a_person_with_high_priority(shop):
    ana = shop.telegram(first_name="Ana", language_code="pl")
    turn = ana.say("TO JEST SKANDAL!!! Gdzie jest moja paczka")
    assert "Przekazuję rozmowę" in turn.said
    ticket = only_ticket(shop)
    assert (ticket.reason, ticket.priority) == ("angry", 2)


def test_the_shopper_writing_soon_after_resolution_reopens_the_ticket(shop):
    ana = shop.telegram(first_name="Ana")
    ana.say("human")
    ticket = only_ticket(shop)
    call(shop, desk(shop).claim, ticket.id, "ann")
    call(shop, desk(shop).resolve, ticket.id, "ann")
    shop.clock.advance(minutes=10)
    turn = ana.say("sorry, one more question")
    assert "in the queue" in turn.said
    again = only_ticket(shop)
    assert (again.id, again.state, again.reopened) == (ticket.id, "waiting", 1)


def test_after_the_reopen_window_the_bot_answers(tmp_path):
    with running_shop(tmp_path, "  reopen_within: 1h\n") as shop:
        ana = shop.telegram(first_name="Ana")
        ana.say("human")
        ticket = only_ticket(shop)
        call(shop, desk(shop).claim, ticket.id, "ann")
        call(shop, desk(shop).resolve, ticket.id, "ann")
        shop.clock.advance(minutes=61)
        assert "What can I do for you today?" in ana.say("hi").said
        assert only_ticket(shop).state == "resolved"


def test_a_silent_agent_loses_the_ticket_to_the_least_busy_online_one(assigning):
    d = desk(assigning)
    for agent in ("ann", "bob"):
        call(assigning, d.set_online, agent, True)
    assigning.telegram(chat_id=1).say("human")
    first = only_ticket(assigning)
    assert first.state == "assigned" and first.agent == "ann"  # auto-assigned, least busy
    assigning.telegram(chat_id=2).say("human")
    assert {t.agent for t in call(assigning, d.tickets)} == {"ann", "bob"}

    assigning.clock.advance(minutes=2)
    call(assigning, d.set_online, "ann", True)  # heartbeats
    call(assigning, d.set_online, "bob", True)
    call(assigning, d.reply, call(assigning, d.tickets, agent="bob")[0].id, "bob", "Hi!")
    call(assigning, d.sweep)
    assert call(assigning, d.ticket, first.id).ticket.agent == "ann"  # not yet: 3 minutes

    assigning.clock.advance(minutes=1, seconds=1)
    call(assigning, d.set_online, "bob", True)
    call(assigning, d.sweep)
    assert call(assigning, d.ticket, first.id).ticket.agent == "bob"


def test_a_silent_agent_keeps_the_ticket_when_nobody_else_is_online(assigning):
    d = desk(assigning)
    call(assigning, d.set_online, "ann", True)
    assigning.telegram().say("human")
    assigning.clock.advance(minutes=4)  # ann's heartbeat expired too
    call(assigning, d.sweep)
    ticket = only_ticket(assigning)
    assert (ticket.state, ticket.agent) == ("assigned", "ann")
    call(assigning, d.set_online, "bob", True)  # someone who can answer
    call(assigning, d.sweep)
    assert only_ticket(assigning).agent == "bob"


def test_agents_without_a_heartbeat_get_no_new_tickets(assigning):
    d = desk(assigning)
    call(assigning, d.set_online, "ann", True)
    assigning.clock.advance(minutes=3)
    assigning.telegram().say("human")
    assert only_ticket(assigning).state == "waiting"
    call(assigning, d.set_online, "ann", True)  # the heartbeat: back, and given the waiting ticket
    assert only_ticket(assigning).agent == "ann"
    call(assigning, d.set_online, "ann", False)
    assigning.telegram(chat_id=5).say("human")
    assert call(assigning, d.tickets, state="waiting")[0].conversation_id == "telegram:5"


def test_live_events_tell_the_console_about_tickets_and_messages(shop):
    d = desk(shop)
    seen = []

    async def listen(events):
        async with events:
            async for event in events:
                seen.append(event)
                if len(seen) >= 3:
                    return

    def listening():
        events = shop.client.portal.call(lambda: _subscribed(d))
        return shop.client.portal.start_task_soon(listen, events)

    task = listening()
    ana = shop.telegram()
    ana.say("human")
    ticket = only_ticket(shop)
    call(shop, d.claim, ticket.id, "ann")
    ana.say("hello?")
    task.result(timeout=5)
    kinds = [e.kind for e in seen]
    assert kinds == ["message", "message", "ticket_created"]  # the question, the answer
    seen.clear()
    task = listening()
    ana.say("still there?")
    call(shop, d.note, ticket.id, "ann", "checking")
    call(shop, d.reply, ticket.id, "ann", "yes!")
    task.result(timeout=5)
    assert [e.kind for e in seen] == ["message", "ticket_changed", "message"]
    assert seen[0].message.text == "still there?" and seen[2].message.author == "agent"


async def _subscribed(d):
    return d.subscribe()


# -- notifications -------------------------------------------------------------------------


def test_a_new_ticket_is_announced_once_on_slack_and_the_signed_webhook(shop):
    shop.telegram(first_name="Ana").say("human")
    call(shop, desk(shop).sweep)
    call(shop, desk(shop).sweep)
    assert sorted(shop.hooks.hosts()) == ["desk.test", "hooks.slack.test"]
    slack = next(b for h, _hd, b in shop.hooks.received if h == "hooks.slack.test")
    assert "Ana on telegram wants a person" in slack["text"]
    headers, body = next((hd, b) for h, hd, b in shop.hooks.received if h == "desk.test")
    assert body["event"] == "ticket_created" and body["ticket"]["customer_name"] == "Ana"
    raw = next(r for r in [headers]).get("x-shopchat-timestamp")
    expected = hmac.new(
        WEBHOOK_SECRET.encode(),
        f"{raw}.".encode() + __import__("orjson").dumps(body),
        hashlib.sha256,
    ).hexdigest()
    assert headers["x-shopchat-signature"] == f"sha256={expected}"
    assert headers["x-shopchat-delivery"] == body["delivery"]


def test_a_first_response_about_to_be_missed_is_announced_once(shop):
    shop.telegram().say("human")
    call(shop, desk(shop).sweep)
    shop.hooks.received.clear()
    shop.clock.advance(minutes=3)
    call(shop, desk(shop).sweep)
    assert shop.hooks.received == []  # due at 5 min, warned 1 min before
    for _ in range(3):
        shop.clock.advance(minutes=1, seconds=30)
        call(shop, desk(shop).sweep)
    events = [b["event"] for _h, _hd, b in shop.hooks.received if "event" in b]
    assert events == ["first_response_due"]
    assert len(shop.hooks.received) == 2  # and one Slack message


def test_a_failed_notification_is_retried_after_a_restart_and_arrives_once(tmp_path):
    clock, hooks = Clock(), Hooks()
    hooks.fail = True
    with running_shop(tmp_path, clock=clock, hooks=hooks) as shop:
        shop.telegram().say("human")
        call(shop, desk(shop).sweep)
        call(shop, desk(shop).sweep)  # leased / backing off: not tried again at once
    assert hooks.received == []
    hooks.fail = False
    clock.advance(seconds=20)
    with running_shop(tmp_path, clock=clock, hooks=hooks) as shop:
        call(shop, desk(shop).sweep)
        assert hooks.received == []  # the backoff (and lease) outlive the restart
        clock.advance(minutes=2)
        call(shop, desk(shop).sweep)
        call(shop, desk(shop).sweep)
        assert sorted(hooks.hosts()) == ["desk.test", "hooks.slack.test"]
        clock.advance(hours=2)
        call(shop, desk(shop).sweep)
        assert len(hooks.received) == 2 + 2  # the first-response warning, nothing repeated


# -- metrics -------------------------------------------------------------------------------

_SAMPLE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_]+="[^"]*",?)*\})? -?[0-9.e+-]+$')


def test_metrics_are_served_in_the_prometheus_text_format(shop):
    ana = shop.telegram()
    ana.say("hi")
    ana.say("human")
    ticket = only_ticket(shop)
    shop.clock.advance(seconds=30)
    call(shop, desk(shop).claim, ticket.id, "ann")
    shop.clock.advance(seconds=30)
    call(shop, desk(shop).reply, ticket.id, "ann", "hi")
    shop.clock.advance(minutes=4)
    call(shop, desk(shop).resolve, ticket.id, "ann")

    m = call(shop, desk(shop).metrics)
    assert m.first_response_seconds == 60 and m.waiting_seconds == 30
    assert m.resolution_seconds == 300 and m.response_rate == 1.0

    response = shop.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    lines = response.text.splitlines()
    for line in lines:
        assert line.startswith("# HELP ") or line.startswith("# TYPE ") or _SAMPLE.match(line), line
    assert 'shopchat_handoff_tickets{state="resolved"} 1' in lines
    assert "shopchat_handoff_first_response_seconds_mean 60.0" in lines
    assert 'shopchat_handoff_created_total{reason="shopper_request"} 1' in lines
    assert 'shopchat_handoff_rate{flow="main_menu"} 1.0' in lines


# -- messaging windows ---------------------------------------------------------------------


def test_an_agent_answers_on_messenger_after_a_day_with_the_human_agent_tag(shop):
    sam = shop.messenger()
    sam.say("human")
    ticket = only_ticket(shop)
    call(shop, desk(shop).claim, ticket.id, "ann")
    shop.clock.advance(days=2)
    start = shop.platform.count()
    call(shop, desk(shop).reply, ticket.id, "ann", "Sorry for the wait!")
    settle(shop.client)
    sent = [b for _h, p, b in shop.platform.since(start) if p.endswith("/me/messages")]
    assert sent[-1]["tag"] == "HUMAN_AGENT" and sent[-1]["messaging_type"] == "MESSAGE_TAG"


def test_an_agent_cannot_write_on_whatsapp_after_24_hours_without_a_template(shop):
    wanda = shop.whatsapp()
    wanda.say("human")
    ticket = only_ticket(shop)
    call(shop, desk(shop).claim, ticket.id, "ann")
    shop.clock.advance(hours=25)
    with pytest.raises(WindowClosed, match="messaging window is closed"):
        call(shop, desk(shop).reply, ticket.id, "ann", "Still there?")
    view = call(shop, desk(shop).ticket, ticket.id)
    assert view.ticket.first_response_at is None
    assert all(line.author != "agent" for line in view.transcript)


def test_no_typing_indicator_shows_while_a_person_owns_the_conversation(tmp_path):
    with running_shop(tmp_path, typing_delay=0) as shop:
        ana = shop.telegram()
        assert "sendChatAction" in ana.say("hi").methods  # the bot types when it answers
        ana.say("human")
        call(shop, desk(shop).claim, only_ticket(shop).id, "ann")
        turn = ana.say("hello?")
        assert turn.methods == []


def test_a_new_ticket_is_announced_without_waiting_for_the_sweeper(shop):
    shop.telegram(first_name="Ana").say("human")
    for _ in range(100):  # delivered on the app's loop right after the turn committed
        if len(shop.hooks.received) == 2:
            break
        shop.client.portal.call(asyncio.sleep, 0.01)
    assert sorted(shop.hooks.hosts()) == ["desk.test", "hooks.slack.test"]


class Orders:
    """A ContextProvider like checkout's: async, what the shop knows about the shopper."""

    async def context(self, conversation_id):
        return {"orders": [{"number": "TG-10234", "status": "shipped"}], "cart": ["LEGO City"]}


def test_the_agent_sees_the_shoppers_orders_past_tickets_and_signs_with_a_display_name(tmp_path):
    names = {"ann": "Ann Kowalska"}.get
    with running_shop(tmp_path, handoff_context=Orders(), agent_names=names) as shop:
        ana = shop.telegram(first_name="Ana")
        ana.say("human")
        first = only_ticket(shop)
        call(shop, desk(shop).claim, first.id, "ann")
        call(shop, desk(shop).return_to_bot, first.id, "ann")
        ana.say("human")
        second = call(shop, desk(shop).tickets, state="waiting")[0]
        view = call(shop, desk(shop).ticket, second.id)
        assert view.profile.orders == [{"number": "TG-10234", "status": "shipped"}]
        assert view.profile.cart == ["LEGO City"] and view.profile.first_name == "Ana"
        assert [t.id for t in view.profile.past_tickets] == [first.id]
        call(shop, desk(shop).claim, second.id, "ann")
        call(shop, desk(shop).reply, second.id, "ann", "Hello again")
        assert view.transcript[-1].author == "bot"
        last = call(shop, desk(shop).ticket, second.id).transcript[-1]
        assert (last.author, last.agent) == ("agent", "ann")
        assert last.text == "Hello again\n\n— Ann Kowalska"


class Accounts:
    """The console's account store, as far as the desk uses it."""

    def display_name(self, name):
        return {"ann": "Ann from Support"}.get(name)


def test_replies_are_signed_with_the_consoles_display_name_when_it_has_accounts(shop):
    shop.client.app.state.agents = Accounts()
    shop.telegram().say("human")
    ticket = only_ticket(shop)
    call(shop, desk(shop).claim, ticket.id, "ann")
    call(shop, desk(shop).reply, ticket.id, "ann", "Hi")
    call(shop, desk(shop).transfer, ticket.id, "ann", "bob")
    call(shop, desk(shop).reply, ticket.id, "bob", "Bob here")
    agent_lines = [
        line.text
        for line in call(shop, desk(shop).ticket, ticket.id).transcript
        if line.author == "agent"
    ]
    assert agent_lines == ["Hi\n\n— Ann from Support", "Bob here\n\n— bob"]


def test_the_announced_wait_follows_recent_waits_and_the_queue(shop):
    d = desk(shop)
    for chat, minutes in ((1, 2), (2, 10), (3, 4)):
        shop.telegram(chat_id=chat).say("human")
        shop.clock.advance(minutes=minutes)
        ticket = call(shop, d.tickets, state="waiting")[0]
        call(shop, d.claim, ticket.id, "ann")
    assert "about 4 min" in shop.telegram(chat_id=4).say("human").said  # the median
    # One shopper already waiting and nobody online to share it: twice as long.
    assert "about 8 min" in shop.telegram(chat_id=5).say("human").said


def test_returning_to_the_bot_without_a_flow_tells_the_shopper_and_the_bot_answers_again(shop):
    ana = shop.telegram(first_name="Ana", language_code="es")
    ana.say("humano")
    ticket = only_ticket(shop)
    call(shop, desk(shop).claim, ticket.id, "ann")
    start = shop.platform.count()
    call(shop, desk(shop).return_to_bot, ticket.id, "ann")
    settle(shop.client)
    pushed = [b["text"] for _h, p, b in shop.platform.since(start) if p.endswith("/sendMessage")]
    assert pushed == ["Vuelves a hablar conmigo, el asistente de la tienda."]
    assert "¿En qué puedo ayudarte hoy?" in ana.say("hola").said
    with pytest.raises(TicketClosed, match="returned"):
        call(shop, desk(shop).claim, ticket.id, "bob")


def test_tickets_and_the_bots_silence_survive_a_restart(tmp_path):
    clock = Clock()
    with running_shop(tmp_path, clock=clock) as shop:
        ana = shop.telegram(first_name="Ana")
        ana.say("human")
        ticket = only_ticket(shop)
        call(shop, desk(shop).claim, ticket.id, "ann")
        call(shop, desk(shop).note, ticket.id, "ann", "VIP")
    with running_shop(tmp_path, clock=clock) as shop:
        ana = shop.telegram(first_name="Ana")
        assert ana.say("hello after the restart").texts == []
        view = call(shop, desk(shop).ticket, ticket.id)
        assert (view.ticket.state, view.ticket.agent) == ("assigned", "ann")
        assert [n.text for n in view.notes] == ["VIP"]
        assert view.transcript[-1].text == "hello after the restart"


def test_the_agent_sees_the_cart_and_orders_checkout_knows(shop):
    ana = shop.telegram(first_name="Ana")
    ana.say("/gift")
    ana.press("A child")
    ana.say("8")
    ana.say("200")
    ana.press("LEGO")
    ana.pick("Fire Station Building Bricks Set")
    ana.press("Add to cart")
    ana.say("human")
    view = call(shop, desk(shop).ticket, only_ticket(shop).id)
    assert view.profile.cart == ["1 × Fire Station Building Bricks Set — PLN\xa0189.99"]
    assert view.profile.orders == []


@pytest.mark.parametrize("channel", ["instagram", "line", "wire"])
def test_an_agent_answers_on_the_new_channels(shop, channel):
    shopper = shop.shopper(channel)
    shopper.say("human")
    ticket = only_ticket(shop)
    assert ticket.channel == channel
    call(shop, desk(shop).claim, ticket.id, "ann")
    shop.clock.advance(hours=2)  # past LINE's reply token and Wire's event token
    start = shop.platform.count()
    call(shop, desk(shop).reply, ticket.id, "ann", "Hi, Ann here. How can I help?")
    settle(shop.client)
    sent = [(p, b) for _h, p, b in shop.platform.since(start)]
    said = json.dumps([b for _p, b in sent], ensure_ascii=False)
    assert "Ann here" in said
    if channel == "line":
        assert [p for p, _b in sent] == ["/v2/bot/message/push"]
    if channel == "instagram":
        assert sent[-1][1]["messaging_type"] == "RESPONSE"
    if channel == "wire":
        assert [p for p, _b in sent] == ["/api/conversation"]

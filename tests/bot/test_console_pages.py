"""The console pages an agent uses all day, on the demo shop with the real hand-off desk:
queue, conversation, actions, canned responses, metrics."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support.channels import settle
from tests.support.console import Console, console_shop, login, page_csrf


@pytest.fixture
def console(tmp_path):
    with console_shop(tmp_path) as console:
        login(console.client, "alice")
        yield console


def act(console: Console, ticket_id: int, action: str, client: TestClient | None = None, **data):
    client = client or console.client
    token = page_csrf(client, f"/agent/tickets/{ticket_id}")
    response = client.post(
        f"/agent/tickets/{ticket_id}/{action}",
        data={"csrf_token": token, **data},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    settle(console.client)
    return client.get(response.headers["location"])


def sent_texts(console: Console) -> list[str]:
    """Every text the bot or an agent sent on Telegram."""
    return [
        body.get("text", "")
        for _host, path, body in console.shop.platform.since(0)
        if path.endswith("/sendMessage")
    ]


def second_agent(console: Console, name: str = "bob") -> TestClient:
    """Another agent's browser on the same running app."""
    other = TestClient(console.client.app)
    other.portal = console.client.portal
    login(other, name)
    return other


def test_the_queue_shows_waiting_tickets_with_reason_channel_and_wait(console):
    console.ask_for_person("Ana")
    page = console.client.get("/agent")
    assert page.status_code == 200
    assert "Ana" in page.text
    assert "asked for a person" in page.text
    assert "chan-telegram" in page.text
    assert 'id="count-waiting">1<' in page.text


def test_an_agent_claims_replies_notes_and_returns_the_shopper_to_the_bot(console):
    shopper, tid = console.ask_for_person("Ana")
    page = act(console, tid, "claim")
    assert "You took ticket" in page.text
    assert "held by <b>Alice Smith</b> (you)" in page.text
    page = act(console, tid, "reply", text="Hello Ana, I am here.")
    assert "Reply sent." in page.text
    assert "Hello Ana, I am here." in page.text.split('id="transcript"')[1]
    assert any("Hello Ana, I am here." in text for text in sent_texts(console))
    page = act(console, tid, "note", text="VIP customer, be nice")
    assert 'class="msg note"' in page.text
    assert "VIP customer, be nice" in page.text
    assert not any("VIP" in text for text in sent_texts(console))
    page = act(console, tid, "return", flow="main_menu")
    assert "handed back to the bot" in page.text
    assert console.view(tid).ticket.state == "returned"
    assert shopper.say("hi").texts  # the bot answers again


def test_while_a_person_holds_the_ticket_the_shopper_s_messages_appear_live(console):
    shopper, tid = console.ask_for_person("Ana")
    act(console, tid, "claim")
    assert shopper.say("are you there?").texts == []  # the bot keeps quiet
    part = console.client.get(f"/agent/partials/tickets/{tid}")
    assert "are you there?" in part.text
    assert "Ana" in console.client.get("/agent/partials/queue?view=mine").text
    assert console.client.get("/agent/partials/tickets/7777").status_code == 404


def test_the_conversation_shows_the_customer_context(console):
    _, tid = console.ask_for_person("Ana")
    page = act(console, tid, "claim").text
    assert "A-1001" in page and "shipped" in page  # orders from the shop's context
    assert "Wooden train set" in page  # the cart
    assert f"telegram:{console.view(tid).ticket.conversation_id.split(':')[1]}" in page
    view = console.view(tid)
    if view.flow:
        assert view.flow in page
    assert '<option value="main_menu">main_menu</option>' in page  # return-to-bot flows
    assert '<option value="bob">Bob Jones</option>' in page  # transfer targets


def test_two_agents_claiming_at_once_the_loser_sees_who_won(console):
    _, tid = console.ask_for_person()
    bob = second_agent(console)
    act(console, tid, "claim")
    page = act(console, tid, "claim", client=bob)
    assert f"Ticket #{tid} is already claimed by alice." in page.text


def test_acting_on_a_ticket_another_agent_holds_is_explained(console):
    _, tid = console.ask_for_person()
    act(console, tid, "claim")
    bob = second_agent(console)
    page = act(console, tid, "reply", client=bob, text="Hi, Bob here")
    assert f"Ticket #{tid} is held by alice" in page.text
    assert "Hi, Bob here" not in page.text.split('id="transcript"')[1]
    assert "you can read and add notes" in page.text


def test_a_resolved_ticket_refuses_replies_clearly(console):
    _, tid = console.ask_for_person()
    act(console, tid, "claim")
    page = act(console, tid, "resolve")
    assert f"Ticket #{tid} resolved." in page.text
    assert "This ticket is closed" in page.text
    page = act(console, tid, "reply", text="one more thing")
    assert "already closed (resolved)" in page.text


def test_an_empty_reply_is_not_sent(console):
    _, tid = console.ask_for_person()
    act(console, tid, "claim")
    page = act(console, tid, "reply", text="   ")
    assert "it is empty" in page.text


def test_transfer_hands_the_ticket_to_another_agent(console):
    _, tid = console.ask_for_person()
    act(console, tid, "claim")
    page = act(console, tid, "transfer", to_agent="bob")
    assert "transferred to bob" in page.text
    bob = second_agent(console)
    page = act(console, tid, "reply", client=bob, text="Bob takes over")
    assert "Reply sent." in page.text


def test_transfer_to_nobody_is_explained(console):
    _, tid = console.ask_for_person()
    act(console, tid, "claim")
    page = act(console, tid, "transfer", to_agent="ghost")
    assert "Pick the agent" in page.text


def test_return_to_an_unknown_flow_is_explained(console):
    _, tid = console.ask_for_person()
    act(console, tid, "claim")
    page = act(console, tid, "return", flow="no_such_flow")
    assert "no flow" in page.text and "no_such_flow" in page.text
    assert console.view(tid).ticket.state == "assigned"


def test_an_unknown_ticket_page_says_so(console):
    page = console.client.get("/agent/tickets/999")
    assert page.status_code == 200
    assert "Ticket #999 does not exist." in page.text


def test_shopper_text_is_escaped(console):
    console.ask_for_person("<script>alert(1)</script>")
    page = console.client.get("/agent?view=waiting").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_canned_responses_are_managed_and_fill_in_the_customer(console):
    client = console.client
    token = page_csrf(client, "/agent/canned")
    response = client.post(
        "/agent/canned",
        data={
            "csrf_token": token,
            "title": "Greeting",
            "body": "Hi {{ customer.first_name }}, {{ agent.name }} here about {{ order.number }}.",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = client.get("/agent/canned").text
    assert "Greeting" in page
    canned_id = int(page.split("/agent/canned?edit=")[1].split('"')[0])
    _, tid = console.ask_for_person("Ana")
    filled = client.get(f"/agent/tickets/{tid}/canned/{canned_id}")
    assert filled.text == "Hi Ana, Alice Smith here about A-1001."
    client.post(
        "/agent/canned",
        data={"csrf_token": token, "id": canned_id, "title": "Greeting", "body": "Hello!"},
    )
    assert client.get(f"/agent/tickets/{tid}/canned/{canned_id}").text == "Hello!"
    client.post(f"/agent/canned/{canned_id}/delete", data={"csrf_token": token})
    assert "Greeting" not in client.get("/agent/canned").text


def test_a_canned_template_with_a_syntax_error_is_refused(console):
    token = page_csrf(console.client, "/agent/canned")
    response = console.client.post(
        "/agent/canned", data={"csrf_token": token, "title": "Bad", "body": "Hi {{ name"}
    )
    assert response.status_code == 400
    assert "template error" in response.text


def test_canned_templates_run_in_a_sandbox(console):
    state = console.client.app.state
    cid = state.agents.save_canned(
        state.project.shop.name, "Evil", "{{ ''.__class__.__mro__[1].__subclasses__() }}", "alice"
    )
    _, tid = console.ask_for_person()
    filled = console.client.get(f"/agent/tickets/{tid}/canned/{cid}")
    assert "subclasses" in filled.text  # the raw template back, not Python's classes
    assert "template error" in filled.headers["x-template-error"]


def test_duplicate_canned_titles_are_explained(console):
    token = page_csrf(console.client, "/agent/canned")
    for _ in range(2):
        response = console.client.post(
            "/agent/canned", data={"csrf_token": token, "title": "Same", "body": "x"}
        )
    assert response.status_code == 400
    assert "already exists" in response.text


def test_the_metrics_page_shows_the_desk_figures(console):
    _, tid = console.ask_for_person("Ana")
    console.ask_for_person("Ola")
    act(console, tid, "claim")
    page = console.client.get("/agent/metrics").text
    assert "waiting now" in page
    assert "Hand-offs by reason" in page
    assert '<td>asked for a person</td><td class="num">2</td>' in page


def test_the_events_stream_marks_the_agent_online_and_carries_desk_events(console):
    from bot.console.events import _stream

    class Request:  # what the stream reads from the request
        app = console.client.app

        async def is_disconnected(self) -> bool:
            return False

    console.client.app.state.console_presence.grace = 0  # offline as soon as the tab closes
    stream = _stream(Request(), console.desk, "alice")  # type: ignore[arg-type]
    try:
        assert console.client.portal.call(stream.__anext__) == "retry: 3000\n\n"
        assert console.call(console.desk.metrics).agents_online == 1
        _, tid = console.ask_for_person("Ana")
        frame = console.client.portal.call(stream.__anext__)
        assert frame.startswith("event: desk\ndata: {")
        assert f'"ticket": {tid}' in frame
    finally:
        console.client.portal.call(stream.aclose)
    assert console.call(console.desk.metrics).agents_online == 0


def test_a_live_refresh_does_not_swallow_the_next_page_s_message(console):
    _, tid = console.ask_for_person()
    token = page_csrf(console.client, f"/agent/tickets/{tid}")
    response = console.client.post(
        f"/agent/tickets/{tid}/claim", data={"csrf_token": token}, follow_redirects=False
    )
    console.client.get("/agent/partials/queue")  # the script refreshing meanwhile
    assert "You took ticket" in console.client.get(response.headers["location"]).text

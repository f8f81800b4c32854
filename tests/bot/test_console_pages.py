"""The console pages an agent uses all day: queue, conversation, actions, canned, metrics."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support.console import (
    Console,
    add_agent,
    install_desk,
    login,
    make_app,
    page_csrf,
)


@pytest.fixture
def console(tmp_path):
    with TestClient(make_app(tmp_path)) as client:
        desk = install_desk(client)
        add_agent(client, "alice", "Alice Smith")
        add_agent(client, "bob", "Bob Jones")
        login(client, "alice")
        yield Console(client, desk)


def act(console: Console, ticket_id: int, action: str, client: TestClient | None = None, **data):
    client = client or console.client
    token = page_csrf(client, f"/agent/tickets/{ticket_id}")
    response = client.post(
        f"/agent/tickets/{ticket_id}/{action}",
        data={"csrf_token": token, **data},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client.get(response.headers["location"])


def second_agent(tmp_console: Console) -> TestClient:
    other = TestClient(tmp_console.client.app)
    other.portal = tmp_console.client.portal  # share the running app and its loop
    login(other, "bob")
    return other


def test_the_queue_shows_waiting_tickets_with_reason_channel_and_wait(console):
    console.call(console.desk.open, "web:s1", reason="payment_help", name="Ana Lopez", priority=0)
    page = console.client.get("/agent")
    assert page.status_code == 200
    assert "Ana Lopez" in page.text
    assert "payment_help" in page.text
    assert "chan-web" in page.text
    assert 'id="count-waiting">1<' in page.text


def test_urgent_tickets_come_first(console):
    console.call(console.desk.open, "web:a", name="Calm Carl")
    console.call(console.desk.open, "web:b", name="Urgent Una", priority=2)
    page = console.client.get("/agent").text
    assert page.index("Urgent Una") < page.index("Calm Carl")


def test_an_agent_claims_replies_notes_and_returns_a_ticket_to_the_bot(console):
    tid = console.call(console.desk.open)
    page = act(console, tid, "claim")
    assert "You took ticket" in page.text
    assert "held by <b>alice</b> (you)" in page.text
    page = act(console, tid, "reply", text="Hello Ana, I am here.")
    assert "Reply sent." in page.text
    assert "Hello Ana, I am here." in page.text
    page = act(console, tid, "note", text="VIP customer, be nice")
    assert "VIP customer, be nice" in page.text
    assert 'class="msg note"' in page.text
    page = act(console, tid, "return", flow="menu")
    assert "handed back to the bot" in page.text
    assert console.desk.returned == [(tid, "menu")]


def test_the_conversation_shows_the_customer_context(console):
    tid = console.call(console.desk.open, "web:ctx", name="Ana Lopez")
    page = console.client.get(f"/agent/tickets/{tid}").text
    assert "A-1001" in page  # orders
    assert "main_menu" in page and "topic" in page  # flow position
    assert "web:ctx" in page
    page = act(console, tid, "claim").text
    assert '<option value="menu">menu</option>' in page  # return-to-bot flows
    assert '<option value="bob">Bob Jones</option>' in page  # transfer targets


def test_two_agents_claiming_at_once_the_loser_sees_who_won(console):
    tid = console.call(console.desk.open)
    bob = second_agent(console)
    act(console, tid, "claim")
    page = act(console, tid, "claim", client=bob)
    assert f"Ticket #{tid} is already claimed by alice." in page.text


def test_acting_on_a_ticket_another_agent_holds_is_explained(console):
    tid = console.call(console.desk.open)
    act(console, tid, "claim")
    bob = second_agent(console)
    page = act(console, tid, "reply", client=bob, text="Hi, Bob here")
    assert "is held by alice" in page.text
    assert "Hi, Bob here" not in page.text.split('id="transcript"')[1]


def test_a_resolved_ticket_refuses_replies_clearly(console):
    tid = console.call(console.desk.open)
    act(console, tid, "claim")
    page = act(console, tid, "resolve")
    assert "resolved" in page.text
    page = act(console, tid, "reply", text="one more thing")
    assert "already closed" in page.text


def test_an_empty_reply_is_not_sent(console):
    tid = console.call(console.desk.open)
    act(console, tid, "claim")
    page = act(console, tid, "reply", text="   ")
    assert "it is empty" in page.text


def test_transfer_hands_the_ticket_to_another_agent(console):
    tid = console.call(console.desk.open)
    act(console, tid, "claim")
    page = act(console, tid, "transfer", to_agent="bob")
    assert "transferred to bob" in page.text
    bob = second_agent(console)
    page = act(console, tid, "reply", client=bob, text="Bob takes over")
    assert "Reply sent." in page.text


def test_transfer_to_nobody_is_explained(console):
    tid = console.call(console.desk.open)
    act(console, tid, "claim")
    page = act(console, tid, "transfer", to_agent="ghost")
    assert "Pick the agent" in page.text


def test_return_to_an_unknown_flow_is_explained(console):
    tid = console.call(console.desk.open)
    act(console, tid, "claim")
    page = act(console, tid, "return", flow="no_such_flow")
    assert "no flow named" in page.text


def test_an_unknown_ticket_page_says_so(console):
    page = console.client.get("/agent/tickets/999")
    assert page.status_code == 200
    assert "Ticket #999 does not exist." in page.text


def test_shop_text_is_escaped(console):
    tid = console.call(console.desk.open, "web:x", name="<script>alert(1)</script>")
    page = console.client.get(f"/agent/tickets/{tid}").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_partials_refresh_the_queue_and_the_conversation(console):
    tid = console.call(console.desk.open)
    assert "Ana Lopez" in console.client.get("/agent/partials/queue?view=waiting").text
    console.call(console.desk.shopper_says, tid, "are you there?")
    part = console.client.get(f"/agent/partials/tickets/{tid}")
    assert "are you there?" in part.text
    assert console.client.get("/agent/partials/tickets/77").status_code == 404


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
    tid = console.call(console.desk.open, "web:c", name="Ana Lopez")
    filled = client.get(f"/agent/tickets/{tid}/canned/{canned_id}")
    assert filled.text == "Hi Ana, Alice Smith here about A-1001."
    # edit
    client.post(
        "/agent/canned",
        data={"csrf_token": token, "id": canned_id, "title": "Greeting", "body": "Hello!"},
    )
    assert client.get(f"/agent/tickets/{tid}/canned/{canned_id}").text == "Hello!"
    # delete
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
    agents = console.client.app.state.agents
    cid = agents.save_canned(
        "Hooks", "Evil", "{{ ''.__class__.__mro__[1].__subclasses__() }}", "alice"
    )
    tid = console.call(console.desk.open)
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
    tid = console.call(console.desk.open)
    console.call(console.desk.open, "web:2")
    act(console, tid, "claim")
    page = console.client.get("/agent/metrics").text
    assert "Median wait seconds" in page
    assert "42s" in page
    assert "Waiting" in page


def test_without_a_desk_the_console_says_so(tmp_path):
    with TestClient(make_app(tmp_path)) as client:
        if getattr(client.app.state, "handoff", None) is not None:
            pytest.skip("this app starts a hand-off desk")
        add_agent(client, "alice")
        login(client)
        page = client.get("/agent")
        assert page.status_code == 503
        assert "hand-off desk is not running" in page.text

"""The console's JSON API: bearer tokens, the same rules as the pages, JSON errors."""

from __future__ import annotations

import pytest

from tests.support.console import Console, console_shop


@pytest.fixture
def console(tmp_path):
    with console_shop(tmp_path) as console:
        yield console


def bearer(console: Console, name: str = "alice") -> dict[str, str]:
    token = console.client.app.state.agents.new_token(name)
    return {"Authorization": f"Bearer {token}"}


def test_me_names_the_token_s_agent(console):
    assert console.client.get("/agent/api/me", headers=bearer(console)).json() == {
        "name": "alice",
        "display_name": "Alice Smith",
        "admin": False,
    }


def test_list_claim_reply_and_return(console):
    shopper, tid = console.ask_for_person("Ana")
    alice = bearer(console)
    c = console.client
    listed = c.get("/agent/api/tickets?state=waiting", headers=alice).json()["tickets"]
    assert [(t["id"], t["customer"], t["state"]) for t in listed] == [(tid, "Ana", "waiting")]
    assert listed[0]["reason"] == "asked for a person"
    claimed = c.post(f"/agent/api/tickets/{tid}/claim", headers=alice)
    assert claimed.status_code == 200
    assert claimed.json()["ticket"]["agent"] == "alice"
    assert c.post(
        f"/agent/api/tickets/{tid}/reply", json={"text": "Hi!"}, headers=alice
    ).json() == {"ok": True}
    assert (
        c.post(f"/agent/api/tickets/{tid}/note", json={"text": "n"}, headers=alice).status_code
        == 200
    )
    view = c.get(f"/agent/api/tickets/{tid}", headers=alice).json()
    assert [(line["author"], line["text"]) for line in view["lines"]][-2:] == [
        ("agent", "Hi!\n\n— Alice Smith"),  # signed with the agent's display name
        ("note", "n"),
    ]
    assert view["lines"][0]["author"] == "shopper"
    assert view["orders"][0]["number"] == "A-1001"
    mine = c.get("/agent/api/tickets?mine=true", headers=alice).json()["tickets"]
    assert [t["id"] for t in mine] == [tid]
    back = c.post(f"/agent/api/tickets/{tid}/return", json={"flow": "main_menu"}, headers=alice)
    assert back.json() == {"ok": True}
    assert console.view(tid).ticket.state == "returned"
    assert shopper.say("hi").texts


def test_a_second_claim_is_a_409_naming_the_holder(console):
    _, tid = console.ask_for_person()
    console.client.post(f"/agent/api/tickets/{tid}/claim", headers=bearer(console))
    response = console.client.post(
        f"/agent/api/tickets/{tid}/claim", headers=bearer(console, "bob")
    )
    assert response.status_code == 409
    assert response.json() == {
        "error": "TicketTaken",
        "detail": f"Ticket #{tid} is already claimed by alice.",
    }


def test_replying_to_someone_else_s_ticket_is_a_403(console):
    _, tid = console.ask_for_person()
    console.client.post(f"/agent/api/tickets/{tid}/claim", headers=bearer(console))
    response = console.client.post(
        f"/agent/api/tickets/{tid}/reply", json={"text": "me too"}, headers=bearer(console, "bob")
    )
    assert response.status_code == 403
    assert response.json()["error"] == "NotYourTicket"


def test_unknown_tickets_are_404(console):
    alice = bearer(console)
    for method, path, body in (
        ("GET", "/agent/api/tickets/99", None),
        ("POST", "/agent/api/tickets/99/claim", None),
        ("POST", "/agent/api/tickets/99/reply", {"text": "x"}),
        ("POST", "/agent/api/tickets/99/resolve", None),
    ):
        response = console.client.request(method, path, json=body, headers=alice)
        assert response.status_code == 404, path
        assert response.json()["error"] == "UnknownTicket"


def test_closed_tickets_are_409(console):
    _, tid = console.ask_for_person()
    alice = bearer(console)
    console.client.post(f"/agent/api/tickets/{tid}/claim", headers=alice)
    assert (
        console.client.post(f"/agent/api/tickets/{tid}/resolve", headers=alice).status_code == 200
    )
    response = console.client.post(
        f"/agent/api/tickets/{tid}/reply", json={"text": "x"}, headers=alice
    )
    assert response.status_code == 409
    assert "already closed" in response.json()["detail"]


def test_bad_bodies_are_422_not_500(console):
    _, tid = console.ask_for_person()
    alice = bearer(console)
    c = console.client
    assert (
        c.post(f"/agent/api/tickets/{tid}/reply", json={"text": ""}, headers=alice).status_code
        == 422
    )
    assert c.post(f"/agent/api/tickets/{tid}/reply", json={}, headers=alice).status_code == 422
    assert c.post(f"/agent/api/tickets/{tid}/reply", content=b"{", headers=alice).status_code == 422
    assert (
        c.post(
            f"/agent/api/tickets/{tid}/reply", json={"text": "x" * 4001}, headers=alice
        ).status_code
        == 422
    )
    assert c.get("/agent/api/tickets?state=bogus", headers=alice).status_code == 422
    assert c.post("/agent/api/tickets/abc/claim", headers=alice).status_code == 404
    assert c.post(f"/agent/api/tickets/{'9' * 20}/claim", headers=alice).status_code == 404
    assert c.get(f"/agent/api/tickets/{'9' * 20}", headers=alice).status_code == 404
    assert c.get("/agent/api/tickets/²", headers=alice).status_code == 404
    deep = b'{"text": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    refused = c.post(f"/agent/api/tickets/{tid}/reply", content=deep, headers=alice)
    assert refused.status_code in (400, 422)
    assert set(refused.json()) == {"error", "detail"}


def test_unknown_flow_and_unknown_transfer_target(console):
    _, tid = console.ask_for_person()
    alice = bearer(console)
    c = console.client
    c.post(f"/agent/api/tickets/{tid}/claim", headers=alice)
    response = c.post(f"/agent/api/tickets/{tid}/return", json={"flow": "nope"}, headers=alice)
    assert response.status_code == 422
    assert response.json()["error"] == "UnknownFlow"
    response = c.post(
        f"/agent/api/tickets/{tid}/transfer", json={"to_agent": "ghost"}, headers=alice
    )
    assert response.status_code == 404
    response = c.post(f"/agent/api/tickets/{tid}/transfer", json={"to_agent": "bob"}, headers=alice)
    assert response.status_code == 200
    assert console.view(tid).ticket.agent == "bob"


def test_canned_responses_over_the_api(console):
    alice = bearer(console)
    c = console.client
    created = c.post(
        "/agent/api/canned",
        json={"title": "Hi", "body": "Hi {{ customer.first_name }}, order {{ order.number }}"},
        headers=alice,
    )
    assert created.status_code == 201
    cid = created.json()["id"]
    assert (
        c.post("/agent/api/canned", json={"title": "Hi", "body": "x"}, headers=alice).status_code
        == 409
    )
    assert (
        c.post("/agent/api/canned", json={"title": "B", "body": "{{ x"}, headers=alice).status_code
        == 422
    )
    _, tid = console.ask_for_person("Ana")
    rendered = c.get(f"/agent/api/canned/{cid}/render?ticket={tid}", headers=alice).json()
    assert rendered == {"text": "Hi Ana, order A-1001", "template_error": None}
    assert (
        c.put(f"/agent/api/canned/{cid}", json={"title": "Hi", "body": "Yo"}, headers=alice).json()[
            "body"
        ]
        == "Yo"
    )
    assert [i["title"] for i in c.get("/agent/api/canned", headers=alice).json()["canned"]] == [
        "Hi"
    ]
    assert c.delete(f"/agent/api/canned/{cid}", headers=alice).status_code == 200
    assert c.delete(f"/agent/api/canned/{cid}", headers=alice).status_code == 404
    assert (
        c.put("/agent/api/canned/999", json={"title": "Z", "body": "z"}, headers=alice).status_code
        == 404
    )


def test_metrics_over_the_api(console):
    console.ask_for_person()
    body = console.client.get("/agent/api/metrics", headers=bearer(console)).json()
    assert body["waiting_now"] == 1


def test_a_deactivated_agent_s_token_stops_working(console):
    alice = bearer(console)
    console.client.app.state.agents.deactivate("alice")
    assert console.client.get("/agent/api/me", headers=alice).status_code == 401


def test_every_bad_body_gets_the_documented_error_shape(console):
    _, tid = console.ask_for_person()
    alice = bearer(console)
    c = console.client
    for sent in (
        {"content": b"{"},  # malformed JSON
        {"content": b"[1, 2]"},
        {"json": {}},
        {"json": {"text": ""}},
    ):
        answer = c.post(f"/agent/api/tickets/{tid}/reply", headers=alice, **sent)
        assert answer.status_code == 422
        body = answer.json()
        assert set(body) == {"error", "detail"} and body["error"] == "bad_request", body
        assert isinstance(body["detail"], str) and body["detail"]
    as_json = {**alice, "content-type": "application/json"}
    broken = c.post(f"/agent/api/tickets/{tid}/reply", headers=as_json, content=b'{"text": ')
    assert broken.status_code == 422 and "not JSON" in broken.json()["detail"]
    assert set(c.get("/agent/api/tickets?state=bogus", headers=alice).json()) == {
        "error",
        "detail",
    }


def test_a_canned_response_reads_well_without_the_shoppers_name(console):
    alice = bearer(console)
    c = console.client
    made = c.post(
        "/agent/api/canned",
        json={"title": "Hi", "body": "Hi {{ customer.first_name }}, this is {{ agent.name }}."},
        headers=alice,
    ).json()["id"]
    fallback = c.post(
        "/agent/api/canned",
        json={"title": "Hey", "body": 'Hi {{ customer.first_name | default("there") }}!'},
        headers=alice,
    ).json()["id"]
    _, tid = console.ask_for_person("")  # a shopper whose channel gave no name
    said = c.get(f"/agent/api/canned/{made}/render?ticket={tid}", headers=alice).json()
    assert said["text"] == "Hi, this is Alice Smith."
    said = c.get(f"/agent/api/canned/{fallback}/render?ticket={tid}", headers=alice).json()
    assert said["text"] == "Hi there!"

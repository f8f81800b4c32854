"""The console's JSON API: bearer tokens, the same rules as the pages, JSON errors."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support.console import Console, add_agent, install_desk, make_app


@pytest.fixture
def console(tmp_path):
    with TestClient(make_app(tmp_path)) as client:
        desk = install_desk(client)
        add_agent(client, "alice", "Alice Smith")
        add_agent(client, "bob", "Bob Jones")
        yield Console(client, desk)


def bearer(console: Console, name: str = "alice") -> dict[str, str]:
    token = console.client.app.state.agents.new_token(name)
    return {"Authorization": f"Bearer {token}"}


def test_me_names_the_token_s_agent(console):
    assert console.client.get("/agent/api/me", headers=bearer(console)).json() == {
        "name": "alice",
        "display_name": "Alice Smith",
    }


def test_list_claim_reply_and_return(console):
    tid = console.call(console.desk.open, "web:s", name="Ana")
    alice = bearer(console)
    c = console.client
    listed = c.get("/agent/api/tickets?state=waiting", headers=alice).json()["tickets"]
    assert [(t["id"], t["customer"], t["state"]) for t in listed] == [(tid, "Ana", "waiting")]
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
        ("agent", "Hi!"),
        ("note", "n"),
    ]
    assert view["orders"][0]["number"] == "A-1001"
    mine = c.get("/agent/api/tickets?mine=true", headers=alice).json()["tickets"]
    assert [t["id"] for t in mine] == [tid]
    assert c.post(f"/agent/api/tickets/{tid}/return", json={"flow": "menu"}, headers=alice).json()[
        "ok"
    ]
    assert console.desk.returned == [(tid, "menu")]


def test_a_second_claim_is_a_409_naming_the_holder(console):
    tid = console.call(console.desk.open)
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
    tid = console.call(console.desk.open)
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
    tid = console.call(console.desk.open)
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
    tid = console.call(console.desk.open)
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
    assert c.post("/agent/api/tickets/abc/claim", headers=alice).status_code == 422


def test_unknown_flow_and_unknown_transfer_target(console):
    tid = console.call(console.desk.open)
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
    assert console.call(lambda: console.desk._tickets[tid].agent) == "bob"


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
    tid = console.call(console.desk.open, "web:q", name="Ana Lopez")
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
    console.call(console.desk.open)
    body = console.client.get("/agent/api/metrics", headers=bearer(console)).json()
    assert body["waiting"] == 1


def test_a_deactivated_agent_s_token_stops_working(console):
    alice = bearer(console)
    console.client.app.state.agents.deactivate("alice")
    assert console.client.get("/agent/api/me", headers=alice).status_code == 401

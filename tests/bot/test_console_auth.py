"""Agent console security: logins, the rate limit, CSRF, expiry, and strangers kept out."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.support.console import PASSWORD, console_shop, login, page_csrf


@pytest.fixture
def console(tmp_path):
    with console_shop(tmp_path) as console:
        yield console


def https_client(console) -> TestClient:
    """A second browser on the same running app, reaching it over https."""
    client = TestClient(console.client.app, base_url="https://console.example")
    client.portal = console.client.portal
    return client


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_a_stranger_gets_nothing_under_agent(console):
    client = console.client
    checked = 0
    # The OpenAPI document lists every route the app serves (FastAPI's route objects differ
    # between versions); the console adds no route outside it.
    for path, operations in client.app.openapi()["paths"].items():
        if not path.startswith("/agent") or path == "/agent/login":
            continue
        for method in operations:
            response = client.request(method.upper(), _concrete(path), follow_redirects=False)
            checked += 1
            where = f"{method} {path}"
            if path.startswith("/agent/api"):
                assert response.status_code == 401, where
                assert response.json()["error"] == "unauthorized", where
                assert response.headers["www-authenticate"] == "Bearer"
            elif path.startswith(("/agent/partials", "/agent/events")):
                assert response.status_code == 401, where
            else:
                assert response.status_code == 303, where
                assert response.headers["location"].startswith("/agent/login"), where
    assert checked >= 25


def test_a_made_up_bearer_token_is_refused(console):
    response = console.client.get(
        "/agent/api/tickets", headers={"Authorization": "Bearer sca_nope"}
    )
    assert response.status_code == 401
    assert "unknown" in response.json()["detail"]


def test_the_right_password_opens_a_session_with_a_safe_cookie(console):
    response = login(console.client)
    assert response.status_code == 303
    assert response.headers["location"] == "/agent"
    cookie = response.headers["set-cookie"]
    assert "shopchat_agent=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # plain http in tests; https or the setting turns it on
    page = console.client.get("/agent")
    assert page.status_code == 200
    assert "Alice Smith" in page.text


def test_the_cookie_is_secure_over_https(console):
    response = login(https_client(console))
    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"]


def test_the_secure_flag_follows_the_setting(console):
    settings = console.client.app.state.settings
    settings.console_secure_cookie = False  # TLS ends elsewhere and the app cannot tell
    assert "Secure" not in login(https_client(console)).headers["set-cookie"]
    settings.console_secure_cookie = True
    assert "Secure" in console.client.get("/agent/login").headers["set-cookie"]


def test_a_wrong_password_is_refused_with_a_clear_message(console):
    response = login(console.client, password="not the password")
    assert response.status_code == 401
    assert "Wrong name or password" in response.text
    assert "shopchat_agent=" not in response.headers.get("set-cookie", "")
    assert console.client.get("/agent", follow_redirects=False).status_code == 303


def test_an_unknown_name_reads_the_same_as_a_wrong_password(console):
    response = login(console.client, name="mallory")
    assert response.status_code == 401
    assert "Wrong name or password" in response.text


def test_five_wrong_passwords_pause_the_account(console):
    for _ in range(5):
        assert login(console.client, password="guess guess guess").status_code == 401
    response = login(console.client)  # even the right one, while paused
    assert response.status_code == 429
    assert "Too many wrong passwords" in response.text
    # After the window it works again.
    console.shop.clock.advance(minutes=16)
    assert login(console.client).status_code == 303


def test_many_wrong_passwords_from_one_address_pause_it_for_every_name(console):
    for i in range(20):
        login(console.client, name=f"someone{i}", password="guess guess guess")
    assert login(console.client).status_code == 429


def test_a_form_without_the_csrf_token_is_refused(console):
    _, tid = console.ask_for_person()
    login(console.client)
    response = console.client.post(f"/agent/tickets/{tid}/claim", data={}, follow_redirects=False)
    assert response.status_code == 403
    assert "not sent from the agent console" in response.text
    assert console.view(tid).ticket.state == "waiting"


def test_a_stale_csrf_token_is_refused(console):
    _, tid = console.ask_for_person()
    login(console.client)
    response = console.client.post(
        f"/agent/tickets/{tid}/claim", data={"csrf_token": "forged"}, follow_redirects=False
    )
    assert response.status_code == 403


def test_a_cross_site_post_is_refused_even_with_the_token(console):
    _, tid = console.ask_for_person()
    login(console.client)
    token = page_csrf(console.client)
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        response = console.client.post(
            f"/agent/tickets/{tid}/claim",
            data={"csrf_token": token},
            headers=headers,
            follow_redirects=False,
        )
        assert response.status_code == 403, headers
    assert console.view(tid).ticket.state == "waiting"


def test_a_login_post_without_the_login_form_is_refused(console):
    response = console.client.post(
        "/agent/login", data={"name": "alice", "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403


def test_an_expired_session_goes_back_to_login_with_a_message(console):
    login(console.client)
    console.shop.clock.advance(hours=9)
    response = console.client.get("/agent/tickets/1", follow_redirects=False)
    assert response.status_code == 303
    location = response.headers["location"]
    assert "expired=1" in location
    assert "next=%2Fagent%2Ftickets%2F1" in location
    page = console.client.get(location)
    assert "Your session expired" in page.text


def test_using_the_console_slides_the_expiry(console):
    login(console.client)
    start = console.shop.clock.now
    for hours in (5, 10, 15):  # each visit within 8 hours of the last keeps it alive
        console.shop.clock.now = start + timedelta(hours=hours)
        assert console.client.get("/agent", follow_redirects=False).status_code == 200


def test_logout_ends_the_session(console):
    login(console.client)
    token = page_csrf(console.client)
    response = console.client.post(
        "/agent/logout", data={"csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303
    assert console.client.get("/agent", follow_redirects=False).status_code == 303


def test_after_login_the_agent_lands_where_they_were_going(console):
    page = console.client.get("/agent/canned")
    assert "/agent/canned" in page.text  # the next field
    response = console.client.post(
        "/agent/login",
        data={
            "name": "alice",
            "password": PASSWORD,
            "next": "/agent/canned",
            "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1),
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/agent/canned"


def test_next_cannot_send_the_agent_to_another_site(console):
    page = console.client.get("/agent/login?next=https://evil.example/")
    assert "evil.example" not in page.text


def test_a_deactivated_agent_is_logged_out(console):
    login(console.client)
    console.client.app.state.agents.deactivate("alice")
    assert console.client.get("/agent", follow_redirects=False).status_code == 303
    assert login(console.client).status_code == 401

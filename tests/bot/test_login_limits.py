"""The console's login rate limit under concurrency, behind proxies, and against lock-outs."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from bot.console.accounts import AgentStore, LoginLimits
from bot.storage import SessionStore
from tests.support.console import PASSWORD, console_shop, login


def test_concurrent_guesses_cannot_slip_under_the_limit(store: SessionStore) -> None:
    """30 guesses at once for one account from one address: exactly 5 reach the password."""
    agents = AgentStore(store)
    agents.add("alice", PASSWORD, "Alice")
    limits = LoginLimits(per_pair=5, per_ip=20)
    with ThreadPoolExecutor(10) as pool:
        tickets = list(
            pool.map(lambda _: agents.reserve_login("alice", "1.2.3.4", limits), range(30))
        )
    assert sum(not t.refused for t in tickets) == 5
    assert all(t.retry_after == limits.window for t in tickets if t.refused)


def test_a_successful_login_does_not_count_as_a_failure(store: SessionStore) -> None:
    agents = AgentStore(store)
    limits = LoginLimits(per_pair=2)
    for _ in range(10):
        ticket = agents.reserve_login("alice", "1.2.3.4", limits)
        assert not ticket.refused
        agents.login_succeeded(ticket)


@pytest.fixture
def console(tmp_path):
    with console_shop(tmp_path) as console:
        yield console


def client_at(console, address: str) -> TestClient:
    """Another browser on the same running app, connecting from ``address``."""
    client = TestClient(console.client.app, client=(address, 40000))
    client.portal = console.client.portal
    return client


def test_thirty_concurrent_wrong_passwords_are_not_all_checked(console):
    # One browser each (their own login-form cookies), all from one address.
    browsers = [client_at(console, "203.0.113.9") for _ in range(30)]
    with ThreadPoolExecutor(8) as pool:
        codes = list(
            pool.map(lambda b: login(b, password="guess guess guess").status_code, browsers)
        )
    assert codes.count(401) == 5
    assert codes.count(429) == 25


def test_a_guesser_cannot_lock_the_agent_out(console):
    attacker = client_at(console, "203.0.113.9")
    for _ in range(5):
        assert login(attacker, password="guess guess guess").status_code == 401
    refused = login(attacker)  # even the right password, from the guesser's address
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 60

    console.shop.clock.advance(seconds=3)
    office = client_at(console, "198.51.100.7")
    assert login(office).status_code == 303  # the real agent, from her own address


def test_guesses_spread_over_many_addresses_are_slowed_down(console):
    clock = console.shop.clock
    start = clock.now
    for i in range(12):  # a patient guesser: one try a minute, each from a new address
        clock.now = start + timedelta(seconds=61 * i)
        assert (
            login(client_at(console, f"192.0.2.{i}"), password="guess guess guess").status_code
            == 401
        )
    # 12 failures for alice from 12 addresses: the next try anywhere must wait, and the
    # wait grows with the failures (2**(n-5) seconds, at most a minute).
    slowed = login(client_at(console, "192.0.2.200"), password="guess guess guess")
    assert slowed.status_code == 429
    assert 30 <= int(slowed.headers["retry-after"]) <= 60
    clock.advance(seconds=61)
    assert login(client_at(console, "192.0.2.201")).status_code == 303


def test_x_forwarded_for_from_a_stranger_is_ignored(console):
    # Rotating X-Forwarded-For does not give a guesser fresh addresses...
    for i in range(20):
        login(
            console.client,
            name=f"someone{i}",
            password="guess guess guess",
            **{"X-Forwarded-For": f"10.0.0.{i}"},
        )
    assert login(console.client, **{"X-Forwarded-For": "10.9.9.9"}).status_code == 429


def test_x_forwarded_for_from_a_trusted_proxy_names_the_client(console):
    console.client.app.state.settings.trusted_proxies = ["testclient"]
    for i in range(20):
        login(
            console.client,
            name=f"someone{i}",
            password="guess guess guess",
            **{"X-Forwarded-For": "10.0.0.1"},
        )
    # The proxy's other clients are not paused with the guesser.
    assert login(console.client, **{"X-Forwarded-For": "10.0.0.2"}).status_code == 303
    assert login(console.client, **{"X-Forwarded-For": "10.0.0.1"}).status_code == 429


def test_the_trusted_proxies_setting_reads_a_comma_separated_list(monkeypatch):
    from bot.settings import Settings

    monkeypatch.setenv("SHOPCHAT_TRUSTED_PROXIES", "10.0.0.2, 10.1.0.0/16")
    assert Settings().trusted_proxies == ["10.0.0.2", "10.1.0.0/16"]


def test_shopchat_serve_ignores_x_forwarded_for_from_localhost(tmp_path):
    """uvicorn trusts X-Forwarded-For from 127.0.0.1 unless told not to; shopchat tells it."""
    import re
    import subprocess
    import sys
    import textwrap

    import httpx

    from tests.test_durability import free_port, start_server

    project = tmp_path / "shop"
    (project / "flows").mkdir(parents=True)
    (project / "shop.yaml").write_text("name: Proxy Shop\nstart_flow: hello\n")
    (project / "flows" / "hello.yaml").write_text(
        textwrap.dedent("""\
            triggers: {keywords: {en: [hi]}}
            steps:
              - say: Hello
            """)
    )
    subprocess.run(
        [sys.executable, "-c", "from bot.cli import main; main()", "agent", "add", "alice"]
        + ["--password-stdin", "--project", str(project)],
        input=PASSWORD + "\n",
        text=True,
        check=True,
        capture_output=True,
    )
    port = free_port()
    proc = start_server(project, port, {"SHOPCHAT_CONSOLE_LOGIN_ATTEMPTS_PER_IP": "3"})
    try:
        codes = []
        for i in range(4):
            with httpx.Client(base_url=f"http://127.0.0.1:{port}") as browser:
                page = browser.get("/agent/login")
                token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
                assert token is not None
                answer = browser.post(
                    "/agent/login",
                    data={"name": f"guess{i}", "password": "x" * 12, "csrf_token": token[1]},
                    headers={"X-Forwarded-For": f"10.0.0.{i}"},
                )
                codes.append(answer.status_code)
        assert codes == [401, 401, 401, 429]
    finally:
        proc.kill()
        proc.wait()

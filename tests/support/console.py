"""Helpers for console tests: an app with a fake hand-off desk, agents, logging in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

from bot.app import create_app
from bot.settings import Settings
from tests.support.fake_desk import FakeDesk
from tests.test_webhooks import make_project

PASSWORD = "correct horse battery"


@dataclass
class Console:
    client: TestClient
    desk: FakeDesk

    def call(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        """Run a desk helper on the app's event loop (the desk is not thread-safe)."""

        async def run():  # type: ignore[no-untyped-def]
            return fn(*args, **kwargs)

        return self.client.portal.call(run)


def console_settings(tmp_path: Path, **extra) -> Settings:  # type: ignore[no-untyped-def]
    return Settings(_env_file=None, database_url=f"sqlite:///{tmp_path}/console.db", **extra)


def make_app(tmp_path: Path, **extra):  # type: ignore[no-untyped-def]
    tmp_path.mkdir(parents=True, exist_ok=True)
    return create_app(make_project(tmp_path), console_settings(tmp_path, **extra), typing_delay=60)


def install_desk(client: TestClient, *, push: bool = False) -> FakeDesk:
    """A fake desk on the app; with ``push`` replies reach the shopper through the service."""
    state = client.app.state  # type: ignore[attr-defined]
    desk = FakeDesk(state.service if push else None, set(state.project.flows))
    state.handoff = desk
    return desk


def add_agent(client: TestClient, name: str = "alice", display: str | None = None) -> None:
    client.app.state.agents.add(name, PASSWORD, display or name.capitalize())  # type: ignore[attr-defined]


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def login(client: TestClient, name: str = "alice", password: str = PASSWORD, **headers):  # type: ignore[no-untyped-def]
    page = client.get("/agent/login")
    return client.post(
        "/agent/login",
        data={"name": name, "password": password, "csrf_token": csrf_of(page.text)},
        headers=headers,
        follow_redirects=False,
    )


def page_csrf(client: TestClient, path: str = "/agent") -> str:
    return csrf_of(client.get(path).text)

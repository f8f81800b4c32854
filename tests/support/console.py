"""The demo shop with the hand-off desk and two console agents, for the console's tests.

Shoppers are Telegram users (tests/support/channels.py); asking for a person opens a real
ticket on the real desk. The shop's context provider is a fake with one order and a cart.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from bot.handoff import HandoffDesk, TicketView
from tests.handoff_support import running_shop
from tests.support.channels import Shop, TelegramShopper, settle

PASSWORD = "correct horse battery"
ORDER = {"number": "A-1001", "status": "shipped", "total": "129.00 PLN"}


class ShopContext:
    """What checkout would tell the agent about a shopper."""

    def context(self, conversation_id: str) -> dict[str, Any]:
        return {"orders": [ORDER], "cart": ["Wooden train set × 1"]}


class Console:
    def __init__(self, shop: Shop) -> None:
        self.shop = shop
        self.client: TestClient = shop.client
        self.desk: HandoffDesk = shop.client.app.state.handoff
        self._chats = iter(range(5000, 6000))

    def call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a desk coroutine on the app's event loop."""
        return self.client.portal.call(lambda: fn(*args, **kwargs))

    def ask_for_person(self, first_name: str = "Ana") -> tuple[TelegramShopper, int]:
        """A Telegram shopper who says hi, then asks for a person: their waiting ticket."""
        shopper = self.shop.telegram(first_name=first_name, chat_id=next(self._chats))
        shopper.say("hi")
        shopper.say("human")
        settle(self.client)
        cid = f"telegram:{shopper.chat_id}"
        tickets = [t for t in self.call(self.desk.tickets) if t.conversation_id == cid]
        assert tickets, f"no ticket for {cid}"
        return shopper, tickets[0].id

    def view(self, ticket_id: int) -> TicketView:
        return self.call(self.desk.ticket, ticket_id)  # type: ignore[no-any-return]


@contextlib.contextmanager
def console_shop(tmp_path: Path, **settings: Any) -> Iterator[Console]:
    """The running demo shop with agents alice (Alice Smith) and bob (Bob Jones)."""
    with running_shop(tmp_path, handoff_context=ShopContext()) as shop:
        for name, value in settings.items():
            setattr(shop.client.app.state.settings, name, value)
        agents = shop.client.app.state.agents
        agents.add("alice", PASSWORD, "Alice Smith")
        agents.add("bob", PASSWORD, "Bob Jones")
        yield Console(shop)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def login(client: TestClient, name: str = "alice", password: str = PASSWORD, **headers: str) -> Any:
    page = client.get("/agent/login")
    return client.post(
        "/agent/login",
        data={"name": name, "password": password, "csrf_token": csrf_of(page.text)},
        headers=headers,
        follow_redirects=False,
    )


def page_csrf(client: TestClient, path: str = "/agent") -> str:
    return csrf_of(client.get(path).text)

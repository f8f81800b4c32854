"""An agent is online while a console tab is open, without flapping between pages."""

from __future__ import annotations

import asyncio

from bot.console.events import Presence


class Desk:
    def __init__(self) -> None:
        self.said: list[tuple[str, bool]] = []

    async def set_online(self, agent: str, online: bool) -> None:
        self.said.append((agent, online))


async def test_going_from_page_to_page_does_not_flap():
    desk, presence = Desk(), Presence(grace=0.05)
    await presence.enter(desk, "alice")  # type: ignore[arg-type]
    await presence.leave(desk, "alice")  # type: ignore[arg-type]
    await presence.enter(desk, "alice")  # the next page, within the grace
    await asyncio.sleep(0.1)
    assert desk.said == [("alice", True)]


async def test_the_last_tab_closing_takes_the_agent_offline_after_the_grace():
    desk, presence = Desk(), Presence(grace=0.05)
    await presence.enter(desk, "alice")  # type: ignore[arg-type]
    await presence.enter(desk, "alice")  # type: ignore[arg-type]  # a second tab
    await presence.leave(desk, "alice")  # type: ignore[arg-type]
    await asyncio.sleep(0.1)
    assert desk.said == [("alice", True)]
    await presence.leave(desk, "alice")  # type: ignore[arg-type]
    assert desk.said == [("alice", True)]
    await asyncio.sleep(0.1)
    assert desk.said == [("alice", True), ("alice", False)]

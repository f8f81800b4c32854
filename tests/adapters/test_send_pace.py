"""adapters/pace.py: one call in flight per conversation, the platforms' rate limits, and
lanes that a few stuck chats cannot fill."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from adapters.base import OutboundCall
from adapters.pace import Gcra, Pace, PaceLimits, Rate
from adapters.telegram import TelegramSender


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_a_burst_goes_at_once_then_one_call_per_interval() -> None:
    gcra = Gcra(Rate(1.0, burst=4))
    delays = [gcra.reserve("chat", 0.0) for _ in range(6)]
    assert delays == [0.0, 0.0, 0.0, 0.0, 1.0, 2.0]
    assert gcra.reserve("other chat", 0.0) == 0.0  # each chat has its own bucket
    assert gcra.reserve("chat", 10.0) == 0.0  # a quiet chat's bucket drains


def test_drained_keys_are_forgotten() -> None:
    gcra = Gcra(Rate(10.0), remember=100)
    for n in range(1000):
        gcra.reserve(f"chat {n}", float(n))
    assert len(gcra._tat) <= 100


def test_a_rate_needs_a_positive_rate() -> None:
    with pytest.raises(ValueError, match="per_second > 0"):
        Rate(0)


def test_telegram_messages_to_one_chat_wait_past_the_burst_but_typing_does_not() -> None:
    clock = FakeClock()
    pace = Pace(TelegramSender.limits, clock=clock, sleep=clock.sleep)
    sender = TelegramSender(
        httpx.AsyncClient(
            transport=httpx.MockTransport(lambda r: httpx.Response(200, json={"ok": True}))
        ),
        "123:ABC",
        pace=pace,
    )

    async def scenario() -> None:
        for _ in range(6):
            assert (await sender.send(OutboundCall("sendMessage", {"chat_id": 1}, "t:1"))).ok
        for _ in range(6):
            await sender.send(OutboundCall("sendChatAction", {"chat_id": 1}, "t:1"))

    asyncio.run(scenario())
    # Four at once, then one a second: Telegram's "about one message a second" to a chat.
    assert clock.slept == [1.0, 1.0]


def test_rate_limits_can_be_turned_off() -> None:
    clock = FakeClock()
    pace = Pace(TelegramSender.limits, rate_limits=False, clock=clock, sleep=clock.sleep)

    async def scenario() -> None:
        for _ in range(50):
            await pace.call("t:1", lambda: asyncio.sleep(0))

    asyncio.run(scenario())
    assert clock.slept == []


def test_overall_rate_spreads_many_chats() -> None:
    clock = FakeClock()
    pace = Pace(PaceLimits(overall=Rate(30.0, burst=30)), clock=clock, sleep=clock.sleep)

    async def scenario() -> None:
        for chat in range(60):
            await pace.call(f"t:{chat}", lambda: asyncio.sleep(0))

    asyncio.run(scenario())
    assert len(clock.slept) == 30  # the first 30 at once, then one every 1/30 s
    assert clock.now == pytest.approx(1.0)


def test_one_call_in_flight_per_conversation() -> None:
    pace = Pace(PaceLimits(), rate_limits=False)
    running: dict[str, int] = {}
    most: dict[str, int] = {}

    async def send(chat: str) -> None:
        await pace.turn(chat)
        try:

            async def attempt() -> None:
                running[chat] = running.get(chat, 0) + 1
                most[chat] = max(most.get(chat, 0), running[chat])
                await asyncio.sleep(0)
                running[chat] -= 1

            await pace.call(chat, attempt)
        finally:
            pace.done(chat)

    async def scenario() -> None:
        await asyncio.gather(*(send(f"t:{n % 3}") for n in range(30)))
        assert pace.conversations == 0  # nothing kept for quiet conversations

    asyncio.run(scenario())
    assert most == {"t:0": 1, "t:1": 1, "t:2": 1}


def test_a_conversations_turns_go_in_order_and_a_cancelled_waiter_passes_its_turn_on() -> None:
    pace = Pace(PaceLimits(), rate_limits=False)
    order: list[str] = []

    async def holder(name: str, hold: asyncio.Event | None = None) -> None:
        await pace.turn("t:1")
        try:
            order.append(name)
            if hold is not None:
                await hold.wait()
        finally:
            pace.done("t:1")

    async def scenario() -> None:
        hold = asyncio.Event()
        first = asyncio.create_task(holder("first", hold))
        await asyncio.sleep(0)
        waiters = [asyncio.create_task(holder(name)) for name in ("a", "b", "c", "d")]
        await asyncio.sleep(0)
        waiters[1].cancel()  # "b" gives up while waiting
        await asyncio.sleep(0)
        hold.set()
        # "a" is handed the turn; cancelled before it runs, it must pass the turn on to "c"
        await asyncio.sleep(0)
        waiters[0].cancel()
        await asyncio.gather(first, *waiters, return_exceptions=True)
        assert pace.conversations == 0

    asyncio.run(scenario())
    assert order[0] == "first"
    assert "b" not in order
    assert order[-2:] == ["c", "d"]


def test_stuck_chats_move_to_the_slow_lane_and_a_healthy_chat_still_goes() -> None:
    pace = Pace(PaceLimits(fast=4, slow=8, slow_after=0.01), rate_limits=False)

    async def scenario() -> None:
        stuck = asyncio.Event()
        hung = [asyncio.create_task(pace.call(f"t:stuck{n}", stuck.wait)) for n in range(4 + 8)]
        await asyncio.sleep(0.05)
        # Every fast slot was taken by a stuck chat; eight moved to the slow lane.
        assert pace.in_slow_lane == 8
        healthy = asyncio.create_task(pace.call("t:healthy", lambda: asyncio.sleep(0)))
        done, _ = await asyncio.wait({healthy}, timeout=0.2)
        # The slow lane is full too: four stuck chats hold the fast lane, so the limit is
        # fast + slow stuck chats, not fast.
        assert not done
        stuck.set()
        await asyncio.gather(healthy, *hung)
        assert pace.in_slow_lane == 0

    asyncio.run(scenario())


def test_sixteen_stuck_chats_do_not_hold_up_another_chat() -> None:
    pace = Pace(PaceLimits(fast=16, slow=48, slow_after=0.01), rate_limits=False)
    order: list[str] = []

    async def scenario() -> None:
        stuck = asyncio.Event()
        hung = [asyncio.create_task(pace.call(f"t:stuck{n}", stuck.wait)) for n in range(16)]
        await asyncio.sleep(0)
        healthy = asyncio.create_task(pace.call("t:ok", lambda: asyncio.sleep(0)))
        healthy.add_done_callback(lambda _t: order.append("healthy"))
        await asyncio.wait_for(asyncio.shield(healthy), timeout=5)
        order.append("released")
        stuck.set()
        await asyncio.gather(*hung)
        # A chat that was slow starts in the slow lane next time.
        await pace.call("t:stuck0", lambda: asyncio.sleep(0))

    asyncio.run(scenario())
    assert order == ["healthy", "released"]


def test_lanes_must_be_sensible() -> None:
    with pytest.raises(ValueError, match="fast >= 1"):
        Pace(PaceLimits(fast=0))

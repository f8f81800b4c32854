"""Dispatcher behaviour: per-conversation order, cross-conversation concurrency, resilience."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict

import pytest

from bot.dispatcher import Dispatcher
from bot.logsafe import conversation_ref

# A guard against a hung test, never a measure of speed: every wait here resolves by events.
DEADLOCK_GUARD_S = 5


async def settle() -> None:
    """Let every ready task run until it blocks."""
    for _ in range(20):
        await asyncio.sleep(0)


async def test_each_conversation_sees_its_events_in_submission_order() -> None:
    seen: defaultdict[str, list[int]] = defaultdict(list)
    running: set[str] = set()
    rng = random.Random(7)

    async def handler(conversation_id: str, n: int) -> None:
        assert conversation_id not in running, "two events of one conversation at once"
        running.add(conversation_id)
        for _ in range(rng.randint(0, 3)):  # interleave conversations differently each event
            await asyncio.sleep(0)
        seen[conversation_id].append(n)
        running.discard(conversation_id)

    dispatcher: Dispatcher[int] = Dispatcher(handler, max_concurrency=8)
    for n in range(50):
        for conversation in range(20):
            await dispatcher.submit(f"tg:{conversation}", n)
    await dispatcher.drain()

    assert seen == {f"tg:{conversation}": list(range(50)) for conversation in range(20)}


async def test_two_conversations_are_handled_at_the_same_time() -> None:
    started = {"alice": asyncio.Event(), "bob": asyncio.Event()}
    other = {"alice": "bob", "bob": "alice"}

    async def handler(conversation_id: str, _: str) -> None:
        started[conversation_id].set()
        # Finishes only once the other conversation has started too: proves they overlap.
        await started[other[conversation_id]].wait()

    dispatcher: Dispatcher[str] = Dispatcher(handler)
    await dispatcher.submit("alice", "hi")
    await dispatcher.submit("bob", "hello")

    await asyncio.wait_for(dispatcher.drain(), DEADLOCK_GUARD_S)


async def test_no_more_than_max_concurrency_handlers_run() -> None:
    gate = asyncio.Event()
    running = 0
    peak = 0

    async def handler(_: str, __: str) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await gate.wait()
        running -= 1

    dispatcher: Dispatcher[str] = Dispatcher(handler, max_concurrency=3)
    for conversation in range(10):
        await dispatcher.submit(f"wa:{conversation}", "hi")
    await settle()
    assert running == 3

    gate.set()
    await dispatcher.drain()
    assert (peak, running) == (3, 0)


async def test_a_failing_event_is_logged_and_the_next_one_still_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handled: list[str] = []

    async def handler(conversation_id: str, text: str) -> None:
        if text == "boom":
            raise ValueError("bad input")
        handled.append(text)

    dispatcher: Dispatcher[str] = Dispatcher(handler)
    with caplog.at_level(logging.ERROR, logger="bot.dispatcher"):
        for text in ("hi", "boom", "still here"):
            await dispatcher.submit("tg:1", text)
        await dispatcher.drain()

    assert handled == ["hi", "still here"]
    [record] = caplog.records
    # Named by its reference: a conversation id can be a phone number (bot/logsafe.py).
    assert conversation_ref("tg:1") in record.getMessage()
    assert record.exc_info is not None and isinstance(record.exc_info[1], ValueError)


async def test_drain_waits_for_submitted_events() -> None:
    gate = asyncio.Event()
    handled: list[str] = []

    async def handler(_: str, text: str) -> None:
        await gate.wait()
        handled.append(text)

    dispatcher: Dispatcher[str] = Dispatcher(handler)
    await dispatcher.submit("tg:1", "hi")
    drained = asyncio.create_task(dispatcher.drain())
    await settle()
    assert not drained.done()

    gate.set()
    await asyncio.wait_for(drained, DEADLOCK_GUARD_S)
    assert handled == ["hi"]


async def test_drain_does_not_wait_for_events_submitted_after_it() -> None:
    first_gate, later_gate = asyncio.Event(), asyncio.Event()
    gates = {"early": first_gate, "late": later_gate}

    async def handler(_: str, text: str) -> None:
        await gates[text].wait()

    dispatcher: Dispatcher[str] = Dispatcher(handler)
    await dispatcher.submit("tg:1", "early")
    drained = asyncio.create_task(dispatcher.drain())
    await settle()
    await dispatcher.submit("tg:1", "late")
    await dispatcher.submit("tg:2", "late")

    first_gate.set()
    await asyncio.wait_for(drained, DEADLOCK_GUARD_S)
    assert dispatcher.active_conversations == 2

    later_gate.set()
    await dispatcher.close()


async def test_drain_with_nothing_submitted_returns() -> None:
    async def handler(_: str, __: str) -> None:
        raise AssertionError("never called")

    await asyncio.wait_for(Dispatcher(handler).drain(), DEADLOCK_GUARD_S)


async def test_close_finishes_pending_events_and_refuses_new_ones() -> None:
    handled: list[str] = []

    async def handler(_: str, text: str) -> None:
        await asyncio.sleep(0)
        handled.append(text)

    dispatcher: Dispatcher[str] = Dispatcher(handler)
    await dispatcher.submit("tg:1", "hi")
    await dispatcher.close()

    assert handled == ["hi"]
    with pytest.raises(RuntimeError, match="closed"):
        await dispatcher.submit("tg:1", "too late")


async def test_quiet_conversations_leave_nothing_behind() -> None:
    handled = 0

    async def handler(_: str, __: None) -> None:
        nonlocal handled
        await asyncio.sleep(0)
        handled += 1

    tasks_before = asyncio.all_tasks()
    dispatcher: Dispatcher[None] = Dispatcher(handler)
    for conversation in range(10_000):
        await dispatcher.submit(f"web:{conversation}", None)
    await dispatcher.drain()

    assert handled == 10_000
    assert dispatcher.active_conversations == 0
    assert asyncio.all_tasks() == tasks_before


def test_max_concurrency_must_allow_one_handler() -> None:
    async def handler(_: str, __: str) -> None: ...

    with pytest.raises(ValueError, match="at least 1"):
        Dispatcher(handler, max_concurrency=0)


async def test_an_event_stepped_out_for_slow_io_gives_its_slot_back_once() -> None:
    """One slot: an event waiting on I/O lets another conversation's event run, takes a slot
    again before going on, and the slot count is whole afterwards."""
    inside: set[str] = set()
    most_inside = 0
    io_done = asyncio.Event()
    order: list[str] = []

    async def handler(conversation_id: str, item: str) -> None:
        nonlocal most_inside
        inside.add(conversation_id)
        most_inside = max(most_inside, len(inside))
        if item == "slow":
            inside.discard(conversation_id)
            async with Dispatcher.stepped_out():
                await io_done.wait()
            inside.add(conversation_id)
            most_inside = max(most_inside, len(inside))
        await settle()  # room for another event to run alongside, if a slot let it
        order.append(f"{conversation_id}:{item}")
        inside.discard(conversation_id)

    dispatcher: Dispatcher[str] = Dispatcher(handler, max_concurrency=1)
    await dispatcher.submit("a", "slow")
    await settle()
    await dispatcher.submit("b", "quick")
    await asyncio.wait_for(_until(lambda: "b:quick" in order), DEADLOCK_GUARD_S)
    io_done.set()
    await asyncio.wait_for(dispatcher.drain(), DEADLOCK_GUARD_S)
    assert order == ["b:quick", "a:slow"]
    assert most_inside == 1  # outside stepped_out, never two events at once
    # The slot came back exactly once: one event at a time again, no more.
    for n in range(3):
        await dispatcher.submit(f"c{n}", "quick")
    await asyncio.wait_for(dispatcher.drain(), DEADLOCK_GUARD_S)
    assert most_inside == 1


async def _until(condition) -> None:  # type: ignore[no-untyped-def]
    while not condition():
        await asyncio.sleep(0)


async def test_stepping_out_outside_a_handler_does_nothing() -> None:
    async with Dispatcher.stepped_out():
        pass

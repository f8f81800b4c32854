"""Fair sending: one slow conversation never delays another's replies.

Every platform call goes through its sender's :class:`Pace`, in this order:

1. **The conversation's turn**: one call in flight per conversation, so its replies stay in
   order and a conversation whose calls hang holds nothing but its own place.
2. **Rate limits** (:class:`Gcra`): the platform's own, per conversation (Telegram: about one
   message a second to a chat, in bursts of 4) and per sender (Telegram about 30/s overall,
   WhatsApp 80/s per number, Messenger 300/s per Page). Waiting for them holds no slot.
3. **A lane**: ``fast`` calls in flight per platform (16), and a ``slow`` lane (48) that a
   call moves to once it has been in flight for ``slow_after`` seconds; a conversation whose
   last call was that slow starts in the slow lane. A handful of stuck chats (a chat whose
   calls hang until the timeout) so end up in the slow lane, and the fast lane stays free for
   everybody else: 16 hanging chats delay no healthy chat's reply
   (``tests/test_send_fairness.py``).

``SHOPCHAT_SEND_RATE_LIMITS=false`` turns the rate limits off (benchmarks against a local fake
API, tests); the lanes and the conversation's turn always apply.

The rate limiter is the generic cell rate algorithm, hand-written here: each key costs one
float (the theoretical arrival time), answers "how long until this call may go" (which the
caller sleeps, holding nothing), and keys of quiet conversations are dropped. ``limits``
answers only yes or no for a hit, and ``aiolimiter`` keeps one leaky-bucket object (with its
waiters) per key; neither reads an injected clock.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["Gcra", "Pace", "PaceLimits", "Rate"]

T = TypeVar("T")
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class Rate:
    """``per_second`` calls a second on average, up to ``burst`` of them back to back."""

    per_second: float
    burst: int = 1

    def __post_init__(self) -> None:
        if self.per_second <= 0 or self.burst < 1:
            raise ValueError(f"a rate needs per_second > 0 and burst >= 1, got {self}")


class Gcra:
    """The generic cell rate algorithm over string keys (one key: pass the same string)."""

    def __init__(self, rate: Rate, *, remember: int = 50_000) -> None:
        self.interval = 1.0 / rate.per_second
        self.tolerance = self.interval * (rate.burst - 1)
        self.remember = remember
        self._tat: dict[str, float] = {}  # theoretical arrival time of the next call, per key

    def reserve(self, key: str, now: float) -> float:
        """Book the next call for ``key``; return the seconds to wait before making it."""
        tat = self._tat.get(key, now)
        if tat < now:
            tat = now
        delay = tat - self.tolerance - now
        if len(self._tat) >= self.remember:
            # Keys whose bucket has drained hold nothing a newcomer would not have.
            self._tat = {k: t for k, t in self._tat.items() if t > now}
        self._tat[key] = tat + self.interval
        return delay if delay > 0 else 0.0


@dataclass(frozen=True)
class PaceLimits:
    """A platform's limits: per conversation, per sender (None: none), lanes."""

    per_conversation: Rate | None = None
    overall: Rate | None = None
    fast: int = 16
    slow: int = 48
    slow_after: float = 1.0


class _Lanes:
    """``fast`` slots that callers wait for, and ``slow`` slots a long call moves to."""

    def __init__(self, fast: int, slow: int) -> None:
        self.fast = asyncio.Semaphore(fast)
        self.slow_free = slow
        self.overdue: deque[_Ticket] = deque()  # in the fast lane, waiting for a slow slot

    def try_slow(self) -> bool:
        if self.slow_free > 0:
            self.slow_free -= 1
            return True
        return False

    def release_slow(self) -> None:
        self.slow_free += 1
        while self.overdue and self.slow_free > 0:
            ticket = self.overdue.popleft()
            if ticket.lane == "fast" and not ticket.done:
                self.slow_free -= 1
                ticket.move_to_slow()


class _Ticket:
    """One call's place in the lanes."""

    __slots__ = ("lanes", "lane", "done")

    def __init__(self, lanes: _Lanes, lane: str) -> None:
        self.lanes = lanes
        self.lane = lane
        self.done = False

    def overdue(self) -> None:
        if self.done or self.lane != "fast":
            return
        if self.lanes.try_slow():
            self.move_to_slow()
        else:
            self.lanes.overdue.append(self)

    def move_to_slow(self) -> None:
        self.lane = "slow"
        self.lanes.fast.release()

    def finish(self) -> None:
        self.done = True
        if self.lane == "fast":
            self.lanes.fast.release()
        else:
            self.lanes.release_slow()


class _Turns:
    """One holder at a time per conversation, in the order they came; a conversation's entry
    lives while it is used. An uncontended turn is a dict entry, no lock: the holder's
    successors wait on futures, and leaving hands the turn to the first of them."""

    def __init__(self) -> None:
        self._waiting: dict[str, deque[asyncio.Future[None]]] = {}

    async def enter(self, key: str) -> None:
        waiting = self._waiting.get(key)
        if waiting is None:
            self._waiting[key] = deque()
            return
        turn = asyncio.get_running_loop().create_future()
        waiting.append(turn)
        try:
            await turn
        except BaseException:
            if turn.done() and not turn.cancelled():
                self.leave(key)  # handed the turn, cancelled before taking it: pass it on
            elif turn in waiting:  # (a leave may have dropped it already)
                waiting.remove(turn)
            raise

    def leave(self, key: str) -> None:
        waiting = self._waiting[key]
        while waiting:
            turn = waiting.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        del self._waiting[key]

    def __len__(self) -> int:
        return len(self._waiting)


class Pace:
    """A platform sender's pacing: see the module docstring."""

    def __init__(
        self,
        limits: PaceLimits | None = None,
        *,
        rate_limits: bool = True,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        remember_slow: int = 10_000,
    ) -> None:
        limits = limits or PaceLimits()
        if limits.fast < 1 or limits.slow < 0:
            raise ValueError(f"lanes need fast >= 1 and slow >= 0, got {limits}")
        self.limits = limits
        self.clock = clock
        self.sleep = sleep
        self._turns = _Turns()
        self._lanes = _Lanes(limits.fast, limits.slow)
        per_chat, overall = limits.per_conversation, limits.overall
        self._per_conversation = Gcra(per_chat) if rate_limits and per_chat else None
        self._overall = Gcra(overall) if rate_limits and overall else None
        self._slow_chats: dict[str, None] = {}  # conversations whose last call was slow
        self._remember_slow = remember_slow

    @property
    def conversations(self) -> int:
        """Conversations with a call in flight or waiting: memory follows this."""
        return len(self._turns)

    @property
    def in_slow_lane(self) -> int:
        return self.limits.slow - self._lanes.slow_free

    async def turn(self, conversation: str) -> None:
        """Wait for the conversation's turn (pair with :meth:`done`)."""
        await self._turns.enter(conversation)

    def done(self, conversation: str) -> None:
        self._turns.leave(conversation)

    async def call(
        self, conversation: str, attempt: Callable[[], Awaitable[T]], *, counted: bool = True
    ) -> T:
        """Make one attempt of a call for ``conversation``, within the rate limits (when
        ``counted``: a message, not a typing indicator) and a lane. The caller holds the
        conversation's turn."""
        if counted:
            await self._wait_rates(conversation)
        lanes = self._lanes
        if conversation in self._slow_chats and lanes.try_slow():
            ticket = _Ticket(lanes, "slow")
        else:
            await lanes.fast.acquire()
            ticket = _Ticket(lanes, "fast")
        started = self.clock()
        timer = None
        if ticket.lane == "fast":  # moved to the slow lane once it takes that long
            timer = asyncio.get_running_loop().call_later(self.limits.slow_after, ticket.overdue)
        try:
            return await attempt()
        finally:
            if timer is not None:
                timer.cancel()
            ticket.finish()
            self._note(conversation, self.clock() - started >= self.limits.slow_after)

    async def _wait_rates(self, conversation: str) -> None:
        if self._per_conversation is not None:
            delay = self._per_conversation.reserve(conversation, self.clock())
            if delay:
                await self.sleep(delay)
        if self._overall is not None:
            delay = self._overall.reserve("", self.clock())
            if delay:
                await self.sleep(delay)

    def _note(self, conversation: str, slow: bool) -> None:
        if slow:
            if len(self._slow_chats) >= self._remember_slow:
                self._slow_chats.clear()
            self._slow_chats[conversation] = None
        elif self._slow_chats:
            self._slow_chats.pop(conversation, None)

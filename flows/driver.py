"""The driver: carry out a turn's action effects and feed their results back into the engine.

The engine stops at every ``action:`` step and returns an ActionCall; the driver runs the
registered callable and calls ``advance`` again with the ActionResult, until the turn waits
for the shopper. There is one driver, :func:`arun_turn`: ``async`` actions are awaited on the
event loop, plain ones run in a worker thread (so a slow one delays its own shopper only).
:func:`run_turn` is a thin synchronous wrapper for the CLI, the conversation tests and code
already running in a worker (the hand-off desk's database jobs): it runs the same driver on a
private loop, plain actions inline.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Generator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, nullcontext, suppress
from datetime import datetime
from functools import partial
from typing import Any

from .actions import ActionContext, ActionRegistry, ActionSpec, UnitOfWork
from .engine import Engine
from .events import ActionResult, Event
from .replies import ActionCall, Effect, Reply
from .state import SessionState

log = logging.getLogger("shopchat.actions")

MAX_ACTIONS_PER_TURN = 50
# Plain actions of every conversation share these threads. Generous, because a thread
# waiting on a slow API costs little, and too few would let a handful of slow shoppers
# queue everyone else's quick actions behind theirs.
ACTION_THREADS = 64

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_local = threading.local()


def _threads() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(ACTION_THREADS, thread_name_prefix="shopchat-action")
        return _pool


def start_action_threads() -> None:
    """Start every action thread now, for a serving process.

    The pool otherwise starts a thread the first time it has more actions waiting than
    threads, on the event loop's thread, and ``Thread.start`` waits until the new thread
    runs: on a busy machine that is milliseconds each, so a burst of shoppers reaching slow
    actions stalled everyone's turns while it grew. Each thread takes one job that waits for
    all the others, which makes the pool start them all.
    """
    pool = _threads()
    everyone = threading.Barrier(ACTION_THREADS)

    def meet() -> None:
        # Broken when a thread was slow to start: the rest start on demand, as before.
        with suppress(threading.BrokenBarrierError):
            everyone.wait(timeout=30)

    for started in [pool.submit(meet) for _ in range(ACTION_THREADS)]:
        started.result()


def _context(
    engine: Engine, state: SessionState, now: datetime, db: UnitOfWork | None, effects: list[Any]
) -> ActionContext:
    # Made for each action: the turn may have changed the session's locale before it.
    return ActionContext(
        conversation_id=state.conversation_id,
        locale=state.locale,
        currency=engine.project.shop.currency,
        user=dict(state.user),
        channel=state.channel,
        now=now,
        db=db,
        effects=effects,
    )


def _failure(call: ActionCall, exc: BaseException) -> ActionResult:
    log.warning("action %s failed: %s: %s", call.name, type(exc).__name__, exc)
    return ActionResult(ok=False, error=f"{type(exc).__name__}: {exc}")


def _lookup(actions: ActionRegistry, call: ActionCall) -> ActionSpec | ActionResult:
    spec = actions.get(call.name)
    if spec is None:
        return ActionResult(ok=False, error=f"unknown action {call.name!r}")
    return spec


def turn_flow(
    engine: Engine, state: SessionState, event: Event, now: datetime
) -> Generator[ActionCall, ActionResult, tuple[list[Reply], list[Effect]]]:
    """The protocol of a turn as a generator (the httpx ``Auth.auth_flow`` pattern).

    It yields each action to run and is sent its result; it returns the turn's replies and
    other effects. :func:`arun_turn` only carries out the actions.
    """
    replies: list[Reply] = []
    effects: list[Effect] = []
    turn = engine.advance(state, event, now)
    for _ in range(MAX_ACTIONS_PER_TURN + 1):
        replies.extend(turn.replies)
        effects.extend(e for e in turn.effects if not isinstance(e, ActionCall))
        call = turn.action
        if call is None:
            break
        result = yield call
        turn = engine.advance(state, result, now)
    return replies, effects


async def arun_turn(
    engine: Engine,
    actions: ActionRegistry,
    state: SessionState,
    event: Event,
    now: datetime,
    *,
    db: UnitOfWork | None = None,
    offload: bool = True,
    waiting: Callable[[], AbstractAsyncContextManager[Any]] | None = None,
) -> tuple[list[Reply], list[Any]]:
    """Advance one shopper event through to the next question, running its actions.

    Returns the replies and the effects: the engine's (a hand-off) followed by those the
    actions asked for (``ActionContext.effects``). ``db`` is what actions write with;
    ``offload=False`` runs plain actions inline (for callers already off the event loop).
    ``waiting()`` is entered around each action the turn awaits (the chat service steps out
    of its dispatcher slot there: an action may wait seconds on an API).
    """
    asked: list[Any] = []  # the actions' effects
    flow = turn_flow(engine, state, event, now)
    try:
        call = next(flow)
        while True:
            spec = _lookup(actions, call)
            if isinstance(spec, ActionResult):
                result = spec
            else:
                ctx = _context(engine, state, now, db, asked)
                try:
                    if spec.is_async or offload:
                        async with waiting() if waiting is not None else nullcontext():
                            if spec.is_async:
                                value = await spec.func(ctx, **call.args)
                            else:
                                loop = asyncio.get_running_loop()
                                value = await loop.run_in_executor(
                                    _threads(), partial(spec.func, ctx, **call.args)
                                )
                    else:
                        value = spec.func(ctx, **call.args)
                    result = ActionResult(ok=True, value=value)
                except Exception as exc:
                    result = _failure(call, exc)
            call = flow.send(result)
    except StopIteration as done:
        replies, effects = done.value
        return replies, [*effects, *asked]


def run_turn(
    engine: Engine,
    actions: ActionRegistry,
    state: SessionState,
    event: Event,
    now: datetime,
    *,
    db: UnitOfWork | None = None,
) -> tuple[list[Reply], list[Any]]:
    """:func:`arun_turn` for synchronous callers, plain actions inline.

    Not for code on a running event loop (it would block it): await :func:`arun_turn` there.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise RuntimeError("run_turn() called on a running event loop: await arun_turn()")
    runner: asyncio.Runner | None = getattr(_local, "runner", None)
    if runner is None:
        # One loop per thread, kept: starting a loop for every turn would cost more than
        # most turns.
        runner = _local.runner = asyncio.Runner()
    return runner.run(arun_turn(engine, actions, state, event, now, db=db, offload=False))


__all__ = ["ACTION_THREADS", "arun_turn", "run_turn", "start_action_threads", "turn_flow"]

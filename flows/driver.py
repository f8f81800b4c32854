"""Drivers: carry out a turn's action effects and feed their results back into the engine.

The engine stops at every ``action:`` step and returns an ActionCall; a driver runs the
registered callable and calls ``advance`` again with the ActionResult, until the turn waits
for the shopper. One synchronous driver (CLI, conversation tests) and one async (the server).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Generator
from datetime import datetime
from typing import Any

from .actions import ActionContext, ActionRegistry, ActionSpec
from .engine import Engine
from .events import ActionResult, Event
from .replies import ActionCall, Effect, Reply
from .state import SessionState

log = logging.getLogger("shopchat.actions")

MAX_ACTIONS_PER_TURN = 50


def _context(engine: Engine, state: SessionState) -> ActionContext:
    return ActionContext(
        conversation_id=state.conversation_id,
        locale=state.locale,
        currency=engine.project.shop.currency,
        user=dict(state.user),
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
    other effects. The sync and async drivers below only carry out the actions.
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


def run_turn(
    engine: Engine, actions: ActionRegistry, state: SessionState, event: Event, now: datetime
) -> tuple[list[Reply], list[Effect]]:
    """Advance one shopper event through to the next question, running actions inline."""
    flow = turn_flow(engine, state, event, now)
    try:
        call = next(flow)
        while True:
            spec = _lookup(actions, call)
            if isinstance(spec, ActionResult):
                result = spec
            else:
                try:
                    value: Any = spec.func(_context(engine, state), **call.args)
                    if spec.is_async:
                        value = asyncio.run(value)
                    result = ActionResult(ok=True, value=value)
                except Exception as exc:
                    result = _failure(call, exc)
            call = flow.send(result)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


async def arun_turn(
    engine: Engine, actions: ActionRegistry, state: SessionState, event: Event, now: datetime
) -> tuple[list[Reply], list[Effect]]:
    """The async twin of :func:`run_turn`, for the server."""
    flow = turn_flow(engine, state, event, now)
    try:
        call = next(flow)
        while True:
            spec = _lookup(actions, call)
            if isinstance(spec, ActionResult):
                result = spec
            else:
                try:
                    value = spec.func(_context(engine, state), **call.args)
                    if spec.is_async:
                        value = await value
                    result = ActionResult(ok=True, value=value)
                except Exception as exc:
                    result = _failure(call, exc)
            call = flow.send(result)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


__all__ = ["arun_turn", "run_turn", "turn_flow"]

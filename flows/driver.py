"""Drivers: carry out a turn's action effects and feed their results back into the engine.

The engine stops at every ``action:`` step and returns an ActionCall; a driver runs the
registered callable and calls ``advance`` again with the ActionResult, until the turn waits
for the shopper. One synchronous driver (CLI, conversation tests) and one async (the server).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from .actions import ActionContext, ActionRegistry, ActionSpec
from .engine import Engine, Turn
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


def _collect(turn: Turn, replies: list[Reply], effects: list[Effect]) -> ActionCall | None:
    replies.extend(turn.replies)
    effects.extend(e for e in turn.effects if not isinstance(e, ActionCall))
    return turn.action


def run_turn(
    engine: Engine, actions: ActionRegistry, state: SessionState, event: Event, now: datetime
) -> tuple[list[Reply], list[Effect]]:
    """Advance one shopper event through to the next question, running actions inline."""
    replies: list[Reply] = []
    effects: list[Effect] = []
    call = _collect(engine.advance(state, event, now), replies, effects)
    for _ in range(MAX_ACTIONS_PER_TURN):
        if call is None:
            break
        spec = _lookup(actions, call)
        result: ActionResult
        if isinstance(spec, ActionResult):
            result = spec
        elif spec.is_async:
            import asyncio

            try:
                value: Any = asyncio.run(spec.func(_context(engine, state), **call.args))
                result = ActionResult(ok=True, value=value)
            except Exception as exc:
                result = _failure(call, exc)
        else:
            try:
                result = ActionResult(
                    ok=True, value=spec.func(_context(engine, state), **call.args)
                )
            except Exception as exc:
                result = _failure(call, exc)
        call = _collect(engine.advance(state, result, now), replies, effects)
    return replies, effects


async def arun_turn(
    engine: Engine, actions: ActionRegistry, state: SessionState, event: Event, now: datetime
) -> tuple[list[Reply], list[Effect]]:
    """The async twin of :func:`run_turn`, for the server."""
    replies: list[Reply] = []
    effects: list[Effect] = []
    call = _collect(engine.advance(state, event, now), replies, effects)
    for _ in range(MAX_ACTIONS_PER_TURN):
        if call is None:
            break
        spec = _lookup(actions, call)
        result: ActionResult
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
        call = _collect(engine.advance(state, result, now), replies, effects)
    return replies, effects


__all__ = ["arun_turn", "run_turn"]

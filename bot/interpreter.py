"""The seam for understanding: an optional interpreter reads a typed message before the engine.

    service = ChatService(..., interpreter=MyInterpreter())   # or create_app(..., interpreter=)

    class MyInterpreter:
        async def interpret(self, text: str, context: InterpretContext) -> dict | None:
            ...  # ask a language model; return {"intent": ..., "language": ..., "entities": ...}

The chat service calls it for every ``TextInput`` without a meaning, in the turn's *think*
step: on the event loop, outside any database transaction and off the database thread, so
a slow model delays its own shopper only. What it returns becomes ``TextInput.meaning`` (the
shape of :meth:`understanding.Understanding.to_dict`; ``text`` may be left out), which the
engine validates like any precomputed meaning (``flows/hearing.py``): an unknown intent or
language is dropped. Returning None, raising, or running past ``timeout`` seconds leaves the
project's built-in understanding in charge; the shopper never sees an error from here.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from flows import Project, SessionState, TextInput

log = logging.getLogger("shopchat.interpreter")

DEFAULT_TIMEOUT = 5.0  # seconds; the interpreter's own timeout should be shorter


@dataclass(frozen=True)
class InterpretContext:
    """What an interpreter knows about the message it reads.

    ``state`` is the conversation's session as loaded for this turn (None before the first
    turn); read it, never change it. ``intents`` are the flow ids a meaning may name.
    """

    conversation_id: str
    channel: str
    locale: str
    locales: tuple[str, ...]
    intents: tuple[str, ...]
    now: datetime
    project: Project
    state: SessionState | None = None


class Interpreter(Protocol):
    async def interpret(self, text: str, context: InterpretContext) -> dict[str, Any] | None:
        """The meaning of ``text``, or None to let the built-in understanding read it."""
        ...


async def interpreted(
    interpreter: Interpreter | None,
    event: Any,
    context: InterpretContext,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> Any:
    """``event`` with the interpreter's meaning, when it is a text the interpreter read."""
    if interpreter is None or not isinstance(event, TextInput) or event.meaning is not None:
        return event
    try:
        meaning = await asyncio.wait_for(interpreter.interpret(event.text, context), timeout)
    except Exception as exc:  # TimeoutError included: the built-in reading stands
        log.warning("the interpreter failed, the built-in understanding stands: %r", exc)
        return event
    if not isinstance(meaning, dict):
        return event
    return event.model_copy(update={"meaning": {"text": event.text, **meaning}})


def context_for(
    project: Project,
    conversation_id: str,
    channel: str,
    locale: str | None,
    now: datetime,
    state: SessionState | None = None,
) -> InterpretContext:
    return InterpretContext(
        conversation_id=conversation_id,
        channel=channel,
        locale=state.locale if state is not None else project.pick_locale(locale),
        locales=tuple(project.locales),
        intents=tuple(project.flows),
        now=now,
        project=project,
        state=state,
    )


__all__ = ["DEFAULT_TIMEOUT", "InterpretContext", "Interpreter", "context_for", "interpreted"]

"""Conversations: load a session, run the engine over one event, persist the result.

This is the engine's driver with storage: the dispatcher calls it one event at a time per
conversation, so sessions of one conversation never race; the store's version check still
refuses a lost update if two processes ever do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flows import ActionRegistry, Effect, Engine, Event, Project, Reply, SessionState, run_turn

from .storage import SessionStore, StaleSessionError, StoredSession


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class TurnResult:
    replies: list[Reply]
    effects: list[Effect]
    state: SessionState


class Conversations:
    """Runs shopper events against a project with sessions kept in a :class:`SessionStore`."""

    def __init__(
        self,
        project: Project,
        actions: ActionRegistry,
        store: SessionStore,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = Engine(project)
        self.actions = actions
        self.store = store
        self.clock = clock

    def load(
        self,
        conversation_id: str,
        *,
        locale: str | None = None,
        user: dict[str, Any] | None = None,
        channel: str = "",
    ) -> tuple[SessionState, int | None]:
        return self.resume(
            self.store.load(conversation_id),
            conversation_id,
            locale=locale,
            user=user,
            channel=channel,
        )

    def resume(
        self,
        stored: StoredSession | None,
        conversation_id: str,
        *,
        locale: str | None = None,
        user: dict[str, Any] | None = None,
        channel: str = "",
    ) -> tuple[SessionState, int | None]:
        """The session to run the next event on: the stored one, or a new one."""
        if stored is None:
            state = self.engine.new_session(
                conversation_id, now=self.clock(), locale=locale, user=user, channel=channel
            )
            return state, None
        state = SessionState.from_json(stored.data)
        if user:
            # Channels refresh the profile (a changed name); the locale the shopper chose stays.
            state.user.update({k: v for k, v in user.items() if v is not None})
        return state, stored.version

    def handle(
        self,
        conversation_id: str,
        event: Event,
        *,
        locale: str | None = None,
        user: dict[str, Any] | None = None,
        channel: str = "",
    ) -> TurnResult:
        """Process one event and commit the new session before returning the replies."""
        for _attempt in range(3):
            state, version = self.load(conversation_id, locale=locale, user=user, channel=channel)
            replies, effects = run_turn(self.engine, self.actions, state, event, self.clock())
            try:
                self.store.save(conversation_id, state.to_json(), version)
            except StaleSessionError:
                continue  # another process moved this conversation on: replay on its state
            return TurnResult(replies, effects, state)
        raise StaleSessionError(conversation_id, version)


__all__ = ["Conversations", "TurnResult", "utcnow"]

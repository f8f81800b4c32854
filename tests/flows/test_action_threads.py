"""A serving process starts its action threads up front (``shopchat serve``), so a burst of
shoppers reaching slow plain actions never makes the event loop wait for a new thread."""

from __future__ import annotations

import threading

from flows import start_action_threads
from flows.driver import ACTION_THREADS


def action_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("shopchat-action")}


def test_every_action_thread_is_running_before_the_first_action() -> None:
    start_action_threads()
    started = action_threads()
    assert len(started) == ACTION_THREADS
    start_action_threads()  # again (a second app in the process): no thread more
    assert action_threads() == started

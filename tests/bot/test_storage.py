"""Contract suite for SessionStore: every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.storage import (
    SessionStore,
    StaleSessionError,
    StorageError,
    StorageUnavailable,
    StoredSession,
)

BERLIN_NOON = datetime(2024, 5, 17, 12, 0, tzinfo=timezone(timedelta(hours=2)))


def test_a_new_conversation_has_no_session(store: SessionStore) -> None:
    assert store.load("tg:1") is None


def test_round_trip_keeps_data_and_bumps_version(store_url: str) -> None:
    store = SessionStore(store_url, clock=lambda: BERLIN_NOON)
    store.migrate()

    assert store.save("tg:1", '{"step": "welcome"}', None) == 1
    assert store.save("tg:1", '{"step": "cart", "qty": 2}', 1) == 2

    assert store.load("tg:1") == StoredSession(
        "tg:1", '{"step": "cart", "qty": 2}', 2, datetime(2024, 5, 17, 10, 0, tzinfo=UTC)
    )
    store.close()


def test_stored_time_is_utc(store: SessionStore) -> None:
    store.save("tg:1", "{}", None)

    stored = store.load("tg:1")

    assert stored is not None
    assert stored.updated_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - stored.updated_at) < timedelta(minutes=1)


def test_a_write_from_a_stale_read_is_refused(store: SessionStore) -> None:
    store.save("tg:1", '"first"', None)
    store.save("tg:1", '"second"', 1)

    with pytest.raises(StaleSessionError) as caught:
        store.save("tg:1", '"late"', 1)

    assert caught.value.conversation_id == "tg:1"
    assert caught.value.expected_version == 1
    assert store.load("tg:1") == StoredSession("tg:1", '"second"', 2, _any_time(store, "tg:1"))


def test_creating_a_session_that_exists_is_stale(store: SessionStore) -> None:
    store.save("tg:1", '"first"', None)

    with pytest.raises(StaleSessionError):
        store.save("tg:1", '"again"', None)

    assert _data(store, "tg:1") == '"first"'


def test_updating_a_deleted_session_is_stale(store: SessionStore) -> None:
    store.save("tg:1", "{}", None)
    store.delete("tg:1")

    with pytest.raises(StaleSessionError):
        store.save("tg:1", "{}", 1)
    assert store.load("tg:1") is None


def test_delete_of_an_unknown_conversation_is_quiet(store: SessionStore) -> None:
    store.delete("nobody")

    assert store.count() == 0


def test_count_counts_conversations(store: SessionStore) -> None:
    store.save_many([("tg:1", "{}", None), ("tg:2", "{}", None)])
    store.save("tg:1", "{}", 1)

    assert store.count() == 2


@pytest.mark.parametrize("existing", [False, True], ids=["first-write", "update"])
def test_concurrent_writers_from_the_same_read_one_wins(
    store: SessionStore, existing: bool
) -> None:
    expected = None
    if existing:
        expected = store.save("wa:1", '"base"', None)
    writers = 8
    start = threading.Barrier(writers)

    def write(n: int) -> str:
        start.wait()  # release every writer at once to race for the row
        try:
            store.save("wa:1", f'"writer {n}"', expected)
        except StaleSessionError:
            return "stale"
        return f'"writer {n}"'

    with ThreadPoolExecutor(writers) as pool:
        outcomes = list(pool.map(write, range(writers)))

    winners = [outcome for outcome in outcomes if outcome != "stale"]
    assert len(winners) == 1
    stored = store.load("wa:1")
    assert stored is not None
    assert (stored.data, stored.version) == (winners[0], (expected or 0) + 1)


def test_save_many_returns_each_new_version_in_order(store: SessionStore) -> None:
    store.save("tg:1", '"a1"', None)

    versions = store.save_many([("tg:1", '"a2"', 1), ("tg:2", '"b1"', None), ("tg:1", '"a3"', 2)])

    assert versions == [2, 1, 3]
    assert (_data(store, "tg:1"), _data(store, "tg:2")) == ('"a3"', '"b1"')


@pytest.mark.parametrize("stale_item", [("tg:2", '"b?"', 5), ("tg:1", '"a?"', None)])
def test_save_many_saves_nothing_if_one_item_is_stale(
    store: SessionStore, stale_item: tuple[str, str, int | None]
) -> None:
    store.save_many([("tg:1", '"a1"', None), ("tg:2", '"b1"', None)])

    with pytest.raises(StaleSessionError) as caught:
        store.save_many([("tg:1", '"a2"', 1), ("tg:3", '"c1"', None), stale_item])

    assert caught.value.conversation_id == stale_item[0]
    assert (_data(store, "tg:1"), _data(store, "tg:2")) == ('"a1"', '"b1"')
    assert store.load("tg:3") is None


def test_an_overlong_conversation_id_is_refused_on_every_backend(store: SessionStore) -> None:
    with pytest.raises(ValueError, match="longer than 255"):
        store.save_many([("tg:1", "{}", None), ("x" * 256, "{}", None)])

    assert store.count() == 0


def test_save_many_of_nothing_does_nothing(store: SessionStore) -> None:
    assert store.save_many([]) == []


def test_migrate_again_keeps_existing_sessions(store: SessionStore, store_url: str) -> None:
    store.save("tg:1", '{"cart": ["TSHIRT-M"]}', None)
    store.migrate()

    reopened = SessionStore(store_url)
    reopened.migrate()

    assert _data(reopened, "tg:1") == '{"cart": ["TSHIRT-M"]}'
    assert reopened.save("tg:1", "{}", 1) == 2
    reopened.close()


def test_workers_migrating_at_once_all_succeed(store_url: str) -> None:
    workers = 4
    start = threading.Barrier(workers)

    def start_worker(_: int) -> None:
        store = SessionStore(store_url)
        start.wait()  # every worker finds an empty database, as at a first deploy
        store.migrate()
        store.close()

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(start_worker, range(workers)))

    store = SessionStore(store_url)
    assert store.save("tg:1", "{}", None) == 1
    store.close()


def test_an_unmigrated_database_says_to_migrate(store_url: str) -> None:
    store = SessionStore(store_url)

    with pytest.raises(StorageError, match=r"run SessionStore\.migrate\(\)"):
        store.load("tg:1")
    store.close()


def test_ping_answers_for_a_live_database(store: SessionStore) -> None:
    assert store.ping() is True


def test_closed_store_reconnects_when_used(store: SessionStore) -> None:
    store.save("tg:1", "{}", None)
    store.close()

    assert store.load("tg:1") is not None


# SQLite-specific behaviour.


def test_sqlite_file_runs_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    store = SessionStore(f"sqlite:///{path}")
    store.migrate()
    store.close()

    # WAL is recorded in the file itself, so a fresh plain connection reports it.
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_sqlite_creates_the_missing_folder(tmp_path: Path) -> None:
    path = tmp_path / "var" / "shopchat" / "sessions.db"
    store = SessionStore(f"sqlite:///{path}")
    store.migrate()
    store.save("tg:1", "{}", None)
    store.close()

    assert path.is_file()


def test_sqlite_in_memory_is_shared_across_threads() -> None:
    store = SessionStore("sqlite://")
    store.migrate()

    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(store.save, "tg:1", "{}", None).result() == 1
    assert store.load("tg:1") is not None
    store.close()


# Unusable databases.


def test_unreachable_database_is_unavailable_without_leaking_the_password() -> None:
    store = SessionStore("postgresql://shop:hunter2@127.0.0.1:1/shop")

    with pytest.raises(StorageUnavailable) as caught:
        store.load("tg:1")

    message = str(caught.value)
    assert "127.0.0.1:1/shop" in message
    assert "hunter2" not in message
    assert "Traceback" not in message
    assert store.ping() is False


def test_migrate_on_unreachable_database_is_unavailable() -> None:
    with pytest.raises(StorageUnavailable, match="unavailable"):
        SessionStore("postgresql+psycopg://shop@127.0.0.1:1/shop").migrate()


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("mongodb://shop:hunter2@db/shop", "mongodb://shop:\\*\\*\\*@db/shop"),
        ("shop:hunter2 at db", "can't be parsed"),
    ],
)
def test_a_url_that_names_no_database_is_unavailable(url: str, hint: str) -> None:
    with pytest.raises(StorageUnavailable, match=hint) as caught:
        SessionStore(url)

    assert "hunter2" not in str(caught.value)


def test_sqlite_folder_that_cannot_be_created_is_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")

    with pytest.raises(StorageUnavailable, match="a-file"):
        SessionStore(f"sqlite:///{blocker / 'sessions.db'}")


def _data(store: SessionStore, conversation_id: str) -> str:
    stored = store.load(conversation_id)
    assert stored is not None, f"{conversation_id} has no session"
    return stored.data


def _any_time(store: SessionStore, conversation_id: str) -> datetime:
    stored = store.load(conversation_id)
    assert stored is not None
    return stored.updated_at


def test_load_many_returns_only_stored_sessions(store):
    store.save("a", '{"n": 1}', None)
    store.save("b", '{"n": 2}', None)
    store.save("b", '{"n": 3}', 1)
    found = store.load_many(["a", "b", "missing", "a"])
    assert set(found) == {"a", "b"}
    assert (found["b"].data, found["b"].version) == ('{"n": 3}', 2)
    assert store.load_many([]) == {}

"""How long the shop keeps what it stores about conversations, and the sweep that applies it.

```yaml
retention:                # in shop.yaml; every key optional, "forever" (or null) keeps all
  inbox_bodies: 7d        # webhook bodies (names, phones, texts) of processed events
  inbox: 30d              # processed inbox rows: (channel, event id) for deduplication
  outbox: 30d             # replies sent or given up
  transcripts: 180d       # what the shopper, the bot and agents said (hand-off desk)
```

What recovery and deduplication need is never pruned: an inbox event still pending, a reply
still unsent. Once processed, an event keeps only its channel, event id, conversation, kind
and times after ``inbox_bodies``: a platform's retry of it is still recognised (Telegram
retries for a day, Meta for a few days) until ``inbox`` removes the row. Orders are kept (they
are accounts) and are anonymised by ``shopchat customer erase``, not by age.

The app applies it in the background every hour (:func:`sweep_forever`); ``shopchat prune``
applies it once. Rows are found by id: ids grow with time, so a few primary-key probes find
where "older than" ends, and each batch is a primary-key range. The hot tables carry no extra
index for it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from flows import parse_duration

from .rawsql import raw_sql
from .storage import SessionStore

log = logging.getLogger("shopchat.retention")

BATCH = 5000
SWEEP_EVERY = timedelta(hours=1)
_KEEP = ("forever", "never", "keep")


class RetentionConfigError(ValueError):
    """The ``retention:`` section of shop.yaml is wrong; the message names the key."""


@dataclass(frozen=True)
class Retention:
    """How long each kind of record is kept; None keeps it for ever."""

    inbox_bodies: timedelta | None = timedelta(days=7)
    inbox: timedelta | None = timedelta(days=30)
    outbox: timedelta | None = timedelta(days=30)
    transcripts: timedelta | None = timedelta(days=180)

    @classmethod
    def parse(cls, raw: dict[str, Any] | None, *, source: Path | str = "") -> Retention:
        where = f"{source}: " if source else ""
        if raw is None:
            return cls()
        if not isinstance(raw, dict):
            raise RetentionConfigError(f"{where}retention: a mapping like {{inbox_bodies: 7d}}")
        known = [f.name for f in fields(cls)]
        values: dict[str, timedelta | None] = {}
        for key, value in raw.items():
            if key not in known:
                raise RetentionConfigError(
                    f"{where}retention.{key}: unknown key (known: {', '.join(known)})"
                )
            if value is None or str(value).strip().lower() in _KEEP:
                values[key] = None
                continue
            try:
                values[key] = parse_duration(str(value).strip())
            except ValueError as exc:
                raise RetentionConfigError(f"{where}retention.{key}: {exc}, or forever") from None
        return cls(**values)  # type: ignore[arg-type]


@dataclass
class Pruned:
    """What one sweep did, by kind."""

    inbox_bodies: int = 0
    inbox: int = 0
    outbox: int = 0
    transcripts: int = 0

    def __str__(self) -> str:
        return (
            f"{self.inbox_bodies} inbox bodies cleared, {self.inbox} inbox rows, "
            f"{self.outbox} outbox rows and {self.transcripts} transcript lines removed"
        )


def _span(conn: Connection, table: str, column: str, cutoff: datetime) -> tuple[int, int]:
    """``(first, end)``: the ids of ``table`` whose ``column`` is before ``cutoff`` are in
    ``range(first, end)``. Ids grow with time, so ``end`` is found by a binary search of
    primary-key probes, not by reading the table."""
    sql = raw_sql(conn.dialect)
    row = sql.one(conn, f"SELECT min(id), max(id) FROM {table}")  # noqa: S608 (names are ours)
    if row is None or row[0] is None:
        return 0, 0
    first, lo, hi = int(row[0]), int(row[0]), int(row[1]) + 1
    probe = f"SELECT id, {column} FROM {table} WHERE id >= :id ORDER BY id LIMIT 1"  # noqa: S608
    while lo < hi:
        mid = (lo + hi) // 2
        found = sql.one(conn, probe, {"id": mid})
        at = sql.read_time(found[1]) if found is not None else None
        if found is None or at is None or at >= cutoff:
            hi = mid
        else:
            lo = int(found[0]) + 1
    return first, lo


class Pruner:
    """Applies a :class:`Retention` to one database."""

    def __init__(
        self,
        store: SessionStore,
        retention: Retention,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.retention = retention
        self.clock = clock
        # Inbox ids below this have no body left (this process cleared them): a later sweep
        # starts here instead of at the oldest row. Only a shortcut; losing it costs a scan.
        self._bodies_cleared_below = 0

    def prune(self) -> Pruned:
        """Apply the retention once; returns what it removed. Each batch is its own short
        transaction, so the webhooks never wait long behind it."""
        now = self.clock()
        done = Pruned()
        r = self.retention
        if r.inbox is not None:
            done.inbox, _ = self._ranges(
                "inbox",
                "received_at",
                now - r.inbox,
                "DELETE FROM inbox WHERE id >= :lo AND id < :hi AND status <> 'pending'",
            )
        if r.inbox_bodies is not None:
            done.inbox_bodies, end = self._ranges(
                "inbox",
                "received_at",
                now - r.inbox_bodies,
                "UPDATE inbox SET body = '' WHERE id >= :lo AND id < :hi"
                " AND status <> 'pending' AND body <> ''",
                start=self._bodies_cleared_below,
            )
            # (An event still pending below it keeps its body until a restart's first sweep.)
            self._bodies_cleared_below = end
        if r.outbox is not None:
            done.outbox, _ = self._ranges(
                "outbox",
                "created_at",
                now - r.outbox,
                "DELETE FROM outbox WHERE id >= :lo AND id < :hi AND status <> 'pending'",
            )
        if r.transcripts is not None:
            done.transcripts, _ = self._ranges(
                "handoff_messages",
                "at",
                now - r.transcripts,
                "DELETE FROM handoff_messages WHERE id >= :lo AND id < :hi",
            )
        return done

    def _ranges(
        self, table: str, column: str, cutoff: datetime, statement: str, *, start: int = 0
    ) -> tuple[int, int]:
        """Run ``statement`` over the ids older than ``cutoff`` in batches; return how many
        rows it changed and where the older ids end."""
        with self.store.connection() as conn:
            first, end = _span(conn, table, column, cutoff)
        changed = 0
        lo = max(first, start)
        while lo < end:
            hi = min(lo + BATCH, end)
            with self.store.transaction() as conn:
                changed += raw_sql(conn.dialect).run(conn, statement, {"lo": lo, "hi": hi})
            lo = hi
        return changed, end

    async def sweep_forever(self, every: timedelta = SWEEP_EVERY) -> None:
        """Prune now and then every ``every``, off the event loop; a failure is logged and
        the next sweep tries again."""
        while True:
            try:
                done = await asyncio.to_thread(self.prune)
                if any(vars(done).values()):
                    log.info("retention: %s", done)
            except Exception as exc:
                log.warning("retention sweep failed (next in %s): %s", every, exc)
            await asyncio.sleep(every.total_seconds())


__all__ = ["Pruned", "Pruner", "Retention", "RetentionConfigError"]

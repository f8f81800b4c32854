"""Importing a feed: stream its items into a new generation, then switch to it atomically.

    report = import_items(engine, items, source="feed.xml")

The import writes products and variants in big ``executemany`` batches and builds the search
index as it goes (:class:`catalog.index.IndexBuilder`), holding one product group at a time,
never the whole feed. Then, in one transaction, it points ``catalog_current`` at the new
generation, and deletes the old one. Shoppers searching meanwhile see the old catalog until
the switch and the new one after. If the feed fails (a fatal ``FeedError``, a crash, Ctrl-C)
the half-built generation is deleted and the old catalog stays as it was.

A bad row (no id, no title, a negative price, a repeated id) is reported as a
:class:`~catalog.records.Problem` and skipped; it never stops the import.

Variants of one product are expected next to each other, as Google, Meta and Shopify exports
list them; a variant that turns up after other products joins its product at the end.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, select, update

from catalog import store as tables
from catalog.blocks import BLOCK, pack, unpack
from catalog.errors import ImportRefused
from catalog.index import IndexBuilder, SearchIndex
from catalog.records import ORDERABLE, FeedItem, Problem
from catalog.rows import AVAILABILITIES, Prepared, prepare, product_data
from catalog.store import (
    PRODUCT,
    PRODUCT_SEQ,
    VARIANT,
    VARIANT_SEQ,
    CatalogStore,
    FeedState,
    IndexWriter,
    publish,
    read_entries,
)

Progress = Callable[[int, int], None]  # (rows read, rows rejected so far)

_ORDERABLE_CODES = [a in ORDERABLE for a in AVAILABILITIES]
DEFAULT_MAX_REJECTED = 0.2  # a feed losing more than this share of its rows is refused
_BLOCK_BATCH = 64
_ID_BATCH = 10_000
_COMMIT_EVERY = 100_000


def parse_share(value: object) -> float:
    """``"20%"``, ``20`` or ``0.2`` -> 0.2; ``ValueError`` for anything else or outside 0-100%."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a share like 20%")
    if isinstance(value, str):
        text = value.strip()
        percent = text.endswith("%")
        try:
            number = float(text.removesuffix("%").strip())
        except ValueError:
            raise ValueError(f"{value!r} is not a share like 20%") from None
        share = number / 100 if percent or number > 1 else number
    elif isinstance(value, int | float):
        share = value / 100 if value > 1 else float(value)
    else:
        raise ValueError(f"{value!r} is not a share like 20%")
    if not 0 <= share <= 1:
        raise ValueError(f"{value!r} is not between 0% and 100%")
    return share


@dataclass(frozen=True, slots=True)
class ImportRules:
    """What an import must respect: the shop's facts and the merchant's limits.

    ``currency``: prices without a currency are in it, prices in another are rejected;
    ``locale``: the shop's default locale, the language of the feed's untranslated texts;
    ``timezone``: an IANA name, the zone of dates written without an offset;
    ``max_rejected``: the share of rejected rows (0.2 = 20%) above which nothing is imported;
    ``allow_empty``: import even a feed leaving no product a shopper can order.
    """

    currency: str | None = None
    locale: str = ""
    timezone: str | None = None
    max_rejected: float = DEFAULT_MAX_REJECTED
    allow_empty: bool = False

    @property
    def fingerprint(self) -> str:
        """What of the rules changes the catalog a feed gives (so a change re-imports it)."""
        return f";{self.currency or ''};{self.locale};{self.timezone or ''}"


@dataclass
class ImportReport:
    """What an import did; ``as_dict()`` is the CLI's ``--json`` summary."""

    format: str = ""
    products: int = 0
    variants: int = 0
    rejected: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    generation: int | None = None
    rows: int = 0  # rows (XML items) the feed had, kept or not
    rejected_total: int | None = None  # when ``rejected`` holds only the first few
    sellable: int = 0  # products a shopper can order now
    seconds: float = 0.0
    unchanged: bool = False  # the feed had not changed since the last import; nothing done
    # The new generation's index, so the importing process need not load it back.
    index: SearchIndex | None = field(default=None, repr=False, compare=False)

    def summary(self, shown: int = 20) -> dict[str, Any]:
        """What the store keeps of the report: counts and the first ``shown`` rejected rows."""
        return {
            **self.as_dict(),
            "rejected": [p.as_dict() for p in self.rejected[:shown]],
            "rejected_total": self.rejected_count,
            "warnings": len(self.warnings),
        }

    @classmethod
    def from_summary(cls, data: dict[str, Any]) -> ImportReport:
        return cls(
            format=data.get("format", ""),
            rows=data.get("rows", 0),
            products=data.get("products", 0),
            variants=data.get("variants", 0),
            sellable=data.get("sellable", 0),
            rejected=[Problem(p["line"], p["id"], p["reason"]) for p in data.get("rejected", ())],
            rejected_total=data.get("rejected_total"),
        )

    @property
    def rejected_count(self) -> int:
        return len(self.rejected) if self.rejected_total is None else self.rejected_total

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "rows": self.rows,
            "products": self.products,
            "sellable": self.sellable,
            "variants": self.variants,
            "rejected": [p.as_dict() for p in self.rejected],
            "warnings": [p.as_dict() for p in self.warnings],
            "unchanged": self.unchanged,
        }


class _Writer:
    """Packs products into blocks (:mod:`catalog.blocks`) and writes them, with their ids,
    in large batches.

    Rows are plain tuples written through the driver: ``executemany`` on SQLite, ``COPY`` on
    PostgreSQL; SQLAlchemy's per-row parameter processing would cost more than the insert.
    Products come in seq order, so a block is complete when the next one starts; a variant
    that comes late is added to its product's block at the end (:meth:`add_late`).
    """

    def __init__(self, connection: Connection, generation: int) -> None:
        self.connection = connection
        self.generation = generation
        self.entries: list[list[Any]] = []  # the open block's products
        self.block = 0
        self.block_rows: list[tuple[int, int, bytes]] = []
        self.id_rows: list[tuple[int, str, int, int]] = []
        self.since_commit = 0
        self.postgres = connection.dialect.name == "postgresql"

    def add(self, entry: list[Any]) -> None:
        """Add the next product (seq order); ``entry`` as :mod:`catalog.blocks` describes."""
        seq = entry[0]
        if seq // BLOCK != self.block:
            self.close_block()
            self.block = seq // BLOCK
        self.entries.append(entry)
        pid = entry[1]
        generation = self.generation
        kind = PRODUCT
        id_rows = self.id_rows
        for row in entry[6]:
            if row[0] == pid:
                kind = PRODUCT | VARIANT
            else:
                id_rows.append((generation, row[0], seq, VARIANT))
        id_rows.append((generation, pid, seq, kind))
        if len(id_rows) >= _ID_BATCH:
            self.flush()

    def close_block(self) -> None:
        if self.entries:
            self.block_rows.append((self.generation, self.block, pack(self.entries)))
            self.entries = []
            if len(self.block_rows) >= _BLOCK_BATCH:
                self.flush()

    def _write(self, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.postgres:
            raw: Any = self.connection.connection.driver_connection
            with (
                raw.cursor() as cursor,
                cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * (columns.count(",") + 1))
            self.connection.exec_driver_sql(
                f"INSERT INTO {table} ({columns}) VALUES ({marks})",
                rows,  # type: ignore[arg-type]
            )
        self.since_commit += len(rows)

    def flush(self) -> None:
        """Write what is packed (the open block stays open)."""
        self._write("catalog_blocks", "generation, block, data", self.block_rows)
        self.block_rows = []
        self._write("catalog_ids", "generation, id, seq, kind", self.id_rows)
        self.id_rows = []
        if self.since_commit >= _COMMIT_EVERY:
            # The generation is invisible until published, so committing as we go only
            # keeps the transaction (and SQLite's WAL) from growing with the whole feed.
            self.connection.commit()
            self.since_commit = 0

    def finish(self, late: list[tuple[int, tuple[Any, ...]]]) -> None:
        """Close the last block, then add the ``late`` variant rows (product seq, row) to
        their products' blocks."""
        self.close_block()
        self.flush()
        by_block: dict[int, list[tuple[int, tuple[Any, ...]]]] = {}
        for seq, row in late:
            by_block.setdefault(seq // BLOCK, []).append((seq, row))
        for number, rows in by_block.items():
            stored = unpack(
                self.connection.execute(
                    select(tables.blocks.c.data).where(
                        tables.blocks.c.generation == self.generation,
                        tables.blocks.c.block == number,
                    )
                ).scalar_one()
            )
            for seq, row in rows:
                entry = next(e for e in stored if e[0] == seq)
                entry[6].append(row)
                pid = entry[1]
                if row[0] == pid:  # the product's own id: it names the variant too
                    self.connection.execute(
                        update(tables.ids)
                        .where(
                            tables.ids.c.generation == self.generation,
                            tables.ids.c.id == pid,
                            tables.ids.c.seq == seq,
                        )
                        .values(kind=PRODUCT | VARIANT)
                    )
                else:
                    self.id_rows.append((self.generation, row[0], seq, VARIANT))
            self.connection.execute(
                update(tables.blocks)
                .where(
                    tables.blocks.c.generation == self.generation,
                    tables.blocks.c.block == number,
                )
                .values(data=pack(stored))
            )
        self.flush()

    def line_of(self, id: str) -> int | None:
        """The line of variant ``id`` already added, or None."""
        for entry in self.entries:
            for row in entry[6]:
                if row[0] == id:
                    return int(row[2])
        self.flush()
        seq = self.connection.execute(VARIANT_SEQ, {"g": self.generation, "pid": id}).scalar()
        if seq is None:
            return None
        stored = read_entries(self.connection, self.generation, [seq]).get(seq)
        for row in stored[6] if stored else ():
            if row[0] == id:
                return int(row[2])
        return None

    def seq_of(self, product_id: str) -> int | None:
        """The seq of product ``product_id`` already added, or None."""
        for entry in self.entries:
            if entry[1] == product_id:
                return int(entry[0])
        self.flush()
        seq = self.connection.execute(
            PRODUCT_SEQ, {"g": self.generation, "pid": product_id}
        ).scalar()
        return None if seq is None else int(seq)


class _Import:
    def __init__(self, writer: _Writer, builder: IndexBuilder, locale: str) -> None:
        self.writer = writer
        self.builder = builder
        self.locale = locale
        self.products = 0
        self.variants = 0
        self.sellable = bytearray()  # per product seq: 1 once a variant of it can be ordered

    def product(self, run: list[Prepared]) -> None:
        first = run[0]
        part = first[6]
        title, brand, currency, title_i18n, description, description_i18n = part[:6]
        active = any(p[5] is not None for p in run)
        if len(run) > 1:
            names = [name for p in run for name in p[7]]
            own = list(dict.fromkeys(p[6][0] for p in run))
            if len(own) > 1:  # variants named by their titles: all are searchable
                names.extend(own[1:])
                shared = shared_title(own)
                if shared:
                    title = shared
                    translated = dict(title_i18n)
                    for locale in title_i18n:
                        theirs = list(dict.fromkeys(p[6][3].get(locale, "") for p in run))
                        common = shared_title(theirs) if len(theirs) > 1 and all(theirs) else None
                        if common:
                            translated[locale] = common
                    part = (shared, part[1], part[2], translated, *part[4:])
        else:
            names = list(first[7])
        titles = (title, *title_i18n.values(), *names) if title_i18n or names else (title,)
        seq = self.builder.add_product(
            titles=titles,
            descriptions=(description, *description_i18n.values())
            if description_i18n
            else (description,),
            brand=brand,
            categories=part[7],
            tags=part[9],
            searchable=active,
        )
        self.writer.add(
            [
                seq,
                first[1],
                "active" if active else "draft",
                brand[:255],
                currency,
                product_data(part, self.locale),
                [prepared[4] for prepared in run],
            ]
        )
        self.products += 1
        for prepared in run:
            self.variant(seq, prepared)

    def variant(self, seq: int, prepared: Prepared) -> None:
        """Count a variant of product ``seq`` and index it (the writer stores it)."""
        values = prepared[5]
        if values is not None:
            self.builder.add_variant(seq, values)
            if _ORDERABLE_CODES[values[4]] and not values[5]:
                sellable = self.sellable
                if len(sellable) <= seq:
                    sellable.extend(bytes(seq + 1 - len(sellable) + 65_536))
                sellable[seq] = 1
        self.variants += 1


def _tune_import(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        # A bigger page cache for the bulk insert; WAL + synchronous=NORMAL stay as they are.
        connection.exec_driver_sql("PRAGMA cache_size=-16384")


def import_items(
    engine: Engine,
    items: Iterable[FeedItem],
    *,
    source: str,
    format: str = "",
    feed_state: FeedState | None = None,
    progress: Progress | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    locale: str = "",
    max_rejected: float = DEFAULT_MAX_REJECTED,
    allow_empty: bool = False,
) -> ImportReport:
    """Import ``items`` as a new generation and make it current; return what happened.

    All or nothing, both ways: raises whatever the feed raises (e.g.
    ``catalog.feeds.FeedError``) after deleting the half-written generation, so the catalog
    shoppers see is exactly the old one; and raises :class:`ImportRefused`, changing nothing,
    when more than ``max_rejected`` of the rows (a share, 0.2 = 20%) were rejected or, unless
    ``allow_empty``, when no product could be ordered. ``locale`` is the shop's default
    locale: the feed's untranslated texts are in it.
    """
    started = time.perf_counter()
    catalog_store = CatalogStore(engine)
    generation = catalog_store.start_generation(source, clock())
    report = ImportReport(format=format, generation=generation)
    builder = IndexBuilder()
    try:
        with engine.connect() as connection, _fewer_collections():
            _tune_import(connection)
            writer = _Writer(connection, generation)
            job = _Import(writer, builder, locale)
            # A reader that rejects repeated ids itself says so; other sources are checked.
            seen_ids = None if getattr(items, "unique_ids", False) else _Bits()
            seen_groups = _Bits()
            run: list[Prepared] = []
            late: list[Prepared] = []  # variants of products added before: with their seqs
            late_seqs: list[int] = []
            rows = 0
            rejected = report.rejected
            for prepared in _prepared(items):
                rows += 1
                if progress is not None and rows % 10_000 == 0:
                    progress(rows, len(rejected))
                id, group, line, reason = prepared[:4]
                if reason is None and seen_ids is not None and seen_ids.add(id):
                    where = _first_line(writer, run, late, id)
                    if where is not None:
                        reason = f"duplicate id {id!r} (first on line {where})"
                if reason is not None:
                    rejected.append(Problem(line, id or None, reason))
                    continue
                if run and group == run[0][1]:
                    run.append(prepared)
                    continue
                if run:
                    job.product(run)
                    run = []
                if seen_groups.add(group):
                    known = writer.seq_of(group)
                    if known is not None:
                        late.append(prepared)
                        late_seqs.append(known)
                        continue
                run = [prepared]
            if run:
                job.product(run)
            for seq, prepared in zip(late_seqs, late, strict=True):
                job.variant(seq, prepared)
            writer.finish([(seq, p[4]) for seq, p in zip(late_seqs, late, strict=True)])
            connection.commit()
            if progress is not None:
                progress(rows, len(rejected))
            del seen_ids, seen_groups
            reader_rejected = 0
            for problem in getattr(items, "problems", ()):
                if problem.severity == "error":
                    report.rejected.append(problem)
                    reader_rejected += 1
                else:
                    report.warnings.append(problem)
            report.rejected.sort(key=lambda p: p.line)
            report.rows = getattr(items, "rows", None) or rows + reader_rejected
            report.sellable = job.sellable.count(1)
            report.products, report.variants = job.products, job.variants
            refusal = _refusal(report, max_rejected, allow_empty)
            if refusal:
                raise ImportRefused(refusal, report)
            index = builder.finish()
            del builder
            with connection.begin():
                sink = IndexWriter(connection, generation)
                index.write(sink)
                sink.flush()
            report.index = index
            del index
            now = clock()
            with connection.begin():
                publish(
                    connection,
                    generation,
                    now,
                    (report.products, report.variants, len(report.rejected)),
                )
                if feed_state is not None:
                    state = FeedState(
                        source,
                        feed_state.etag,
                        feed_state.last_modified,
                        feed_state.fingerprint,
                        generation,
                        orjson.dumps(report.summary()).decode(),
                    )
                    catalog_store.remember_feed(connection, state, now)
    except BaseException:
        # The original error matters more; a later import retires what is left.
        with contextlib.suppress(Exception):
            catalog_store.drop_generation(generation)
        raise
    catalog_store.retire_old(keep=generation)
    report.seconds = time.perf_counter() - started
    return report


def _refusal(report: ImportReport, max_rejected: float, allow_empty: bool) -> list[str]:
    """Why the import must not replace the catalog, if it must not."""
    reasons = []
    rejected = len(report.rejected)
    if report.rows and rejected / report.rows > max_rejected:
        reasons.append(
            f"{rejected:,} of {report.rows:,} rows were rejected ({rejected / report.rows:.0%}), "
            f"more than the {max_rejected:.0%} allowed (--max-rejected)"
        )
    if not report.sellable and not allow_empty:
        if not report.products:
            reasons.append("the feed has no product that could be imported")
        else:
            reasons.append(
                f"none of its {report.products:,} products can be ordered (all out of stock, "
                "discontinued or drafts)"
            )
        reasons[-1] += "; pass --allow-empty to empty the catalog on purpose"
    return reasons


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the cycle collector rarely while importing: each item makes short-lived tuples
    (no cycles) that the default thresholds would scan again and again."""
    before = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)


class _Bits:
    """A set of strings that may answer "seen" wrongly (1 time in ~5,000 at a million), never
    "unseen" wrongly: 16 MB, where a Python set of a million ids takes 70 MB or more.
    Callers confirm a "seen" in the database.

    Two bits per string (a Bloom filter with two probes, both cut from the one hash) keep
    those confirmations rare: with one bit, 1 in ~130 at a million, each a database lookup.
    """

    _SIZE = 1 << 27

    def __init__(self) -> None:
        self.bits = bytearray(self._SIZE >> 3)

    def add(self, text: str) -> bool:
        """Add ``text``; True if it may have been added before."""
        code = hash(text)
        bits = self.bits
        slot = code & (self._SIZE - 1)
        other = (code >> 32) & (self._SIZE - 1)
        byte, bit = slot >> 3, 1 << (slot & 7)
        byte2, bit2 = other >> 3, 1 << (other & 7)
        seen = bool(bits[byte] & bit) and bool(bits[byte2] & bit2)
        bits[byte] |= bit
        bits[byte2] |= bit2
        return seen


def _first_line(writer: _Writer, run: list[Prepared], late: list[Prepared], id: str) -> int | None:
    """The line an id was first seen on, or None if it was not seen after all."""
    for prepared in (*run, *late):
        if prepared[0] == id:
            return prepared[2]
    return writer.line_of(id)


def _prepared(items: Iterable[FeedItem]) -> Iterator[Prepared]:
    """``items`` run through :func:`prepare`, by the feed parser's process when it has one."""
    mapped = getattr(items, "map", None)
    if mapped is not None:
        found: Iterator[Prepared] = mapped(prepare)
        return found
    return map(prepare, items)


def shared_title(titles: list[str]) -> str | None:
    """The words a product's variants' titles all start with, when that is most of a title
    ("Tricou Bărbați" for "Tricou Bărbați Roșu" and "Tricou Bărbați Albastru"): the product's
    name. None when they share less (then the first variant's title stands)."""
    words = [t.split() for t in titles]
    shortest = min(len(w) for w in words)
    n = 0
    while n < shortest and all(w[n] == words[0][n] for w in words):
        n += 1
    shared = " ".join(words[0][:n]).strip(" -–—,;:/|")
    if n >= 2 and len(shared) * 2 >= len(titles[0]):
        return shared
    return None


def build_empty_index() -> SearchIndex:
    return IndexBuilder().finish()


__all__ = [
    "DEFAULT_MAX_REJECTED",
    "ImportReport",
    "ImportRules",
    "Prepared",
    "Progress",
    "import_items",
    "parse_share",
    "prepare",
]

"""The catalog in SQL (SQLite or PostgreSQL through SQLAlchemy Core), one generation at a time:
products in compressed blocks (:mod:`catalog.blocks`), their ids in a lookup table.

Every row belongs to a generation. ``catalog_current`` names the generation shoppers see; an
import fills a new one and flips the pointer in one transaction (see :mod:`catalog.importer`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)

from catalog.blocks import (
    BRAND,
    CURRENCY,
    DATA,
    ID,
    SEQ,
    STATUS,
    V_AVAILABILITY,
    V_DATA,
    V_ID,
    V_PRICE,
    V_QUANTITY,
    V_SALE_END,
    V_SALE_PRICE,
    V_SALE_START,
    V_STATUS,
    VARIANTS,
    Entry,
    block_of,
    unpack,
    unpack_some,
)
from catalog.products import Product, Variant
from catalog.records import AgeGroup, Availability, Gender
from catalog.rows import epoch
from shopdb import UTCDateTime

metadata = MetaData()
generations = Table(
    "catalog_generations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(16), nullable=False),
    Column("source", Text, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("products", Integer, nullable=False),
    Column("variants", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
)
current = Table(
    "catalog_current",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("generation", Integer),
    Column("updated_at", UTCDateTime),
    Column("reviews_at", UTCDateTime),  # when the ratings last changed
)
blocks = Table(
    "catalog_blocks",
    metadata,
    Column("generation", Integer, primary_key=True),
    Column("block", Integer, primary_key=True),  # products BLOCK * block .. (catalog.blocks)
    Column("data", LargeBinary, nullable=False),
)
ids = Table(
    "catalog_ids",
    metadata,
    Column("generation", Integer, primary_key=True),
    Column("id", String(255), primary_key=True),
    Column("seq", Integer, primary_key=True),  # the product's; its block holds the rest
    Column("kind", Integer, nullable=False),  # PRODUCT, VARIANT or both (a product's own id)
    sqlite_with_rowid=False,
)
PRODUCT, VARIANT = 1, 2
index_parts = Table(
    "catalog_index",
    metadata,
    Column("generation", Integer, primary_key=True),
    Column("part", Integer, primary_key=True),
    Column("data", LargeBinary, nullable=False),
)
feeds = Table(
    "catalog_feeds",
    metadata,
    Column("source", String(1024), primary_key=True),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("fingerprint", Text),
    Column("generation", Integer),
    Column("imported_at", UTCDateTime),
    Column("report", Text),  # JSON: the last kept import's counts and first rejected rows
)
reviews = Table(
    "catalog_reviews",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("product_id", String(255), nullable=False),
    Column("review_id", String(255)),
    Column("rating", Integer, nullable=False),  # tenths of a star: 10-50
    Column("title", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("author", String(255), nullable=False),
    Column("locale", String(16), nullable=False),
    Column("reviewed_at", UTCDateTime),
    Column("source", String(1024), nullable=False),
)
ratings = Table(
    "catalog_ratings",
    metadata,
    Column("product_id", String(255), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("total", BigInteger, nullable=False),
)

INDEX_PART_BYTES = 32 << 20
_CURRENT = select(current.c.generation).where(current.c.id == 1)
_BLOCKS = select(blocks.c.data).where(
    blocks.c.generation == bindparam("g"), blocks.c.block.in_(bindparam("blocks", expanding=True))
)


def _seq_of(kind: int) -> Any:
    """The seq of the product that id ``pid`` names as ``kind`` in generation ``g``."""
    return select(ids.c.seq).where(
        ids.c.generation == bindparam("g"),
        ids.c.id == bindparam("pid"),
        ids.c.kind.in_((kind, PRODUCT | VARIANT)),
    )


PRODUCT_SEQ = _seq_of(PRODUCT)
VARIANT_SEQ = _seq_of(VARIANT)


def _moment(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


@dataclass(frozen=True, slots=True)
class FeedState:
    """What we remember about a feed source: its HTTP validators or its file fingerprint."""

    source: str
    etag: str | None
    last_modified: str | None
    fingerprint: str | None
    generation: int | None
    report: str | None = None  # JSON of the import's summary (ImportReport.summary())


def _variant(row: list[Any]) -> Variant:
    data = orjson.loads(row[V_DATA])
    return Variant(
        id=row[V_ID],
        price=row[V_PRICE],
        availability=Availability(row[V_AVAILABILITY]),
        label=data.get("label") or {},
        sale_price=row[V_SALE_PRICE],
        sale_start=_moment(row[V_SALE_START]),
        sale_end=_moment(row[V_SALE_END]),
        quantity=row[V_QUANTITY],
        attributes=data.get("attributes") or {},
        age_group=AgeGroup(data["age_group"]) if data.get("age_group") else None,
        gender=Gender(data["gender"]) if data.get("gender") else None,
        image=data.get("image"),
        link=data.get("link"),
        title=data.get("title") or "",
    )


def active_variants(entry: Entry) -> list[Variant]:
    return [_variant(row) for row in entry[VARIANTS] if row[V_STATUS] == "active"]


def product_of_entry(
    entry: Entry, its_variants: Sequence[Variant], rating: tuple[int, int] | None = None
) -> Product:
    data = orjson.loads(entry[DATA])
    count, total = rating or (0, 0)
    if its_variants and "" in {v.title for v in its_variants}:
        # A product made of one item without a group stores its title, link and picture
        # once, on the product (catalog.rows.prepare).
        own = next(iter(data["title"].values()), "")
        its_variants = [
            replace(
                v, title=own, image=v.image or data.get("image"), link=v.link or data.get("link")
            )
            if not v.title
            else v
            for v in its_variants
        ]
    return Product(
        rating=round(total / count / 10, 1) if count else None,
        reviews=count,
        id=entry[ID],
        title=data["title"],
        currency=entry[CURRENCY],
        variants=tuple(its_variants),
        description=data.get("description") or {},
        description_html=data.get("description_html", ""),
        brand=entry[BRAND],
        categories=tuple(data.get("categories", ())),
        product_type=data.get("product_type", ""),
        tags=tuple(data.get("tags", ())),
        image=data.get("image"),
        images=tuple(data.get("images", ())),
        link=data.get("link"),
    )


def read_entries(connection: Connection, generation: int, seqs: Iterable[int]) -> dict[int, Entry]:
    """The stored entries (:mod:`catalog.blocks`) of products ``seqs``, by seq."""
    wanted = set(seqs)
    if not wanted:
        return {}
    found: dict[int, Entry] = {}
    numbers = sorted({block_of(seq) for seq in wanted})
    for (data,) in connection.execute(_BLOCKS, {"g": generation, "blocks": numbers}):
        for entry in unpack_some(data, wanted):
            found[entry[SEQ]] = entry
    return found


def iter_entries(engine: Engine, generation: int) -> Iterator[Entry]:
    """Every stored product entry of ``generation`` in seq order, block by block."""
    query = select(blocks.c.data).where(blocks.c.generation == generation).order_by(blocks.c.block)
    with engine.connect() as connection:
        for (data,) in connection.execution_options(yield_per=64).execute(query):
            yield from unpack(data)


class CatalogStore:
    """Reads of the current catalog; the import writes through :mod:`catalog.importer`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def current_generation(self) -> int | None:
        with self.engine.connect() as connection:
            return connection.execute(_CURRENT).scalar()

    def current_state(self) -> tuple[int | None, datetime | None]:
        """The generation shoppers see and when the ratings last changed."""
        query = select(current.c.generation, current.c.reviews_at).where(current.c.id == 1)
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return (row[0], row[1]) if row else (None, None)

    def ratings_by_seq(self, generation: int) -> list[tuple[int, int, int]]:
        """``(seq, count, total tenths)`` of the rated products of ``generation``."""
        query = (
            select(ids.c.seq, ratings.c.count, ratings.c.total)
            .join(ratings, ratings.c.product_id == ids.c.id)
            .where(ids.c.generation == generation, ids.c.kind.in_((PRODUCT, PRODUCT | VARIANT)))
        )
        with self.engine.connect() as connection:
            return [(int(a), int(b), int(c)) for a, b, c in connection.execute(query)]

    def reviews(self, product_id: str, limit: int = 200) -> list[Any]:
        """A product's reviews, newest first (rows with rating in tenths)."""
        r = reviews.c
        query = (
            select(r.rating, r.title, r.text, r.author, r.locale, r.reviewed_at)
            .where(r.product_id == product_id)
            .order_by(r.reviewed_at.desc(), r.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as connection:
            return list(connection.execute(query))

    def load_index_blob(self, generation: int) -> bytearray | None:
        """The stored index, read part by part into one buffer (no second copy)."""
        size_query = select(func.sum(func.length(index_parts.c.data))).where(
            index_parts.c.generation == generation
        )
        parts_query = (
            select(index_parts.c.data)
            .where(index_parts.c.generation == generation)
            .order_by(index_parts.c.part)
        )
        with self.engine.connect() as connection:
            size = connection.execute(size_query).scalar()
            if not size:
                return None
            buffer = bytearray(int(size))
            at = 0
            for (part,) in connection.execution_options(yield_per=1).execute(parts_query):
                buffer[at : at + len(part)] = part
                at += len(part)
        return buffer

    def products_by_seq(self, generation: int, seqs: Sequence[int]) -> dict[int, Product]:
        """Active variants included; a product whose rows are gone (a newer import) is absent."""
        if not seqs:
            return {}
        with self.engine.connect() as connection:
            entries = read_entries(connection, generation, seqs)
            rated = _ratings(connection, [e[ID] for e in entries.values()])
        return {
            seq: product_of_entry(entry, active_variants(entry), rated.get(entry[ID]))
            for seq, entry in entries.items()
        }

    def product(self, generation: int, product_id: str) -> Product | None:
        """An active product with an active variant, by id, or None."""
        with self.engine.connect() as connection:
            seq = connection.execute(PRODUCT_SEQ, {"g": generation, "pid": product_id}).scalar()
            if seq is None:
                return None
            entry = read_entries(connection, generation, [seq]).get(seq)
            if entry is None or entry[STATUS] != "active" or entry[ID] != product_id:
                return None
            rated = _ratings(connection, [product_id])
        found = active_variants(entry)
        return product_of_entry(entry, found, rated.get(product_id)) if found else None

    def product_of_variant(self, generation: int, variant_id: str) -> str | None:
        """The id of the product an active variant belongs to, or None."""
        with self.engine.connect() as connection:
            seq = connection.execute(VARIANT_SEQ, {"g": generation, "pid": variant_id}).scalar()
            entry = None if seq is None else read_entries(connection, generation, [seq]).get(seq)
        if entry is None:
            return None
        for row in entry[VARIANTS]:
            if row[V_ID] == variant_id and row[V_STATUS] == "active":
                return str(entry[ID])
        return None

    def counts(self, generation: int) -> tuple[int, int]:
        query = select(generations.c.products, generations.c.variants).where(
            generations.c.id == generation
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return (row[0], row[1]) if row else (0, 0)

    def current_source(self) -> str | None:
        """Where the catalog shoppers see was imported from (a path or URL), if anywhere."""
        query = select(generations.c.source).where(
            generations.c.id
            == select(current.c.generation).where(current.c.id == 1).scalar_subquery()
        )
        with self.engine.connect() as connection:
            return connection.execute(query).scalar()

    # -- feeds ---------------------------------------------------------------------------
    def feed_state(self, source: str) -> FeedState | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(feeds).where(feeds.c.source == source)).first()
        if row is None:
            return None
        return FeedState(
            row.source, row.etag, row.last_modified, row.fingerprint, row.generation, row.report
        )

    def feed_report(self, source: str) -> dict[str, Any] | None:
        """The summary the last kept import of ``source`` stored (``ImportReport.summary()``)."""
        with self.engine.connect() as connection:
            text = connection.execute(
                select(feeds.c.report).where(feeds.c.source == source)
            ).scalar()
        return orjson.loads(text) if text else None

    def remember_feed(self, connection: Connection, state: FeedState, now: datetime) -> None:
        values = {
            "etag": state.etag,
            "last_modified": state.last_modified,
            "fingerprint": state.fingerprint,
            "generation": state.generation,
            "imported_at": now,
            "report": state.report,
        }
        done = connection.execute(update(feeds).where(feeds.c.source == state.source), values)
        if done.rowcount == 0:
            connection.execute(insert(feeds), {"source": state.source, **values})

    # -- generations ---------------------------------------------------------------------
    def start_generation(self, source: str, now: datetime) -> int:
        with self.engine.begin() as connection:
            result = connection.execute(
                insert(generations).returning(generations.c.id),
                {
                    "state": "building",
                    "source": source,
                    "started_at": now,
                    "products": 0,
                    "variants": 0,
                    "rejected": 0,
                },
            )
            return int(result.scalar_one())

    def drop_generation(self, generation: int) -> None:
        with self.engine.begin() as connection:
            _drop(connection, generation)

    def retire_old(self, keep: int) -> None:
        """Delete finished generations other than ``keep`` and the current one.

        Imports still building stay; so does the current generation, which another process's
        import may have published after ours.
        """
        with self.engine.connect() as connection:
            now_current = connection.execute(_CURRENT).scalar()
            old = connection.execute(
                select(generations.c.id).where(
                    generations.c.id != keep, generations.c.state == "ready"
                )
            ).scalars()
            stale = [g for g in old if g != now_current]
        for generation in stale:
            self.drop_generation(generation)


def _ratings(connection: Connection, product_ids: list[str]) -> dict[str, tuple[int, int]]:
    if not product_ids:
        return {}
    query = select(ratings.c.product_id, ratings.c.count, ratings.c.total).where(
        ratings.c.product_id.in_(product_ids)
    )
    return {pid: (int(count), int(total)) for pid, count, total in connection.execute(query)}


def _drop(connection: Connection, generation: int) -> None:
    for table in (index_parts, ids, blocks):
        connection.execute(delete(table).where(table.c.generation == generation))
    connection.execute(delete(generations).where(generations.c.id == generation))


class IndexWriter:
    """Receives the serialised index piece by piece and stores it in rows of at most
    ``INDEX_PART_BYTES``; readers join the rows in ``part`` order.

    Small pieces are gathered into one row; a big piece (an array) is written from its own
    memory, so storing the index costs no second copy of it.
    """

    GATHER = 1 << 20

    def __init__(self, connection: Connection, generation: int) -> None:
        self.connection = connection
        self.generation = generation
        self.buffer = bytearray()
        self.part = 0

    def __call__(self, piece: memoryview | bytes) -> None:
        view = memoryview(piece).cast("B")
        if len(view) < self.GATHER:
            self.buffer += view
            if len(self.buffer) >= self.GATHER:
                self.flush()
            return
        self.flush()
        for start in range(0, len(view), INDEX_PART_BYTES):
            self._insert(view[start : start + INDEX_PART_BYTES])

    def flush(self) -> None:
        if self.buffer:
            self._insert(bytes(self.buffer))
            self.buffer = bytearray()

    def _insert(self, data: bytes | memoryview) -> None:
        self.connection.execute(
            insert(index_parts),
            {"generation": self.generation, "part": self.part, "data": data},
        )
        self.part += 1


def publish(
    connection: Connection, generation: int, now: datetime, counts: tuple[int, int, int]
) -> None:
    """Make ``generation`` the one shoppers see (inside the caller's transaction)."""
    connection.execute(
        update(generations)
        .where(generations.c.id == generation)
        .values(
            state="ready",
            finished_at=now,
            products=counts[0],
            variants=counts[1],
            rejected=counts[2],
        )
    )
    connection.execute(
        update(current).where(current.c.id == 1).values(generation=generation, updated_at=now)
    )


__all__ = [
    "PRODUCT",
    "PRODUCT_SEQ",
    "VARIANT",
    "VARIANT_SEQ",
    "CatalogStore",
    "FeedState",
    "IndexWriter",
    "active_variants",
    "epoch",
    "iter_entries",
    "product_of_entry",
    "publish",
    "read_entries",
]

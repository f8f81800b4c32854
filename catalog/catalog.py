"""The catalog a shop runs on: import feeds, search, recommend, look up products and offers.

    catalog = Catalog(engine)            # a migrated SQLite or PostgreSQL database
    catalog.import_path("feed.xml")      # re-imports only when the file changed
    result = catalog.search("lego", locale="pl", max_price=20000, in_stock=True)
    ideas = catalog.recommend(locale="en", age=8, budget=15000, interests="science")
    offer = catalog.offer("bw-fire-station", None, locale="pl", now=now)

Each process keeps the current generation's search index in memory and checks the
generation pointer at most once a second; after an import in any process it loads the new
index and swaps it in whole.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from catalog.importer import ImportReport, Progress, import_items
from catalog.index import SearchIndex, empty_index
from catalog.products import Product
from catalog.recommend import recommend as recommend_seqs
from catalog.records import AgeGroup, FeedItem, Gender, Offer
from catalog.search import Filters, Hit, SearchResult, rank
from catalog.store import CatalogStore, FeedState

logger = logging.getLogger(__name__)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def file_fingerprint(path: Path) -> str:
    """Size, mtime and SHA-256 of a file: an unchanged feed is not imported again."""
    stat = path.stat()
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return f"{stat.st_size}:{digest.hexdigest()}"


class Catalog:
    """Products of the current generation in a database, searched through an in-memory index."""

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], datetime] = _utcnow,
        refresh_seconds: float = 1.0,
    ) -> None:
        self.store = CatalogStore(engine)
        self.engine = engine
        self._clock = clock
        self._refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._loaded: tuple[int | None, SearchIndex] = (None, empty_index())
        self._checked = -1e18
        self.index_outdated = False

    def now(self) -> datetime:
        """The catalog's clock: prices in force are decided at this moment."""
        return self._clock()

    # -- the index of the current generation ---------------------------------------------
    @property
    def generation(self) -> int | None:
        """The generation shoppers see now (None before the first import)."""
        return self._current()[0]

    def _current(self, *, force: bool = False) -> tuple[int | None, SearchIndex]:
        if not force and time.monotonic() - self._checked < self._refresh_seconds:
            return self._loaded
        with self._lock:
            if not force and time.monotonic() - self._checked < self._refresh_seconds:
                return self._loaded
            generation = self.store.current_generation()
            if generation != self._loaded[0]:
                blob = self.store.load_index_blob(generation) if generation else None
                try:
                    index = SearchIndex.from_bytes(blob) if blob else empty_index()
                    self.index_outdated = False
                except (ValueError, KeyError):
                    # Written by another version of shopchat: search nothing until the next
                    # import rebuilds it (import_path re-imports even an unchanged feed).
                    logger.warning("catalog generation %s has an unreadable index", generation)
                    index = empty_index()
                    self.index_outdated = True
                # Prices in force now, per product: built here so no shopper waits for it
                # (it is rebuilt, ~50 ms at a million items, when a sale window opens or ends).
                index.now_columns(int(self._clock().timestamp()))
                self._loaded = (generation, index)
            self._checked = time.monotonic()
            return self._loaded

    def _products(self, seqs: list[int]) -> tuple[list[Product], int | None]:
        """Load products by seq from the generation the index belongs to.

        If an import deleted that generation meanwhile, reload the new index and say so
        (None) so the caller asks again: never a mix of two generations.
        """
        generation, _ = self._current()
        if generation is None or not seqs:
            return [], generation
        found = self.store.products_by_seq(generation, seqs)
        if len(found) < len(seqs):
            self._current(force=True)
            if self._loaded[0] != generation:
                return [], None
        return [found[s] for s in seqs if s in found], generation

    # -- shopper-facing queries ----------------------------------------------------------
    def search(
        self,
        query: str = "",
        *,
        min_price: int | None = None,
        max_price: int | None = None,
        in_stock: bool = False,
        age: int | None = None,
        age_group: AgeGroup | str | None = None,
        gender: Gender | str | None = None,
        brand: str | None = None,
        category: str | None = None,
        limit: int = 10,
        offset: int = 0,
        facets: bool = True,
        now: datetime | None = None,
    ) -> SearchResult:
        """Products matching ``query`` and the filters, best first; see :mod:`catalog.search`.

        Filters apply per variant: a hit carries only its variants that pass. Prices are the
        ones in force at ``now`` (sale prices inside their window), in minor units.
        """
        filters = Filters(
            min_price=min_price,
            max_price=max_price,
            in_stock=in_stock,
            age=age,
            age_group=AgeGroup(age_group) if age_group else None,
            gender=Gender(gender) if gender else None,
            brand=brand,
            category=category,
        )
        moment = now or self._clock()
        for _attempt in range(3):
            _, index = self._current()
            ranked = rank(
                index, query, filters, now=moment, limit=max(limit, 0), offset=offset, facets=facets
            )
            products, generation = self._products(ranked.seqs)
            if generation is None and ranked.seqs:
                continue  # a new generation arrived between ranking and loading
            hits = [
                Hit(p, tuple(v for v in p.variants if filters.accepts(v, moment)))
                if filters.on_variants
                else Hit(p, p.variants)
                for p in products
            ]
            return SearchResult(ranked.total, hits, ranked.facets)
        return SearchResult(0, [], ranked.facets)

    def recommend(
        self,
        *,
        recipient: str | None = None,
        age: int | None = None,
        gender: str | None = None,
        budget: int | None = None,
        interests: str | Sequence[str] | None = None,
        limit: int = 6,
        now: datetime | None = None,
    ) -> list[Product]:
        """A short, varied list of in-stock gift ideas; see :mod:`catalog.recommend`."""
        moment = now or self._clock()
        for _attempt in range(3):
            _, index = self._current()
            seqs = recommend_seqs(
                index,
                now=moment,
                recipient=recipient,
                age=age,
                gender=gender,
                budget=budget,
                interests=interests,
                limit=limit,
            )
            products, generation = self._products(seqs)
            if generation is not None or not seqs:
                return products
        return []

    def get(self, product_id: str) -> Product | None:
        """An active product by id, or None."""
        if not isinstance(product_id, str) or not product_id.strip():
            return None
        generation = self.generation
        if generation is None:
            return None
        found = self.store.product(generation, product_id.strip())
        if found is None and self._current(force=True)[0] != generation:
            return self.get(product_id)
        return found

    def offer(
        self, product_id: str, variant_id: str | None, *, locale: str, now: datetime
    ) -> Offer | None:
        """What checkout sells: the price in force at ``now`` (see :class:`Offer`).

        ``variant_id`` None names a product without variants; for a product with variants it
        gives None, as does an unknown or draft product or a variant of another product.
        """
        product = self.get(product_id)
        if product is None:
            return None
        variant = product.variant(variant_id)
        if variant is None:
            return None
        title = product.title_for(locale)
        label = variant.label_for(locale)
        if label and not product.standalone:
            title = f"{title} – {label}"
        return Offer(
            product_id=product.id,
            variant_id=None if product.standalone and variant_id is None else variant.id,
            title=title,
            price=variant.price_at(now),
            regular_price=variant.price,
            currency=product.currency,
            availability=variant.availability,
            image=variant.image or product.image,
            quantity=variant.quantity,
        )

    # -- imports -------------------------------------------------------------------------
    def import_items(
        self,
        items: Iterable[FeedItem],
        *,
        source: str = "items",
        format: str = "",
        feed_state: FeedState | None = None,
        progress: Progress | None = None,
    ) -> ImportReport:
        """Import ``items`` as the new catalog (see :func:`catalog.importer.import_items`)."""
        report = import_items(
            self.engine,
            items,
            source=source,
            format=format,
            feed_state=feed_state,
            progress=progress,
            clock=self._clock,
        )
        index, report.index = report.index, None
        with self._lock:
            if index is not None and report.generation is not None:
                self._loaded = (report.generation, index)
                self.index_outdated = False
        self._current(force=True)
        return report

    def import_path(
        self,
        path: str | Path,
        *,
        format: str | None = None,
        currency: str | None = None,
        force: bool = False,
        progress: Progress | None = None,
    ) -> ImportReport:
        """Import a feed file unless it is unchanged since its last import (``unchanged``).

        ``.jsonl`` files are read by :class:`catalog.jsonl.JsonlFeed`; every other format by
        ``catalog.feeds.read_feed`` (Google XML/TSV, Meta CSV, Shopify CSV).
        """
        path = Path(path).resolve()
        source = str(path)
        fingerprint = file_fingerprint(path)
        known = self.store.feed_state(source)
        if (
            not force
            and known is not None
            and known.fingerprint == fingerprint
            and known.generation is not None
            and known.generation == self._current(force=True)[0]
            and not self.index_outdated
        ):
            return ImportReport(format=format or "", unchanged=True, generation=known.generation)
        reader = open_feed(path, format=format, currency=currency)
        return self.import_items(
            reader,
            source=source,
            format=getattr(reader, "format", format or ""),
            feed_state=FeedState(source, None, None, fingerprint, None),
            progress=progress,
        )

    async def import_url(
        self,
        url: str,
        dest: Path,
        *,
        client: Any,
        format: str | None = None,
        currency: str | None = None,
        progress: Progress | None = None,
    ) -> ImportReport:
        """Download a feed with a conditional GET; an unchanged feed is not imported again."""
        import asyncio

        from catalog import feeds  # type: ignore[attr-defined]

        known = self.store.feed_state(url)
        fresh = known is not None and known.generation == self.generation
        fetched = await feeds.fetch_feed(
            url,
            dest,
            etag=known.etag if fresh and known else None,
            last_modified=known.last_modified if fresh and known else None,
            client=client,
        )
        if fetched.not_modified:
            return ImportReport(format=format or "", unchanged=True, generation=self.generation)
        reader = open_feed(Path(fetched.path), format=format, currency=currency)
        state = FeedState(url, fetched.etag, fetched.last_modified, None, None)
        return await asyncio.to_thread(
            self.import_items,
            reader,
            source=url,
            format=getattr(reader, "format", format or ""),
            feed_state=state,
            progress=progress,
        )


def open_feed(path: Path, *, format: str | None, currency: str | None) -> Iterable[FeedItem]:
    """A reader for the feed at ``path``.

    JSON Lines in the example shop's shape (titles by locale, nested ``variants``) is read by
    :class:`catalog.jsonl.JsonlFeed`; everything else by ``catalog.feeds.read_feed``.
    """
    if format in (None, "jsonl") and _is_shop_jsonl(path):
        from catalog.jsonl import JsonlFeed

        return JsonlFeed(path)
    from catalog import feeds  # type: ignore[attr-defined]

    reader: Iterable[FeedItem] = feeds.read_feed(path, format=format, currency=currency)
    return reader


def _is_shop_jsonl(path: Path) -> bool:
    if path.suffix.lower() not in (".jsonl", ".ndjson"):
        return False
    try:
        with path.open(encoding="utf-8-sig") as handle:
            first = next((line for line in handle if line.strip()), "")
        row = json.loads(first)
    except (OSError, UnicodeDecodeError, ValueError):
        return True  # let JsonlFeed report what is wrong with it
    return not isinstance(row, dict) or isinstance(row.get("title"), dict) or "variants" in row


__all__ = ["Catalog", "file_fingerprint", "open_feed"]

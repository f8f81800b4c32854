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
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from sqlalchemy import Engine

from catalog.importer import ImportReport, ImportRules, Progress, import_items
from catalog.index import SearchIndex, empty_index
from catalog.products import Product
from catalog.recommend import recommend as recommend_seqs
from catalog.records import AgeGroup, FeedItem, Gender, Offer
from catalog.reviews import Review
from catalog.search import Filters, Hit, SearchResult, rank
from catalog.store import CatalogStore, FeedState
from shoptext import FOLD_VERSION

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
        # Average rating in tenths of a star per product seq (0: none), and what it was built
        # from: (generation, reviews_at).
        self._ratings: tuple[Any, npt.NDArray[np.int16] | None] = (None, None)
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
            generation, reviews_at = self.store.current_state()
            if generation != self._loaded[0]:
                blob = self.store.load_index_blob(generation) if generation else None
                try:
                    index = SearchIndex.from_bytes(blob) if blob else empty_index()
                    # Words folded by another version of shoptext.fold: search works on
                    # (the changes are rare characters) until the next import re-indexes.
                    self.index_outdated = index.fold_version != FOLD_VERSION
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
            if self._ratings[0] != (generation, reviews_at):
                self._ratings = ((generation, reviews_at), self._rating_column(generation))
            self._checked = time.monotonic()
            return self._loaded

    def _rating_column(self, generation: int | None) -> npt.NDArray[np.int16] | None:
        rated = self.store.ratings_by_seq(generation) if generation is not None else []
        if not rated:
            return None
        column = np.zeros(self._loaded[1].n_products, dtype=np.int16)
        for seq, count, total in rated:
            if 0 <= seq < len(column):
                column[seq] = round(total / count)
        return column

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
        min_rating: float | None = None,
        sort: str = "relevance",
        limit: int = 10,
        offset: int = 0,
        facets: bool = True,
        now: datetime | None = None,
    ) -> SearchResult:
        """Products matching ``query`` and the filters, best first; see :mod:`catalog.search`.

        Filters apply per variant: a hit carries only its variants that pass. Prices are the
        ones in force at ``now`` (sale prices inside their window), in minor units.
        ``min_rating`` keeps products whose reviews average at least that many stars;
        ``sort="rating"`` puts the best rated first (then relevance).
        """
        if sort not in ("relevance", "rating"):
            raise ValueError(f"sort must be relevance or rating, not {sort!r}")
        filters = Filters(
            min_price=min_price,
            max_price=max_price,
            in_stock=in_stock,
            age=age,
            age_group=AgeGroup(age_group) if age_group else None,
            gender=Gender(gender) if gender else None,
            brand=brand,
            category=category,
            min_rating=None if min_rating is None else int(round(min_rating * 10)),
        )
        moment = now or self._clock()
        for _attempt in range(3):
            _, index = self._current()
            ratings = self._ratings[1]
            if ratings is not None and len(ratings) != index.n_products:
                ratings = None  # built for the generation before: a moment's gap
            ranked = rank(
                index,
                query,
                filters,
                now=moment,
                limit=max(limit, 0),
                offset=offset,
                facets=facets,
                ratings=ratings,
                by_rating=sort == "rating",
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
        label = product.variant_label(variant, locale)
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

    def retailer_offer(self, retailer_id: str, *, locale: str, now: datetime) -> Offer | None:
        """The offer a platform catalog's retailer id names (a WhatsApp order's
        ``product_retailer_id``: the feed's ``id``, so a product or a variant id), or None.

        A product id names a product without variants, or one whose only variant is active;
        a product with several variants needs the variant's id.
        """
        rid = retailer_id.strip() if isinstance(retailer_id, str) else ""
        if not rid:
            return None
        product = self.get(rid)
        if product is not None:
            if product.standalone:
                return self.offer(rid, None, locale=locale, now=now)
            if len(product.variants) == 1:
                return self.offer(rid, product.variants[0].id, locale=locale, now=now)
        generation = self.generation
        if generation is None:
            return None
        owner = self.store.product_of_variant(generation, rid)
        return None if owner is None else self.offer(owner, rid, locale=locale, now=now)

    def reviews(self, product_id: str, *, locale: str, limit: int = 3) -> list[Review]:
        """The best recent reviews of a product for a shopper reading ``locale``: the better
        rated, then the newer, of those in the shopper's language (of all, when none is)."""
        language = locale.replace("_", "-").split("-", 1)[0].lower()
        found = [
            Review(
                product_id=product_id,
                rating=row.rating / 10,
                title=row.title,
                text=row.text,
                author=row.author,
                locale=row.locale,
                reviewed_at=row.reviewed_at,
            )
            for row in self.store.reviews(product_id)
            if row.text or row.title
        ]
        oldest = datetime.min.replace(tzinfo=UTC)

        def order(review: Review) -> tuple[bool, int, float]:
            same = review.locale.replace("_", "-").split("-", 1)[0].lower() == language
            return (not same, -round(review.rating), -(review.reviewed_at or oldest).timestamp())

        ranked = sorted(found, key=order)
        if ranked and not order(ranked[0])[0]:  # some in the shopper's language: only those
            ranked = [r for r in ranked if not order(r)[0]]
        return ranked[: max(limit, 0)]

    def import_reviews(
        self, path: str | Path, *, rules: ImportRules | None = None, changed_only: bool = False
    ) -> ImportReport:
        """Import a reviews file (Google Product Ratings XML or CSV); see :mod:`catalog.reviews`.

        ``changed_only``: skip a file unchanged since its last import (``unchanged``), as
        ``shop.yaml``'s ``catalog.reviews`` is imported at every start.
        """
        from catalog.reviews import import_reviews

        rules = rules or ImportRules()
        path = Path(path).resolve()
        if not path.is_file():
            from catalog.feeds.errors import FeedError

            raise FeedError(path, "reviews file not found; check the path")
        source = "reviews:" + str(path)
        fingerprint = file_fingerprint(path) + rules.fingerprint
        known = self.store.feed_state(source)
        if changed_only and known is not None and known.fingerprint == fingerprint:
            stored = known.report and ImportReport.from_summary(orjson.loads(known.report))
            return replace(stored or ImportReport(), unchanged=True)
        report = import_reviews(
            self.engine,
            path,
            locale=rules.locale,
            max_rejected=rules.max_rejected,
            now=self._clock(),
        )
        state = FeedState(
            source, None, None, fingerprint, None, orjson.dumps(report.summary()).decode()
        )
        with self.engine.begin() as connection:
            self.store.remember_feed(connection, state, self._clock())
        self._current(force=True)
        return report

    # -- imports -------------------------------------------------------------------------
    def import_items(
        self,
        items: Iterable[FeedItem],
        *,
        source: str = "items",
        format: str = "",
        feed_state: FeedState | None = None,
        progress: Progress | None = None,
        rules: ImportRules | None = None,
    ) -> ImportReport:
        """Import ``items`` as the new catalog (see :func:`catalog.importer.import_items`)."""
        rules = rules or ImportRules()
        report = import_items(
            self.engine,
            items,
            source=source,
            format=format,
            feed_state=feed_state,
            progress=progress,
            clock=self._clock,
            locale=rules.locale,
            max_rejected=rules.max_rejected,
            allow_empty=rules.allow_empty,
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
        rules: ImportRules | None = None,
        force: bool = False,
        changed_only: bool = False,
        progress: Progress | None = None,
    ) -> ImportReport:
        """Import a feed file unless it is unchanged since its last import (``unchanged``).

        Every format is read by ``catalog.feeds.read_feed`` (Google XML/TSV, Meta CSV/TSV,
        Shopify CSV, JSON Lines). ``rules`` are the shop's (currency, locale, time zone) and
        the merchant's limits; ``currency`` overrides the rules' one. An unchanged file is
        imported again when another import replaced it since, unless ``changed_only`` (how
        ``shop.yaml``'s feed is imported: a hand import then stays until the file changes).
        A change of the rules counts as a change of the file.
        """
        rules = _with_currency(rules, currency)
        path = Path(path).resolve()
        source = str(path)
        fingerprint = file_fingerprint(path) + rules.fingerprint
        known = self.store.feed_state(source)
        if not force and known is not None and known.fingerprint == fingerprint:
            current = self._current(force=True)[0]
            if not self.index_outdated and (
                changed_only or (known.generation is not None and known.generation == current)
            ):
                return ImportReport(format=format or "", unchanged=True, generation=current)
        reader = open_feed(path, format=format, currency=rules.currency, timezone=rules.timezone)
        return self.import_items(
            reader,
            source=source,
            format=getattr(reader, "format", format or ""),
            feed_state=FeedState(source, None, None, fingerprint, None),
            progress=progress,
            rules=rules,
        )

    def set_aside(self, path: str | Path, rules: ImportRules | None = None) -> None:
        """Take the feed file at ``path`` as seen in its current state without importing it:
        an import with ``changed_only`` skips it until it changes (a hand import replacing
        ``shop.yaml``'s feed stays until the merchant edits that feed)."""
        path = Path(path).resolve()
        fingerprint = file_fingerprint(path) + (rules or ImportRules()).fingerprint
        known = self.store.feed_state(str(path))
        if known is not None and known.fingerprint == fingerprint:
            return
        state = FeedState(str(path), None, None, fingerprint, None)
        with self.engine.begin() as connection:
            self.store.remember_feed(connection, state, self._clock())

    async def import_url(
        self,
        url: str,
        dest: Path,
        *,
        client: Any,
        format: str | None = None,
        currency: str | None = None,
        rules: ImportRules | None = None,
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
        rules = _with_currency(rules, currency)
        reader = open_feed(
            Path(fetched.path), format=format, currency=rules.currency, timezone=rules.timezone
        )
        state = FeedState(url, fetched.etag, fetched.last_modified, None, None)
        return await asyncio.to_thread(
            self.import_items,
            reader,
            source=url,
            format=getattr(reader, "format", format or ""),
            feed_state=state,
            progress=progress,
            rules=rules,
        )


def _with_currency(rules: ImportRules | None, currency: str | None) -> ImportRules:
    rules = rules or ImportRules()
    return replace(rules, currency=currency) if currency else rules


def open_feed(
    path: Path, *, format: str | None, currency: str | None, timezone: str | None = None
) -> Iterable[FeedItem]:
    """A reader for the feed at ``path`` (see :func:`catalog.feeds.read_feed`)."""
    from catalog import feeds  # type: ignore[attr-defined]

    reader: Iterable[FeedItem] = feeds.read_feed(
        path, format=format, currency=currency, timezone=timezone
    )
    return reader


__all__ = ["Catalog", "file_fingerprint", "open_feed"]

"""Feed importers: Google Merchant XML/TSV, Meta CSV/TSV, Shopify CSV and JSON Lines.

    reader = read_feed(Path("products.xml"), currency="PLN")
    for item in reader:            # FeedItem, streamed: a million items never sit in memory
        store.add(item)
    reader.problems                # rejected rows (severity "error") and warnings

A bad row is a :class:`~catalog.records.Problem` and is skipped; a broken file (truncated,
malformed XML, entity declarations, not a feed) raises :class:`FeedError`, possibly after some
items were yielded, so import inside a transaction and drop it on ``FeedError``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Any, TypeVar

from catalog.feeds.delimited import read_delimited
from catalog.feeds.errors import FeedError
from catalog.feeds.fetch import FetchResult, fetch_feed
from catalog.feeds.google_xml import read_google_xml
from catalog.feeds.jsonl import read_jsonl
from catalog.feeds.offers import GOOGLE, JSONL, META, SHOPIFY, Limits, OfferBuilder
from catalog.feeds.shopify import read_shopify_csv
from catalog.feeds.sniff import FORMATS, detect_format
from catalog.feeds.values import check_currency, time_zone
from catalog.records import FeedItem, Problem

T = TypeVar("T")
Reader = Callable[[Path, OfferBuilder, list[int]], Iterator[FeedItem]]

_READERS: dict[str, tuple[Limits, Reader]] = {
    "google_xml": (GOOGLE, read_google_xml),
    "google_tsv": (GOOGLE, lambda p, b, c: read_delimited(p, "\t", b, c)),
    "meta_csv": (META, lambda p, b, c: read_delimited(p, ",", b, c)),
    "meta_tsv": (META, lambda p, b, c: read_delimited(p, "\t", b, c)),
    "shopify_csv": (SHOPIFY, read_shopify_csv),
    "jsonl": (JSONL, read_jsonl),
}


class FeedReader:
    """The items of one feed file, read as they are iterated; problems collect meanwhile."""

    # Every format builds its items with OfferBuilder, which rejects a repeated id: the
    # importer need not look for duplicates again.
    unique_ids = True

    def __init__(self, path: Path, format: str, currency: str | None, zone: tzinfo = UTC):
        self.path = path
        self.format = format
        self.currency = currency
        self.zone = zone
        self.problems: list[Problem] = []
        self._counter = [0]

    @property
    def rows(self) -> int:
        """Rows (items, in XML) seen so far, kept or rejected."""
        return self._counter[0]

    def __iter__(self) -> Iterator[FeedItem]:
        return self._read(None)

    def map(self, transform: Callable[[FeedItem], T]) -> Iterator[T]:
        """``transform(item)`` of each item, in order.

        A big Google XML feed is parsed and built into items by two more processes, the
        second of which runs ``transform`` too, so only its (small) results come back to
        this one: pass a module-level function. For other feeds it is ``map(transform, reader)``.
        """
        if self.format == "google_xml":
            return self._read(transform)
        return map(transform, self._read(None))

    def _read(self, transform: Callable[[FeedItem], Any] | None) -> Iterator[Any]:
        limits, reader = _READERS[self.format]
        self.problems = []
        self._counter = [0]
        builder = OfferBuilder(
            str(self.path), limits, self.currency, zone=self.zone, problems=self.problems
        )
        if _is_empty(self.path):
            # Not fatal: zero products is a catalog the store may refuse or accept.
            builder.warn(0, None, "the feed file is empty: no products")
            return
        try:
            if transform is not None:
                yield from read_google_xml(self.path, builder, self._counter, transform)
            else:
                yield from reader(self.path, builder, self._counter)
        except OSError as exc:
            raise FeedError(self.path, f"cannot read the feed: {exc.strerror or exc}") from None


_EMPTY_FORMAT = "jsonl"  # any format reads an empty file as no rows


def _is_empty(path: Path) -> bool:
    try:
        with path.open("rb") as raw:
            head = raw.read(64)
    except OSError:
        return False  # reported when read
    return not head.removeprefix(b"\xef\xbb\xbf").strip()


def read_feed(
    path: Path,
    *,
    format: str | None = None,
    currency: str | None = None,
    timezone: str | None = None,
) -> FeedReader:
    """A reader for ``path``; ``format`` is sniffed when None. ``currency`` is the shop's:
    prices without one are in it and prices in another are rejected; ``timezone`` (an IANA
    name) is the shop's: dates without an offset are in it."""
    path = Path(path)
    if format is None:
        format = _EMPTY_FORMAT if _is_empty(path) else detect_format(path)
    elif format not in FORMATS:
        raise FeedError(path, f"unknown feed format {format!r}; use one of {', '.join(FORMATS)}")
    if currency is not None:
        try:
            currency = check_currency(currency)
        except ValueError as exc:
            raise FeedError(path, f"--currency: {exc}") from None
    try:
        zone = time_zone(timezone)
    except ValueError as exc:
        raise FeedError(path, f"timezone: {exc}") from None
    if not path.is_file():
        raise FeedError(path, "feed file not found; check the path")
    return FeedReader(path, format, currency, zone)


__all__ = [
    "FORMATS",
    "FeedError",
    "FeedReader",
    "FetchResult",
    "detect_format",
    "fetch_feed",
    "read_feed",
]

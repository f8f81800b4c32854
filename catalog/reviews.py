"""Shoppers' reviews: imported from the merchant's file, shown as ratings and quotes in chat.

    report = import_reviews(engine, Path("reviews.xml"), locale="pl")   # all or nothing
    Catalog(engine).reviews("bw-fire-station", locale="pl", limit=3)

Two formats, told apart by their first bytes:

* **Google's Product Ratings feed** (XML, schema 2.x, what merchants export for Google
  Shopping): ``<feed><reviews><review>`` with ``<review_id>``, ``<reviewer><name>``,
  ``<review_timestamp>``, ``<title>``, ``<content>``, ``<ratings><overall min max>`` and
  ``<products><product><product_ids>`` (``<skus><sku>``, ``<gtins><gtin>``, ``<mpns>``), or a
  ``<product_url>``. A review names the product by a SKU that is a product or variant id of
  the catalog, by a GTIN one of its variants carries, or by its product URL. The review's
  language is its ``xml:lang``, else the shop's default locale.
* **CSV** with a header: ``product_id, rating, title, text, author, date, locale`` (also
  ``review``/``content``/``body`` for text, ``name`` for author, ``stars`` for rating); ratings
  are 1-5 (halves allowed), dates ISO 8601.

Ratings are kept in tenths of a star (``overall 4.4`` of 1-5 -> 44; 8 of 1-10 -> 42). A file
is a full set: its reviews replace the ones an earlier import of the same file brought, in
one transaction, and every product's average and count are recomputed. Bad rows (no or
unknown product, a rating out of range, no text and no rating) are rejected with their line;
when more than ``max_rejected`` of the rows are, nothing changes (:class:`ImportRefused`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import orjson
from lxml import etree
from sqlalchemy import Engine, delete, func, insert, select, update

from catalog import store as tables
from catalog.blocks import DATA, ID, STATUS, V_DATA, V_ID, VARIANTS
from catalog.errors import ImportRefused
from catalog.feeds.errors import FeedError
from catalog.feeds.google_xml import check_prolog, source_line, syntax_error
from catalog.feeds.values import collapse, html_to_text, looks_like_html, parse_datetime
from catalog.importer import DEFAULT_MAX_REJECTED, ImportReport
from catalog.records import Problem

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MAX_TEXT = 5000


@dataclass(frozen=True, slots=True)
class Review:
    """One shopper's review of a product; ``rating`` is in stars (1.0-5.0)."""

    product_id: str
    rating: float
    title: str
    text: str
    author: str
    locale: str
    reviewed_at: datetime | None


@dataclass(slots=True)
class _Row:
    line: int
    review_id: str | None
    skus: list[str] = field(default_factory=list)
    gtins: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    rating: str = ""
    low: str = "1"
    high: str = "5"
    title: str = ""
    text: str = ""
    author: str = ""
    locale: str = ""
    date: str = ""


def _google_rows(path: Path) -> Iterator[_Row]:
    with path.open("rb") as raw:
        check_prolog(raw.read(65_536), str(path))
    parser = etree.iterparse(
        str(path),
        events=("end",),
        tag="review",
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
    )
    try:
        for _, elem in parser:
            row = _Row(source_line(elem), elem.findtext("review_id"))
            row.author = elem.findtext("reviewer/name") or ""
            row.date = elem.findtext("review_timestamp") or ""
            row.title = elem.findtext("title") or ""
            row.text = elem.findtext("content") or ""
            row.locale = elem.get(XML_LANG) or elem.findtext("review_language") or ""
            overall = elem.find("ratings/overall")
            if overall is not None:
                row.rating = overall.text or ""
                row.low, row.high = overall.get("min", "1"), overall.get("max", "5")
            for product in elem.iterfind("products/product"):
                row.skus += [
                    s.text.strip() for s in product.iterfind("product_ids/skus/sku") if s.text
                ]
                row.gtins += [
                    g.text.strip() for g in product.iterfind("product_ids/gtins/gtin") if g.text
                ]
                url = product.findtext("product_url")
                if url:
                    row.urls.append(url.strip())
            yield row
            elem.clear(keep_tail=True)
    except etree.XMLSyntaxError as exc:
        raise syntax_error(exc.lineno, exc.msg or str(exc), str(path)) from None


_CSV_COLUMNS = {
    "product_id": "product",
    "product id": "product",
    "product": "product",
    "id": "product",
    "sku": "product",
    "rating": "rating",
    "stars": "rating",
    "score": "rating",
    "title": "title",
    "text": "text",
    "review": "text",
    "content": "text",
    "body": "text",
    "author": "author",
    "name": "author",
    "reviewer": "author",
    "date": "date",
    "reviewed_at": "date",
    "created_at": "date",
    "locale": "locale",
    "language": "locale",
    "lang": "locale",
}


def _csv_rows(path: Path, problems: list[Problem]) -> Iterator[_Row]:
    with path.open(encoding="utf-8-sig", newline="") as text:
        reader = csv.reader(text)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise FeedError(path, f"not a CSV file: {exc}", 1) from None
        if header is None:
            return
        fields = [_CSV_COLUMNS.get(" ".join(c.strip().lower().split())) for c in header]
        if "product" not in fields or "rating" not in fields:
            raise FeedError(
                path,
                "the header must name at least product_id and rating (then title, text, "
                "author, date, locale)",
                1,
            )
        previous = reader.line_num
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise FeedError(path, f"malformed CSV: {exc}", previous + 1) from None
            line, previous = previous + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            values = {f: cells[i].strip() for i, f in enumerate(fields) if f and i < len(cells)}
            row = _Row(line, None, rating=values.get("rating", ""), low="1", high="5")
            if values.get("product"):
                row.skus.append(values["product"])
            row.title, row.text = values.get("title", ""), values.get("text", "")
            row.author, row.date = values.get("author", ""), values.get("date", "")
            row.locale = values.get("locale", "")
            yield row


def _rating(row: _Row) -> int:
    """Tenths of a star, 10-50, from the row's rating on its own scale."""
    try:
        value, low, high = (
            Decimal(row.rating.replace(",", ".")),
            Decimal(row.low),
            Decimal(row.high),
        )
    except InvalidOperation:
        raise ValueError(f"rating {row.rating!r} is not a number") from None
    if high <= low or not low <= value <= high:
        raise ValueError(f"rating {row.rating} is outside {row.low}-{row.high}")
    stars = 1 + (value - low) * 4 / (high - low)
    return int((stars * 10).to_integral_value())


class _Products:
    """The current catalog's products by id, variant id, GTIN and link (built once)."""

    def __init__(self, engine: Engine, generation: int | None) -> None:
        self.ids: dict[str, str] = {}
        self.gtins: dict[str, str] = {}
        self.links: dict[str, str] = {}
        if generation is None:
            return
        # Products first, then variants: a product's own id and link win over a variant's.
        for entry in tables.iter_entries(engine, generation):
            if entry[STATUS] == "active":
                pid = entry[ID]
                self.ids[pid] = pid
                link = orjson.loads(entry[DATA]).get("link")
                if link:
                    self.links.setdefault(link, pid)
        for entry in tables.iter_entries(engine, generation):
            if entry[STATUS] != "active":
                continue  # a draft
            pid = entry[ID]
            for row in entry[VARIANTS]:
                self.ids.setdefault(row[V_ID], pid)
                parsed = orjson.loads(row[V_DATA])
                gtin = (parsed.get("attributes") or {}).get("gtin")
                if gtin:
                    self.gtins.setdefault(gtin.lstrip("0"), pid)
                if parsed.get("link"):
                    self.links.setdefault(parsed["link"], pid)

    def find(self, row: _Row) -> str | None:
        for sku in row.skus:
            if sku in self.ids:
                return self.ids[sku]
        for gtin in row.gtins:
            if gtin.lstrip("0") in self.gtins:
                return self.gtins[gtin.lstrip("0")]
        for url in row.urls:
            if url in self.links:
                return self.links[url]
        return None


def read_reviews(path: Path) -> tuple[str, Iterator[_Row], list[Problem]]:
    """The file's format (``google_reviews`` or ``csv``), its rows and a list problems fill."""
    path = Path(path)
    if not path.is_file():
        raise FeedError(path, "reviews file not found; check the path")
    with path.open("rb") as raw:
        head = raw.read(4096).removeprefix(b"\xef\xbb\xbf").lstrip()
    problems: list[Problem] = []
    if head.startswith(b"<"):
        return "google_reviews", _google_rows(path), problems
    return "csv", _csv_rows(path, problems), problems


def import_reviews(
    engine: Engine,
    path: Path,
    *,
    locale: str = "",
    max_rejected: float = DEFAULT_MAX_REJECTED,
    now: datetime | None = None,
) -> ImportReport:
    """Replace the reviews ``path`` brought before with the ones it has now (see the module
    docstring); returns the counts and rejected rows, or raises ``ImportRefused``/``FeedError``
    with nothing changed."""
    path = Path(path).resolve()
    source = str(path)
    format, rows, problems = read_reviews(path)
    catalog_store = tables.CatalogStore(engine)
    products = _Products(engine, catalog_store.current_generation())
    report = ImportReport(format=format, rejected=problems)
    kept: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for row in rows:
        report.rows += 1
        reason = None
        product = products.find(row)
        named = row.skus or row.gtins or row.urls
        shown = named[0] if named else None
        if not (row.skus or row.gtins or row.urls):
            reason = "no product id (sku, gtin or product URL)"
        elif product is None:
            reason = f"no product {shown!r} in the catalog"
        elif row.review_id and row.review_id in seen:
            reason = f"duplicate review_id {row.review_id!r} (first on line {seen[row.review_id]})"
        else:
            try:
                rating = _rating(row)
                when = parse_datetime(row.date) if row.date.strip() else None
            except ValueError as exc:
                reason = str(exc)
        if reason is not None:
            problems.append(Problem(row.line, shown, reason, "error", source))
            continue
        if row.review_id:
            seen[row.review_id] = row.line
        text = html_to_text(row.text) if looks_like_html(row.text) else collapse(row.text)
        kept.append(
            {
                "product_id": product,
                "review_id": row.review_id,
                "rating": rating,
                "title": collapse(row.title)[:500],
                "text": text[:MAX_TEXT],
                "author": collapse(row.author)[:255],
                "locale": (row.locale or locale).strip()[:16],
                "reviewed_at": when,
                "source": source,
            }
        )
    report.rejected.sort(key=lambda p: p.line)
    report.products = len({r["product_id"] for r in kept})
    report.variants = len(kept)  # reviews kept
    report.sellable = report.products
    rejected = report.rejected_count
    if report.rows and rejected / report.rows > max_rejected:
        raise ImportRefused(
            [
                f"{rejected:,} of {report.rows:,} reviews were rejected "
                f"({rejected / report.rows:.0%}), more than the {max_rejected:.0%} allowed "
                "(--max-rejected)"
            ],
            report,
        )
    r = tables.reviews.c
    with engine.begin() as connection:
        connection.execute(delete(tables.reviews).where(r.source == source))
        if kept:
            connection.execute(insert(tables.reviews), kept)
        connection.execute(delete(tables.ratings))
        totals = select(r.product_id, func.count(), func.sum(r.rating)).group_by(r.product_id)
        connection.execute(
            insert(tables.ratings).from_select(["product_id", "count", "total"], totals)
        )
        connection.execute(
            update(tables.current)
            .where(tables.current.c.id == 1)
            .values(reviews_at=now or datetime.now(UTC))
        )
    return report


__all__ = ["Review", "import_reviews", "read_reviews"]

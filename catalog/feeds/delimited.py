"""Delimited feeds: Google Merchant TSV, Meta CSV and TSV (one header row, one offer a row).

``read_rows`` is shared with the Shopify reader: it yields each row with the physical line it
starts on (quoted cells may hold newlines, tabs and doubled quotes), rejects rows with bytes
that are not UTF-8, and raises :class:`FeedError` when the file ends inside a quoted cell.

Meta's own templates (Commerce Manager's "download template", in any language) start with an
instruction row whose cells read ``# Required | ...`` / ``# Obligatorio | ...``, and feeds may
carry ``# ref_application_id ...`` comment lines: rows whose first cell starts with ``#``
before the header are skipped. Column names are resolved by :mod:`catalog.feeds.columns`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from catalog.feeds.columns import column_field
from catalog.feeds.errors import FeedError
from catalog.feeds.offers import OfferBuilder
from catalog.records import FeedItem

# csv refuses longer cells with an error; one that long is an unclosed quote swallowing rows.
# (field_size_limit is process-wide: only ever raise it.)
CSV_FIELD_LIMIT = 1 << 20
if csv.field_size_limit() < CSV_FIELD_LIMIT:
    csv.field_size_limit(CSV_FIELD_LIMIT)

_IGNORED_QUIETLY = frozenset({"fb_product_category"})


def read_rows(
    path: Path, delimiter: str, builder: OfferBuilder
) -> Iterator[tuple[int, list[str] | None]]:
    """``(line, cells)`` for each non-blank row; ``cells`` is None for a row already reported
    to ``builder`` (bad quoting, bad bytes), so callers still count it."""
    name = builder.file
    with path.open("r", encoding="utf-8-sig", errors="surrogateescape", newline="") as text:
        reader = csv.reader(text, delimiter=delimiter, strict=True)
        previous = 0
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                start, previous = previous + 1, reader.line_num
                message = str(exc)
                if "unexpected end of data" in message:
                    raise FeedError(
                        name,
                        "the file ends inside a quoted cell that starts on this line: a quote "
                        "is not closed, or the file is truncated; nothing was imported",
                        start,
                    ) from None
                if "field limit" in message:
                    raise FeedError(
                        name,
                        f"a cell longer than {CSV_FIELD_LIMIT:,} characters starts on this line; "
                        "probably a quote that is never closed; nothing was imported",
                        start,
                    ) from None
                builder.error(start, None, f"malformed quoting ({message}); row skipped")
                yield start, None
                continue
            start, previous = previous + 1, reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            try:
                "".join(row).encode("utf-8")
            except UnicodeEncodeError:
                builder.error(start, _guess_id(row), "invalid UTF-8 bytes; save the feed as UTF-8")
                yield start, None
                continue
            yield start, row


def _guess_id(row: list[str]) -> str | None:
    first = row[0].strip() if row else ""
    try:
        first.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return first or None


def header_names(cells: list[str]) -> list[str]:
    return [" ".join(cell.strip().lower().split()) for cell in cells]


def is_comment(cells: list[str]) -> bool:
    """An instruction or comment row before the header (``# Required | ...``)."""
    first = next((cell.strip() for cell in cells if cell.strip()), "")
    return first.lstrip("\ufeff").startswith("#")


# Columns whose value is one thing: a tab inside is two cells pasted into one.
_TAB_CHECKED = frozenset(
    {
        "id",
        "item_group_id",
        "title",
        "price",
        "sale_price",
        "availability",
        "brand",
        "google_product_category",
        "product_type",
        "link",
        "image_link",
        "gtin",
        "mpn",
        "color",
        "size",
        "condition",
    }
)
_PATHS = frozenset({"google_product_category", "product_type"})


def untab(row: dict[str, str], line: int, builder: OfferBuilder) -> None:
    """Warn about tabs inside one-value cells of a comma-separated file; a category path
    keeps only what is before the tab (two paths pasted together would make one long one)."""
    for name in _TAB_CHECKED.intersection(row):
        text = row[name]
        if "\t" not in text:
            continue
        if name in _PATHS:
            kept = text.split("\t", 1)[0].strip()
            row[name] = kept
            shown = f"kept {kept!r}, the rest was ignored"
        else:
            shown = "read as a space"
        builder.warn(
            line,
            row.get("id", "").strip() or None,
            f"{name} holds a tab ({shown}): two cells pasted into one, or a tab-separated "
            "file saved as .csv?",
        )


def header_row(
    rows: Iterator[tuple[int, list[str] | None]], builder: OfferBuilder
) -> tuple[int, list[str]] | None:
    """The header: the first row that is not a ``#`` instruction or comment row."""
    for line, cells in rows:
        if cells is None:
            raise FeedError(
                builder.file, "the header row cannot be read; save the feed as UTF-8", line
            )
        if not is_comment(cells):
            return line, cells
    return None


def read_delimited(
    path: Path, delimiter: str, builder: OfferBuilder, counter: list[int]
) -> Iterator[FeedItem]:
    """Google TSV and Meta CSV/TSV rows as items; ``counter[0]`` counts data rows."""
    rows = read_rows(path, delimiter, builder)
    first = header_row(rows, builder)
    if first is None:
        return
    cells = first[1]
    fields = [column_field(cell) for cell in cells]
    if "id" not in fields:
        raise FeedError(
            builder.file,
            "the header row has no 'id' column; the first row (after any '#' instruction "
            "rows) must name the columns: id, title, price ...",
            first[0],
        )
    unknown = [cells[i].strip() for i, f in enumerate(fields) if f is None and cells[i].strip()]
    unknown = [u for u in unknown if u.lower() not in _IGNORED_QUIETLY]
    if unknown:
        builder.warn(first[0], None, "columns not imported: " + ", ".join(unknown))
    width = len(fields)
    named = [(i, f) for i, f in enumerate(fields) if f is not None]
    comma = delimiter == ","
    count = 0
    for line, row_cells in rows:
        count += 1
        counter[0] = count
        if row_cells is None:
            continue
        cells = row_cells
        if len(cells) > width and any(cell.strip() for cell in cells[width:]):
            builder.error(
                line,
                _guess_id(cells),
                f"row has {len(cells)} cells but the header has {width} "
                f"(an unquoted {'tab' if delimiter == chr(9) else 'comma'} in a cell?)",
            )
            continue
        row = {f: cells[i] for i, f in named if i < len(cells) and cells[i]}
        if comma:
            untab(row, line, builder)
        item = builder.build(row, line)
        if item is not None:
            yield item


__all__ = [
    "CSV_FIELD_LIMIT",
    "header_names",
    "header_row",
    "is_comment",
    "read_delimited",
    "read_rows",
    "untab",
]

"""Telling feed formats apart from the first kilobytes of a file."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from catalog.feeds.columns import column_field, column_key
from catalog.feeds.delimited import is_comment
from catalog.feeds.errors import FeedError

FORMATS = ("google_xml", "google_tsv", "meta_csv", "meta_tsv", "shopify_csv", "jsonl")
SNIFF_BYTES = 65_536  # Meta templates put a long instruction row before the header

_SHOPIFY = {"handle", "url handle"}
_META_ONLY = {
    "rich_text_description",
    "quantity_to_sell_on_facebook",
    "fb_product_category",
    "inventory",
    "visibility",
}


def detect_format(path: Path) -> str:
    """One of :data:`FORMATS`, or :class:`FeedError` saying what the file looks like instead."""
    path = Path(path)
    try:
        with path.open("rb") as raw:
            head = raw.read(SNIFF_BYTES)
    except OSError as exc:
        raise FeedError(path, f"cannot read the feed: {exc.strerror or exc}") from None
    body = head.removeprefix(b"\xef\xbb\xbf")
    text = body.lstrip()
    if not text:
        raise FeedError(path, "the file is empty; export the feed again")
    if text.startswith(b"<"):
        lowered = text.lower()
        if b"<rss" in lowered or b"<feed" in lowered:
            return "google_xml"
        raise FeedError(
            path, "XML, but not an RSS or Atom product feed (no <rss> or <feed> element)"
        )
    if text.startswith(b"{"):
        return "jsonl"
    header, line, delimiter = _header(body.decode("utf-8", "replace"))
    names = {column_key(cell) for cell in header}
    fields = {column_field(cell) for cell in header}
    if names & _SHOPIFY:
        return "shopify_csv"
    if "id" in fields and (fields & {"title", "price", "link", "availability"}):
        if delimiter == ",":
            return "meta_csv"
        return "meta_tsv" if names & _META_ONLY else "google_tsv"
    raise FeedError(
        path,
        "not a product feed shopchat knows (Google XML/TSV, Meta CSV/TSV, Shopify CSV, JSON "
        "Lines): the header row names no id/title/price columns; pass --format if it is one",
        line,
    )


def _header(text: str) -> tuple[list[str], int, str]:
    """The header row's cells (after any ``#`` instruction rows), its line and the delimiter
    that splits it into more known columns."""
    best: tuple[int, list[str], int, str] = (-1, [], 1, ",")
    for delimiter in ("\t", ","):
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        line = 1
        try:
            for cells in reader:
                if cells and not is_comment(cells) and any(c.strip() for c in cells):
                    known = sum(1 for c in cells if column_field(c) or column_key(c) in _SHOPIFY)
                    if known > best[0]:
                        best = (known, cells, line, delimiter)
                    break
                line = reader.line_num + 1
        except csv.Error:
            continue
    return best[1], best[2], best[3]


__all__ = ["FORMATS", "SNIFF_BYTES", "detect_format"]

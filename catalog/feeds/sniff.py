"""Telling feed formats apart from the first kilobytes of a file."""

from __future__ import annotations

from pathlib import Path

from catalog.feeds.errors import FeedError

FORMATS = ("google_xml", "google_tsv", "meta_csv", "meta_tsv", "shopify_csv", "jsonl")
SNIFF_BYTES = 16_384

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
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
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
    first = text.split(b"\n", 1)[0].decode("utf-8", "replace").rstrip("\r")
    tabs, commas = first.count("\t"), first.count(",")
    delimiter = "\t" if tabs >= commas else ","
    names = {" ".join(c.strip().strip('"').lower().split()) for c in first.split(delimiter)}
    names = {n.removeprefix("g:") for n in names}
    if names & _SHOPIFY:
        return "shopify_csv"
    if "id" in names and (names & {"title", "price", "link", "availability"}):
        if delimiter == ",":
            return "meta_csv"
        return "meta_tsv" if names & _META_ONLY else "google_tsv"
    raise FeedError(
        path,
        "not a product feed shopchat knows (Google XML/TSV, Meta CSV/TSV, Shopify CSV, JSON "
        "Lines): the first line names no id/title/price columns; pass --format if it is one",
        1,
    )


__all__ = ["FORMATS", "SNIFF_BYTES", "detect_format"]

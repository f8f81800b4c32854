"""Google Merchant Center XML: RSS 2.0 ``<item>`` or Atom ``<entry>`` with ``g:`` attributes.

Streams with ``lxml.etree.iterparse`` and drops each item once read, so memory stays flat for a
million items. Plain RSS ``<title>``, ``<link>`` and ``<description>`` are used when the ``g:``
ones are absent; an Atom ``<link href>`` is the link. HTML may come in CDATA or escaped.

Translations (a shopchat extension, ignored by Google): repeat ``g:title`` / ``g:description``
(or plain ``title`` / ``description``) with ``xml:lang``::

    <g:title>Fire Station Bricks</g:title>
    <g:title xml:lang="pl">Klocki Remiza strażacka</g:title>
    <g:title xml:lang="ru">Конструктор «Пожарная станция»</g:title>

The element without ``xml:lang`` is the item's ``title``; when every one has a language, the
first is. Every element with a language also lands in ``title_i18n`` / ``description_i18n``.

Safety: entity declarations in a DOCTYPE are refused before parsing (billion laughs, external
entities); lxml runs with ``resolve_entities=False, no_network=True, load_dtd=False,
huge_tree=False``. Invalid UTF-8 bytes reject only the item that holds them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from lxml import etree

from catalog.feeds.errors import FeedError
from catalog.feeds.offers import OfferBuilder
from catalog.records import FeedItem

G = "{http://base.google.com/ns/1.0}"
ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
HEAD_BYTES = 65_536

GOOGLE_ATTRIBUTES = (
    "id",
    "title",
    "description",
    "link",
    "image_link",
    "additional_image_link",
    "availability",
    "availability_date",
    "price",
    "sale_price",
    "sale_price_effective_date",
    "brand",
    "gtin",
    "mpn",
    "condition",
    "google_product_category",
    "product_type",
    "item_group_id",
    "age_group",
    "gender",
    "color",
    "size",
    "size_type",
    "size_system",
    "material",
    "pattern",
    "custom_label_0",
    "custom_label_1",
    "custom_label_2",
    "custom_label_3",
    "custom_label_4",
    "quantity_to_sell_on_facebook",
    "rich_text_description",
    "status",
)
# g:title wins over RSS <title>: plain names are parked under "~name" and used only as fallbacks.
_TAGS: dict[str, str] = {G + name: name for name in GOOGLE_ATTRIBUTES}
_TAGS.update(
    {name: name for name in GOOGLE_ATTRIBUTES if name not in ("title", "link", "description")}
)
_TAGS.update({"title": "~title", "link": "~link", "description": "~description"})
_TAGS.update(
    {
        ATOM + "title": "~title",
        ATOM + "link": "~link",
        ATOM + "summary": "~description",
        ATOM + "content": "~description",
    }
)
_SIMPLE = {
    tag: name
    for tag, name in _TAGS.items()
    if name not in ("title", "description", "~title", "~description", "~link")
    and name != "additional_image_link"
}
_FALLBACKS = (("~title", "title"), ("~link", "link"), ("~description", "description"))
_TEXTS = frozenset({"title", "description", "~title", "~description"})
_REPEATED = frozenset({"additional_image_link"})

_DOCTYPE = re.compile(rb"<!DOCTYPE\b", re.IGNORECASE)
_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)""")
_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_UTF8 = ("utf-8", "utf8")
_XMLNS = re.compile(r"""\s+xmlns(?::[\w.-]+)?=(?:"[^"]*"|'[^']*')""")
_REPLACEMENT = "\ufffd".encode()


# Above this size the XML is parsed by a reader process and built into items by a builder
# process while this one consumes the items (a pipeline: order, item numbers and duplicate
# detection stay exactly as inline); see
# catalog.feeds.parser_process.
PARALLEL_BYTES = 32 << 20


# (item number, source line, row, additional images, titles, descriptions, bad bytes seen)
Extracted = tuple[
    int, int, dict[str, str], list[str], dict[str, str] | None, dict[str, str] | None, bool
]


def read_google_xml(
    path: Path,
    builder: OfferBuilder,
    counter: list[int],
    transform: Callable[[FeedItem], Any] | None = None,
) -> Iterator[Any]:
    """Yield the feed's items (or ``transform(item)`` of each); ``counter[0]`` counts items
    seen, kept or not.

    A feed of :data:`PARALLEL_BYTES` or more is parsed in one more process, built into items
    and transformed in another; only the transformed items come back, so ``transform``
    should make something small (and be a module-level function, to be sent to that process).
    """
    name = builder.file
    with path.open("rb") as raw:
        head = raw.read(HEAD_BYTES)
        check_prolog(head, name)
        root = _root_name(head, name)
        size = _check_not_truncated(raw, root, name)
    declared = _ENCODING.match(head.lstrip(b"\xef\xbb\xbf"))
    utf8 = declared is None or declared.group(1).decode().lower() in _UTF8
    if size >= PARALLEL_BYTES and (os.cpu_count() or 1) > 1:
        from catalog.feeds.parser_process import parse_in_child  # it imports this module

        yield from parse_in_child(path, utf8, builder, counter, transform)
        return
    unknown: dict[str, int] = {}
    items = build_items(extract(path, utf8, unknown), builder, counter)
    try:
        yield from (items if transform is None else map(transform, items))
    except etree.XMLSyntaxError as exc:
        raise syntax_error(exc.lineno, exc.msg or str(exc), name) from None
    warn_unknown(builder, unknown)


def build_items(
    records: Iterator[Extracted], builder: OfferBuilder, counter: list[int]
) -> Iterator[FeedItem]:
    """The kept items of :func:`extract`'s records, built by ``builder`` (which records the
    rejected ones, by the line their ``<item>`` starts on); ``counter[0]`` follows the item
    number."""
    build = builder.build
    for number, line, row, images, titles, descriptions, bad_bytes in records:
        counter[0] = number
        if bad_bytes:
            builder.check_replacement = True
        item = build(row, line, images=images, title_i18n=titles, description_i18n=descriptions)
        if item is not None:
            yield item


def warn_unknown(builder: OfferBuilder, unknown: dict[str, int]) -> None:
    """One warning naming the elements that were not imported, if any, on the line where the
    first of them is."""
    if unknown:
        shown = ", ".join(sorted(_short(tag) for tag in unknown))
        builder.warn(min(unknown.values()), None, f"elements not imported: {shown}")


def extract(path: Path, utf8: bool, unknown: dict[str, int]) -> Iterator[Extracted]:
    """The raw fields of each item, by Google attribute name, and the line its element starts
    on; drops each item once read. ``unknown`` collects elements not read (tag -> first line)."""
    with path.open("rb") as raw:
        guard = _Utf8Guard(raw) if utf8 else None
        source: IO[bytes] | _Utf8Guard = guard or raw
        parser = etree.iterparse(
            source,
            events=("end",),
            tag=("item", ATOM + "entry"),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
        tags = _TAGS
        simple = _SIMPLE
        number = 0
        for _, elem in parser:
            number += 1
            row: dict[str, str] = {}
            images: list[str] = []
            titles: dict[str, str] | None = None
            descriptions: dict[str, str] | None = None
            from_lang: set[str] | None = None
            for child in elem:
                tag = child.tag
                field = simple.get(tag)
                if field is not None:  # most elements: first one wins
                    if field not in row:
                        text = child.text
                        if text:
                            row[field] = text
                    continue
                field = tags.get(tag)
                if field is None:
                    if len(unknown) < 40 and tag not in unknown:
                        unknown[tag] = source_line(child)
                    continue
                text = child.text
                if field in _TEXTS:
                    if len(child):
                        text = _inner_markup(child)
                    if not text:
                        continue
                    lang = child.get(XML_LANG)
                    if lang:
                        if field[-5:] == "title":
                            titles = titles if titles is not None else {}
                            titles.setdefault(lang, text)
                        else:
                            descriptions = descriptions if descriptions is not None else {}
                            descriptions.setdefault(lang, text)
                        if field not in row:
                            row[field] = text
                            from_lang = (from_lang or set()) | {field}
                        continue
                    if field in row and not (from_lang and field in from_lang):
                        continue  # a second untranslated title: the first one stands
                    row[field] = text
                    if from_lang:
                        from_lang.discard(field)
                    continue
                if field == "~link" and text is None:
                    text = child.get("href")
                if text:
                    if field in _REPEATED:
                        images.append(text.strip())
                    elif field not in row:
                        row[field] = text
            if "~title" in row or "~link" in row or "~description" in row:
                for plain, google in _FALLBACKS:
                    if plain in row:
                        text = row.pop(plain)
                        row.setdefault(google, text)
            # The guard reads ahead of the parser, so it has seen this item's bytes by now.
            bad_bytes = guard is not None and guard.replaced > 0
            yield number, source_line(elem), row, images, titles, descriptions, bad_bytes
            elem.clear(keep_tail=True)
            parent = elem.getparent()
            if parent is not None:
                while elem.getprevious() is not None:
                    del parent[0]


def source_line(elem: etree._Element) -> int:
    """The line ``elem``'s start tag is on.

    libxml2 keeps element line numbers in 16 bits: past line 65,535 it answers with the line
    its first text node *ends* on, which is one line further for each newline in the
    whitespace after the start tag (``<item>\\n  <g:id>``); so count those back.
    """
    line = elem.sourceline or 0
    if line >= 65_535:
        text = elem.text
        if text and "\n" in text and not text.strip():
            line -= text.count("\n")
    return line


def _inner_markup(child: etree._Element) -> str:
    """Raw HTML written straight into the element (no CDATA, not escaped)."""
    parts = [child.text or ""]
    for sub in child:
        parts.append(etree.tostring(sub, encoding="unicode", with_tail=True))
    return _XMLNS.sub("", "".join(parts))


def _short(tag: str) -> str:
    if tag.startswith(G):
        return "g:" + tag[len(G) :]
    if tag.startswith(ATOM):
        return "atom:" + tag[len(ATOM) :]
    return tag


def check_prolog(head: bytes, name: str) -> None:
    """Refuse DOCTYPEs that declare entities, before the parser sees them."""
    doctype = _DOCTYPE.search(head)
    if doctype is None:
        return
    root = _ROOT.search(head, doctype.end())
    end = head.find(b"]>", doctype.end())
    if b"[" in head[doctype.end() : (root.start() if root else len(head))] and end < 0:
        raise FeedError(
            name,
            "the DOCTYPE is larger than 64 KB; remove the DOCTYPE from the feed",
            head.count(b"\n", 0, doctype.start()) + 1,
        )
    declaration = head[doctype.start() : end if end >= 0 else len(head)]
    if b"<!ENTITY" in declaration:
        raise FeedError(
            name,
            "the DOCTYPE declares entities (<!ENTITY>); shopchat refuses them because they can "
            "expand to gigabytes or read local files; remove the DOCTYPE and import again",
            head.count(b"\n", 0, doctype.start()) + 1,
        )


def _root_name(head: bytes, name: str) -> bytes:
    position = 0
    while True:
        start = head.find(b"<", position)
        if start < 0:
            raise FeedError(name, "no XML element in the first 64 KB; is this a product feed?")
        if head.startswith((b"<?", b"<!--"), start):
            position = head.find(b"?>" if head[start + 1] == 0x3F else b"-->", start) + 2
            if position < 2:
                raise FeedError(name, "the XML prolog does not end; is the file cut short?")
            continue
        if head.startswith(b"<!", start):
            close = head.find(b"]>", start)
            position = (close + 2) if close >= 0 else head.find(b">", start) + 1
            continue
        match = _ROOT.match(head, start)
        if match is None:
            raise FeedError(name, "not well-formed XML at the start of the file")
        return (match.group(1) or b"") + match.group(2)


def _check_not_truncated(raw: IO[bytes], root: bytes, name: str) -> int:
    """A cut-short download is the common breakage: say so before importing anything.

    Returns the file size."""
    size = raw.seek(0, 2)
    raw.seek(max(0, size - 4096))
    tail = raw.read().rstrip()
    if not tail.endswith(b">") or b"</" + root not in tail:
        raw.seek(0)
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: raw.read(1 << 20), b"")) + 1
        raise FeedError(
            name,
            f"the file ends before </{root.decode()}>; it looks truncated (an interrupted "
            "download or export?); nothing was imported, fetch or export the feed again",
            lines,
        )
    return size


def syntax_error(lineno: int | None, message: str, name: str) -> FeedError:
    """The FeedError for lxml's syntax error at ``lineno``, with a hint for entities."""
    line = lineno or None
    if "Entity" in message or "no element found" in message:
        message += (
            " (XML knows only &amp; &lt; &gt; &quot; &apos; and &#NNN;; write &#160; for &nbsp;)"
        )
    return FeedError(
        name,
        f"malformed XML: {message}; nothing was imported, fix the feed and import again",
        line,
    )


class _Utf8Guard:
    """A file wrapper that turns undecodable bytes into U+FFFD so only their item is rejected.

    Reads 1 MB blocks and checks each with one ``bytes.decode`` (libxml2 asks for a few KB at a
    time; checking those one by one cost more than the parse). Valid UTF-8 passes unchanged.
    """

    BLOCK = 1 << 20

    def __init__(self, raw: IO[bytes]):
        self._raw = raw
        self._carry = b""
        self._buf = b""
        self._pos = 0
        self.replaced = 0

    def read(self, size: int = -1) -> bytes:
        if self._pos >= len(self._buf) and not self._refill():
            return b""
        if size < 0:
            size = len(self._buf) - self._pos
        out = self._buf[self._pos : self._pos + size]
        self._pos += len(out)
        return out

    def _refill(self) -> bool:
        while True:
            data = self._raw.read(self.BLOCK)
            buf = self._carry + data if self._carry else data
            self._carry = b""
            if not data:
                if not buf:
                    return False
                self.replaced += 1  # the file ends inside a character
                self._buf, self._pos = buf.decode("utf-8", "replace").encode(), 0
                return True
            cleaned = self._clean(buf)
            if cleaned:
                self._buf, self._pos = cleaned, 0
                return True

    def _clean(self, buf: bytes) -> bytes:
        parts = []
        start = 0
        while True:
            try:
                (buf[start:] if start else buf).decode("utf-8")
            except UnicodeDecodeError as exc:
                bad_start, bad_end = start + exc.start, start + exc.end
                if bad_end == len(buf) and len(buf) - bad_start < 4 and "end" in exc.reason:
                    # A character split across two blocks: finish it with the next block.
                    parts.append(buf[start:bad_start])
                    self._carry = buf[bad_start:]
                    return b"".join(parts)
                parts.append(buf[start:bad_start])
                parts.append(_REPLACEMENT)
                self.replaced += 1
                start = bad_end
            else:
                parts.append(buf[start:] if start else buf)
                return b"".join(parts) if len(parts) > 1 else parts[0]


__all__ = [
    "GOOGLE_ATTRIBUTES",
    "build_items",
    "check_prolog",
    "extract",
    "source_line",
    "read_google_xml",
    "syntax_error",
    "warn_unknown",
]

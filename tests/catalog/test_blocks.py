"""Stored product blocks: what goes in comes out, whichever shopchat wrote it."""

from __future__ import annotations

import zlib

import orjson

from catalog.blocks import pack, unpack, unpack_some

from .conftest import make_item


def _entry(seq: int, text: str) -> list[object]:
    data = orjson.dumps({"title": {"": f"Kite {seq}"}, "description": {"": text}}).decode()
    variant = [f"k{seq}", f"k{seq}", seq + 1, "active", 100, None, None, None, "PLN"]
    return [seq, f"k{seq}", "active", "Brand", "PLN", data, [[*variant, "in_stock", None, "{}"]]]


def test_a_block_gives_back_its_entries_even_with_line_breaks_in_texts():
    entries = [_entry(seq, "two\nlines \u2028 and ünïcödé") for seq in range(64, 96)]
    data = pack(entries)
    assert len(data) < len(orjson.dumps(entries)) / 2
    assert unpack(data) == entries
    assert unpack_some(data, {70, 95, 200}) == [entries[6], entries[31]]


def test_a_block_written_by_the_migration_is_read_too():
    entries = [_entry(seq, "text") for seq in range(32)]
    legacy = zlib.compress(orjson.dumps(entries), 1)  # catalog_0003's format
    assert unpack(legacy) == entries
    assert unpack_some(legacy, {3}) == [entries[3]]


def test_a_description_with_line_breaks_reads_back_whole(catalog):
    text = "First line.\nSecond line.\r\nThird"
    catalog.import_items([make_item(f"p{k}", description=text) for k in range(40)])
    for k in (0, 31, 32, 39):
        found = catalog.get(f"p{k}")
        assert found is not None and found.description == {"": text}

"""Products as stored: blocks of neighbouring products with their variants, compressed.

    data = pack(entries)          # entries of one block, in seq order
    entries = unpack(data)

A generation's products are numbered by ``seq`` (feed order); products ``BLOCK * b`` to
``BLOCK * (b + 1) - 1`` are block ``b``, one row of ``catalog_blocks``. A block is its
entries' JSON, one line each, compressed with Zstandard: neighbouring products share their
keys, brands, categories, links and much of their words, so a block compresses 3-4 times
where one row's JSON alone barely compresses, and a million items make ~30,000 rows instead
of ~2 million. Reading a product costs decompressing its block and parsing its line (~30 µs).
Blocks written by catalog_0003 (one JSON array, zlib) are still read.

An entry is ``[seq, id, status, brand, currency, data, variants]``: ``data`` the product's JSON
(:func:`catalog.rows.product_data`), ``variants`` its variant rows in feed order, each as
:func:`catalog.rows.prepare` made it: ``[id, product id, line, status, price, sale price,
sale start, sale end, currency, availability, quantity, data]`` (``data`` the variant's JSON).
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Container
from typing import Any

import orjson
import zstandard

BLOCK = 32  # products per block: compresses ~3.5 times; a hit costs one ~30 KB decompression
LEVEL = 1  # Zstandard's fastest: as small as zlib's fastest in a third of its CPU

# Positions in an entry and in a variant row.
SEQ, ID, STATUS, BRAND, CURRENCY, DATA, VARIANTS = range(7)
(
    V_ID,
    V_PRODUCT,
    V_LINE,
    V_STATUS,
    V_PRICE,
    V_SALE_PRICE,
    V_SALE_START,
    V_SALE_END,
    V_CURRENCY,
    V_AVAILABILITY,
    V_QUANTITY,
    V_DATA,
) = range(12)

Entry = list[Any]


_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_local = threading.local()  # zstandard's (de)compressors are not safe to share between threads


def compressor() -> zstandard.ZstdCompressor:
    """This thread's Zstandard compressor at LEVEL (the index's arrays use it too)."""
    found = getattr(_local, "compressor", None)
    if found is None:
        found = _local.compressor = zstandard.ZstdCompressor(level=LEVEL)
    return found


def decompressor() -> zstandard.ZstdDecompressor:
    """This thread's Zstandard decompressor."""
    found = getattr(_local, "decompressor", None)
    if found is None:
        found = _local.decompressor = zstandard.ZstdDecompressor()
    return found


def pack(entries: list[Any]) -> bytes:
    """One block: ``entries`` (consecutive seqs, the first at a multiple of BLOCK)."""
    # orjson escapes line breaks inside strings, so each entry is exactly one line.
    return compressor().compress(b"\n".join(map(orjson.dumps, entries)))


def _lines(data: bytes) -> list[bytes] | None:
    if data[:4] != _ZSTD_MAGIC:
        return None
    return decompressor().decompress(data).split(b"\n")


def unpack(data: bytes) -> list[Entry]:
    """Every entry of a block."""
    lines = _lines(data)
    if lines is None:  # written by the catalog_0003 migration
        found: list[Entry] = orjson.loads(zlib.decompress(data))
        return found
    return [orjson.loads(line) for line in lines]


def unpack_some(data: bytes, seqs: Container[int]) -> list[Entry]:
    """The entries of ``seqs`` in a block; only their lines are parsed."""
    lines = _lines(data)
    if lines is None:
        return [e for e in unpack(data) if e[SEQ] in seqs]
    found = []
    for line in lines:
        # A line starts "[seq,": read the seq before parsing the rest.
        if int(line[1 : line.index(b",")]) in seqs:
            found.append(orjson.loads(line))
    return found


def block_of(seq: int) -> int:
    return seq // BLOCK


__all__ = ["BLOCK", "Entry", "block_of", "pack", "unpack", "unpack_some"]

"""Products as stored: blocks of neighbouring products with their variants, compressed.

    data = pack(entries)          # entries of one block, in seq order
    entries = unpack(data)

A generation's products are numbered by ``seq`` (feed order); products ``BLOCK * b`` to
``BLOCK * (b + 1) - 1`` are block ``b``, one row of ``catalog_blocks``. A block is the JSON of
its entries compressed with zlib: neighbouring products share their keys, brands, categories,
links and much of their words, so a block compresses 3-4 times where one row's JSON alone
barely compresses, and a million items make ~30,000 rows instead of ~2 million. Reading a
product costs decompressing its block (~30 µs).

An entry is ``[seq, id, status, brand, currency, data, variants]``: ``data`` the product's JSON
(:func:`catalog.rows.product_data`), ``variants`` its variant rows in feed order, each as
:func:`catalog.rows.prepare` made it: ``[id, product id, line, status, price, sale price,
sale start, sale end, currency, availability, quantity, data]`` (``data`` the variant's JSON).
"""

from __future__ import annotations

import zlib
from typing import Any

import orjson

BLOCK = 32  # products per block: compresses ~3.5 times; a hit costs one ~30 KB inflate
LEVEL = 1  # zlib's fastest compresses these nearly as well as its default, at half the CPU

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


def pack(entries: list[Any]) -> bytes:
    return zlib.compress(orjson.dumps(entries), LEVEL)


def unpack(data: bytes) -> list[Entry]:
    found: list[Entry] = orjson.loads(zlib.decompress(data))
    return found


def block_of(seq: int) -> int:
    return seq // BLOCK


__all__ = ["BLOCK", "Entry", "block_of", "pack", "unpack"]

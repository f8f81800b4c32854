"""The stored search index: compressed on disk, the same index once loaded."""

from __future__ import annotations

import numpy as np
import orjson
import pytest

from catalog.index import SearchIndex
from catalog.index_blob import read_arrays, write_arrays

from .conftest import make_item


def _items(n: int):
    for k in range(n):
        yield make_item(
            f"p{k}",
            title=f"Kite {k} {'red' if k % 3 else 'blue'}",
            description=f"word{k % 97} flies high",
            price=1000 + k,
            brand=f"Brand {k % 7}",
        )


def test_the_stored_index_is_smaller_and_loads_back_identical(sqlite_catalog):
    sqlite_catalog.import_items(_items(3000))
    _, index = sqlite_catalog._current(force=True)
    stored = index.to_bytes()
    loaded = SearchIndex.from_bytes(stored)
    in_memory = sum(a.nbytes for a in index.arrays.values())
    assert len(stored) < in_memory / 3
    assert loaded.words == index.words and loaded.brand_names == index.brand_names
    for name, values in index.arrays.items():
        again = loaded.arrays[name]
        assert again.dtype == values.dtype and np.array_equal(again, values), name
    again = SearchIndex.from_bytes(stored)
    assert again.postings(again.term_ids["kite"])[0].tolist() == list(range(3000))


def test_an_index_stored_uncompressed_by_an_older_shopchat_still_loads(sqlite_catalog):
    sqlite_catalog.import_items(_items(200))
    _, index = sqlite_catalog._current(force=True)
    legacy = _uncompressed(index)
    loaded = SearchIndex.from_bytes(legacy)
    assert loaded.words == index.words
    assert loaded.postings(loaded.term_ids["red"])[0].tolist() == [k for k in range(200) if k % 3]


@pytest.mark.parametrize(
    "values",
    [
        np.array(
            [5, 9, 9, 40, 2, 3, 2**31 - 1, 0], dtype=np.int32
        ),  # not ascending: differences wrap
        np.array([2**32 - 1, 0, 7], dtype=np.uint32),
        np.arange(10, dtype=np.int64) * 2**40,
        np.zeros(0, dtype=np.int64),
        np.array([1, 0, 255], dtype=np.uint8),
    ],
)
def test_every_array_survives_the_round_trip(values):
    parts: list[bytes] = []
    write_arrays({"s0_ords": values, "other": values}, lambda piece: parts.append(bytes(piece)))
    back = read_arrays(b"".join(parts))
    for name in ("s0_ords", "other"):
        assert back[name].dtype == values.dtype and np.array_equal(back[name], values)
        back[name][:1] = 0  # writable


def _uncompressed(index: SearchIndex) -> bytes:
    """The layout shopchat wrote before the index was compressed (magic SCIX2)."""
    payload = index._payload()
    entries, offset, body = [], 0, b""
    for name, values in payload.items():
        values = np.ascontiguousarray(values)
        entries.append([name, values.dtype.str, list(values.shape), offset, values.nbytes])
        padded = values.tobytes() + b"\0" * ((8 - values.nbytes % 8) % 8)
        body += padded
        offset += len(padded)
    header = orjson.dumps(entries)
    header += b" " * ((8 - (len(header) + 13) % 8) % 8)
    return b"SCIX2" + len(header).to_bytes(8, "little") + header + body


def test_an_index_written_with_its_header_first_still_loads():
    import zlib

    values = np.array([3, 5, 9], dtype=np.int32)
    packed = zlib.compress(values.tobytes())
    header = orjson.dumps([["df", values.dtype.str, [3], "", len(packed)]])
    blob = b"SCIX3" + len(header).to_bytes(8, "little") + header + packed
    assert read_arrays(blob)["df"].tolist() == [3, 5, 9]


def test_an_index_compressed_with_zlib_by_an_older_shopchat_still_loads():
    import zlib

    values = np.array([3, 5, 9], dtype=np.int32)
    packed = zlib.compress(values.tobytes())
    header = orjson.dumps([["df", values.dtype.str, [3], "", len(packed)]])
    blob = b"SCIX4" + packed + header + len(header).to_bytes(8, "little")
    assert read_arrays(blob)["df"].tolist() == [3, 5, 9]

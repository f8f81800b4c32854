"""The search index's arrays as stored: each array compressed on its own.

    size = write_arrays(arrays, sink)    # sink(piece) gets consecutive bytes
    arrays = read_arrays(blob)           # fresh, writable numpy arrays

Postings are sorted product numbers, so their differences are small; bytes of the same
significance are grouped before compressing (a byte shuffle, as Blosc and Parquet's
BYTE_STREAM_SPLIT do), which makes the differences' zero bytes runs that Zstandard (level 1)
packs well. At a million items the index takes ~8 times less disk than its arrays take in
memory, for a fraction of a second of CPU to compress and a few hundred ms to load. Indexes
written before compressed each array with zlib (magic ``SCIX4``); they still load.

Layout: ``MAGIC`` + each array's compressed bytes + JSON header (per array, in order: name,
dtype, shape, encoding, stored length) + the header's length in 8 bytes. The header comes
last so each array can be written as soon as it is compressed.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from catalog.blocks import compressor, decompressor

MAGIC = b"SCIX5"
_ZLIB = b"SCIX4"  # the same with zlib (read, not written): 5 times the CPU to compress
_HEADER_FIRST = b"SCIX3"  # zlib, the header before the arrays (read, not written)
# Compressed with Zstandard at catalog.blocks.LEVEL (its fastest: smaller than zlib's level 1
# here, in a fifth of its CPU), each thread with its own (de)compressor.


def _decompress(data: memoryview, zstd: bool) -> bytes:
    if not zstd:
        return zlib.decompress(data)
    return decompressor().decompress(data)


# Arrays whose values mostly ascend: stored as differences from the previous value.
_ASCENDING = ("_ords", "_offsets", "p_var_off", "path_off", "typo_hash")


def _encode(name: str, values: npt.NDArray[Any]) -> tuple[str, bytes]:
    values = np.ascontiguousarray(values)
    encoding = ""
    if values.dtype.kind in "iu" and name.endswith(_ASCENDING) and len(values):
        # Modular differences in the array's own type: the running sum undoes them exactly.
        values = np.diff(values, prepend=values.dtype.type(0))
        encoding = "delta"
    size = values.dtype.itemsize
    if size > 1 and len(values):
        raw = values.view(np.uint8).reshape(-1, size).T.tobytes()
        encoding += "+shuffle" if encoding else "shuffle"
    else:
        raw = values.tobytes()
    return encoding, compressor().compress(raw)


def write_arrays(
    arrays: dict[str, npt.NDArray[Any]], sink: Callable[[memoryview | bytes], None]
) -> int:
    """Compress ``arrays`` and stream them to ``sink`` one by one (no array's compressed bytes
    wait for the others); return the bytes written."""
    sink(MAGIC)
    written = len(MAGIC)
    entries = []
    for name, values in arrays.items():
        encoding, packed = _encode(name, values)
        entries.append([name, values.dtype.str, list(values.shape), encoding, len(packed)])
        sink(packed)
        written += len(packed)
        del packed
    header = orjson.dumps(entries)
    sink(header + len(header).to_bytes(8, "little"))
    return written + len(header) + 8


def read_arrays(blob: bytes | bytearray | memoryview) -> dict[str, npt.NDArray[Any]]:
    """The arrays :func:`write_arrays` stored; ``ValueError`` for anything else."""
    data = memoryview(blob)
    magic = bytes(data[: len(MAGIC)])
    if magic not in (MAGIC, _ZLIB, _HEADER_FIRST) or len(data) < len(MAGIC) + 8:
        raise ValueError("not a shopchat search index (rebuild it with a new import)")
    at = len(MAGIC)
    if magic == _HEADER_FIRST:
        size = int.from_bytes(data[at : at + 8], "little")
        entries = orjson.loads(bytes(data[at + 8 : at + 8 + size]))
        at += 8 + size
    else:
        size = int.from_bytes(data[-8:], "little")
        entries = orjson.loads(bytes(data[-8 - size : -8]))
    zstd = magic == MAGIC
    arrays: dict[str, npt.NDArray[Any]] = {}
    for name, dtype_text, shape, encoding, stored in entries:
        dtype = np.dtype(dtype_text)
        raw = _decompress(data[at : at + stored], zstd)
        at += stored
        if "shuffle" in encoding:
            values = (
                np.frombuffer(raw, dtype=np.uint8)
                .reshape(dtype.itemsize, -1)
                .T.copy()
                .view(dtype)
                .reshape(-1)
            )
        else:
            values = np.frombuffer(raw, dtype=dtype).copy()
        del raw
        if encoding.startswith("delta"):
            np.add.accumulate(values, out=values)
        arrays[name] = values.reshape(shape)
    return arrays


__all__ = ["MAGIC", "read_arrays", "write_arrays"]

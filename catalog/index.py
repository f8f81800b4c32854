"""The in-process search index: numpy arrays per product and variant plus an inverted index.

Products are numbered by ``seq``, their order in the feed, which is also their static rank
(ties in ranking go to the earlier product). The inverted index maps each folded word to the
products that contain it, as sorted int32 arrays, with a bit mask per entry saying in which
fields the word occurs (:data:`TITLE`, :data:`LABEL`, :data:`NAME`, :data:`DESC`). It is built
in segments of :data:`SEGMENT` products while the import streams, so a million products never
need a global sort; a word's postings are the concatenation of its slices in each segment.

Per-variant arrays (price, sale window, availability, ages, gender) let search filter and
rank variants with numpy masks. The whole index is serialised to one blob per generation
and loaded by every process that searches.
"""

from __future__ import annotations

import threading
import zlib
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from catalog.index_blob import read_arrays, write_arrays
from catalog.records import ORDERABLE, Availability, Gender
from catalog.rows import NO_TIME, variant_values
from catalog.text import fold, folded_terms
from shoptext import FOLD_VERSION

TITLE = 1  # words of a title, in any language
LABEL = 2  # words of the brand, categories and tags
NAME = 4  # a whole tag or category ("tea_coffee" -> "teacoffee")
DESC = 8  # words of a description (its first DESCRIPTION_CHARS characters)

SEGMENT = 1 << 16
DESCRIPTION_CHARS = 500
MIN_TYPO_LENGTH = 5
_MAGIC = b"SCIX2"  # uncompressed indexes, as written before catalog.index_blob

GENDERS = [None, Gender.FEMALE, Gender.MALE]  # 0 = anyone (no gender or unisex)

Ints = npt.NDArray[np.int64]
Ords = npt.NDArray[np.int32]


@lru_cache(maxsize=16384)
def name_key(name: str) -> str:
    """A tag or category as one word: ``"Tea & Coffee"`` -> ``"teacoffee"``."""
    return "".join(ch for ch in fold(name) if ch.isalnum())


@lru_cache(maxsize=16384)
def _label_part(text: str, named: bool) -> tuple[tuple[str, int], ...]:
    """Words of a brand (``named`` False), a category or a tag with their fields; the whole
    name of a category or tag is a word of its own (:data:`NAME`)."""
    found = dict.fromkeys(folded_terms(fold(text)), LABEL)
    key = name_key(text) if named else ""
    if key:
        found[key] = found.get(key, 0) | NAME
    return tuple(found.items())


_STRONG = TITLE | LABEL | NAME  # a word in one of these is not a description match
_TITLE_BYTE = bytes((TITLE,))
_DESC_BYTE = bytes((DESC,))


def gender_code(gender: Gender | None) -> int:
    return GENDERS.index(gender) if gender in (Gender.FEMALE, Gender.MALE) else 0


def _deletes(term: str) -> set[str]:
    return {term[:i] + term[i + 1 :] for i in range(len(term))}


def _hash(text: str) -> int:
    return zlib.crc32(text.encode())


# Per-variant columns in the order of :func:`variant_values` (after the product's seq).
VARIANT_COLUMNS: tuple[tuple[str, type], ...] = (
    ("v_seq", np.int32),
    ("v_price", np.int64),
    ("v_sale", np.int64),
    ("v_sale_start", np.int64),
    ("v_sale_end", np.int64),
    ("v_avail", np.int8),
    ("v_quantity_zero", np.int8),
    ("v_age_lo", np.int16),
    ("v_age_hi", np.int16),
    ("v_age_group", np.int8),
    ("v_gender", np.int8),
)
VARIANT_BLOCK = 1 << 14
CHUNK_CACHE = 1 << 16
LABEL_CACHE = 4096


@dataclass
class _Segment:
    tids: Ords  # sorted unique term ids present in the segment
    offsets: Ints  # len(tids) + 1
    ords: Ords  # product seqs, ascending within each term
    masks: npt.NDArray[np.uint8]


@dataclass
class IndexBuilder:
    """Collects products as the import streams them; :meth:`finish` returns the index."""

    terms: dict[str, int] = field(default_factory=dict)
    _segments: list[_Segment] = field(default_factory=list)
    _tids: list[int] = field(default_factory=list)
    _masks: bytearray = field(default_factory=bytearray)
    _seqs: list[int] = field(default_factory=list)  # searchable products of the segment
    _counts: list[int] = field(default_factory=list)  # and how many words each has
    _segment_end: int = SEGMENT
    brands: dict[str, int] = field(default_factory=dict)
    brand_names: list[str] = field(default_factory=list)
    categories: dict[str, int] = field(default_factory=dict)
    category_names: list[str] = field(default_factory=list)
    p_brand: array[int] = field(default_factory=lambda: array("i"))
    p_leaf: array[int] = field(default_factory=lambda: array("i"))
    p_path: array[int] = field(default_factory=lambda: array("i"))
    paths: dict[tuple[str, ...], int] = field(default_factory=dict)  # category path -> id
    path_cats: list[tuple[int, ...]] = field(default_factory=list)  # path id -> category ids
    # Variants arrive as tuples (see :func:`variant_values`) and are packed into numpy
    # columns every VARIANT_BLOCK of them: ~250 bytes a variant while waiting, 30 once packed.
    _pending: list[tuple[int, ...]] = field(default_factory=list)
    _variant_blocks: list[list[npt.NDArray[Any]]] = field(default_factory=list)

    # folded_terms(fold(chunk)) of whitespace-separated chunks of product texts: shops
    # repeat their words, and a dict lookup per chunk costs less than folding it again.
    _chunks: dict[str, tuple[int, ...]] = field(default_factory=dict)  # chunk -> term ids
    _brand_ids: dict[str, int] = field(default_factory=dict)  # as written -> brand id
    # Label words (term ids, and their fields as bytes) of a brand, of a categories tuple and
    # of a tags tuple: each repeats across many products, in combinations that rarely do.
    _brand_terms: dict[str, tuple[tuple[int, ...], bytes]] = field(default_factory=dict)
    _name_terms: dict[tuple[str, ...], tuple[tuple[int, ...], bytes]] = field(default_factory=dict)

    @property
    def products(self) -> int:
        return len(self.p_brand)

    def _terms_of(self, text: str) -> list[tuple[int, ...]]:
        """Term ids of ``folded_terms(fold(text))``, chunk by chunk (words never span
        whitespace, and whitespace folds to whitespace); a word may come more than once."""
        chunks = text.split()
        cache = self._chunks
        found = list(map(cache.get, chunks))
        if None in found:
            if len(cache) > CHUNK_CACHE:
                cache.clear()
            terms = self.terms
            for i, tids in enumerate(found):
                if tids is None:
                    chunk = chunks[i]
                    if chunk.isascii() and chunk.isalnum():  # a plain word or model number
                        word = chunk.lower()
                        found[i] = cache[chunk] = (terms.setdefault(word, len(terms)),)
                        continue
                    found[i] = cache[chunk] = tuple(
                        terms.setdefault(word, len(terms)) for word in folded_terms(fold(chunk))
                    )
        return found  # type: ignore[return-value]

    def _label_terms(self, names: tuple[str, ...], named: bool) -> tuple[tuple[int, ...], bytes]:
        """Term ids and fields of the words of a brand (``named`` False: one name) or of
        categories or tags (the whole name of each is a word of its own too)."""
        tids: list[int] = []
        masks = bytearray()
        terms = self.terms
        for name in names:
            for word, mask in _label_part(name, named):
                tids.append(terms.setdefault(word, len(terms)))
                masks.append(mask)
        return tuple(tids), bytes(masks)

    def _id(self, table: dict[str, int], names: list[str], name: str) -> int:
        key = fold(name).strip()
        found = table.get(key)
        if found is None:
            found = table[key] = len(names)
            names.append(name)
        return found

    def add_product(
        self,
        *,
        titles: Sequence[str],
        descriptions: Sequence[str],
        brand: str,
        categories: tuple[str, ...],
        tags: tuple[str, ...],
        searchable: bool,
    ) -> int:
        """Add the next product (``seq`` = how many came before); return its seq."""
        seq = len(self.p_brand)
        if seq >= self._segment_end:
            self._flush()
        brand_id = self._brand_ids.get(brand)
        if brand_id is None:
            brand_id = self._id(self.brands, self.brand_names, brand) if brand else -1
            self._brand_ids[brand] = brand_id
        self.p_brand.append(brand_id)
        path = self.paths.get(categories)
        if path is None:
            path = self.paths[categories] = len(self.path_cats)
            self.path_cats.append(
                tuple(self._id(self.categories, self.category_names, c) for c in categories)
            )
        self.p_path.append(path)
        self.p_leaf.append(self.path_cats[path][-1] if categories else -1)
        if not searchable:
            return seq
        # Every word goes in with the field it came from, repeats included; sorting the
        # segment puts a word's repeats in one product side by side, and _flush merges them
        # (in numpy, where it costs far less than set algebra per product here).
        brand_terms = self._brand_terms.get(brand)
        if brand_terms is None:
            if len(self._brand_terms) >= LABEL_CACHE:
                self._brand_terms.clear()
            brand_terms = self._brand_terms[brand] = self._label_terms((brand,), False)
        names = self._name_terms
        category_terms = names.get(categories)
        if category_terms is None:
            if len(names) >= LABEL_CACHE:
                names.clear()
            category_terms = names[categories] = self._label_terms(categories, True)
        tag_terms = names.get(tags)
        if tag_terms is None:
            if len(names) >= LABEL_CACHE:
                names.clear()
            tag_terms = names[tags] = self._label_terms(tags, True)
        # Plain lists until the segment is sorted: list.extend copies pointers, where
        # array.extend converts every int.
        tids = self._tids
        start = len(tids)
        tids.extend(chain.from_iterable(self._terms_of(" ".join(titles))))
        in_title = len(tids) - start
        tids.extend(
            chain.from_iterable(
                self._terms_of(" ".join(d[:DESCRIPTION_CHARS] for d in descriptions))
            )
        )
        in_description = len(tids) - start - in_title
        masks = self._masks
        masks += _TITLE_BYTE * in_title
        masks += _DESC_BYTE * in_description
        for found, fields in (brand_terms, category_terms, tag_terms):
            tids.extend(found)
            masks += fields
        self._seqs.append(seq)
        self._counts.append(len(tids) - start)
        return seq

    def add_variant(self, seq: int, values: tuple[int, ...]) -> None:
        """Add an active variant of product ``seq`` (variants of a product may come late).

        ``values`` come from :func:`variant_values`.
        """
        pending = self._pending
        pending.append((seq, *values))
        if len(pending) >= VARIANT_BLOCK:
            self._pack_variants()

    def _pack_variants(self) -> None:
        if self._pending:
            block = np.array(self._pending, dtype=np.int64)
            self._pending = []
            self._variant_blocks.append(
                [block[:, n].astype(dtype) for n, (_, dtype) in enumerate(VARIANT_COLUMNS)]
            )

    def _flush(self) -> None:
        if self._tids:
            # One in-place sort of packed (term, product, fields) keys: products are added in
            # order, so each term's products come out ascending, with no index arrays.
            key = np.array(self._tids, dtype=np.int64)
            np.left_shift(key, 36, out=key)
            part = np.repeat(np.array(self._seqs, dtype=np.int64), self._counts)
            np.left_shift(part, 4, out=part)
            key |= part
            del part
            key |= np.frombuffer(self._masks, dtype=np.uint8)
            self._tids, self._masks, self._seqs, self._counts = [], bytearray(), [], []
            key.sort()
            # A word a product has more than once: one entry, with every field it is in; a
            # description's word counts as such only when it is in no title or label.
            masks = (key & 15).astype(np.uint8)
            key >>= 4
            firsts = np.flatnonzero(key[1:] != key[:-1]) + 1
            if len(firsts) + 1 < len(key):
                firsts = np.concatenate(([0], firsts))
                masks = np.bitwise_or.reduceat(masks, firsts)
                key = key[firsts]
            del firsts
            strong = masks & _STRONG
            np.copyto(masks, strong, where=strong != 0)
            del strong
            ords = (key & 0xFFFFFFFF).astype(np.int32)
            key >>= 32
            starts = np.flatnonzero(key[1:] != key[:-1]) + 1
            starts = np.concatenate(([0], starts)).astype(np.int64)
            uniq = key[starts].astype(np.int32)
            del key
            offsets = np.append(starts, len(ords)).astype(np.int64)
            self._segments.append(_Segment(uniq, offsets, ords, masks))
        self._segment_end += SEGMENT

    def finish(self) -> SearchIndex:
        self._flush()
        n_terms = len(self.terms)
        words = list(self.terms)  # in tid order
        df = np.zeros(n_terms, dtype=np.int32)
        for seg in self._segments:
            df[seg.tids] += np.diff(seg.offsets).astype(np.int32)
        self._pack_variants()
        blocks, self._variant_blocks = self._variant_blocks, []
        columns = {}
        for n, (name, dtype) in enumerate(VARIANT_COLUMNS):
            # Column by column, each dropped from the blocks once joined: no second copy.
            columns[name] = np.concatenate([b[n] for b in blocks]) if blocks else np.zeros(0, dtype)
            for block in blocks:
                block[n] = block[n][:0]
        del blocks
        v_seq = columns.pop("v_seq")
        if len(v_seq) > 1 and bool((v_seq[1:] < v_seq[:-1]).any()):
            # Variants that came late (after other products) join their product.
            order = np.argsort(v_seq, kind="stable")
            columns = {name: values[order] for name, values in columns.items()}
        n = self.products
        var_counts = np.bincount(v_seq, minlength=n) if len(v_seq) else np.zeros(n, np.int64)
        path_cats = self.path_cats
        path_lengths = np.array([len(c) for c in path_cats], dtype=np.int64)

        arrays: dict[str, npt.NDArray[np.generic]] = {
            "p_brand": np.frombuffer(self.p_brand, dtype=np.int32).copy(),
            "p_leaf": np.frombuffer(self.p_leaf, dtype=np.int32).copy(),
            "p_path": np.frombuffer(self.p_path, dtype=np.int32).copy(),
            "path_off": np.concatenate(([0], np.cumsum(path_lengths, dtype=np.int64))),
            "path_cats": np.array([c for cats in path_cats for c in cats], dtype=np.int32),
            "p_var_off": np.concatenate(([0], np.cumsum(var_counts, dtype=np.int64))),
            **columns,
            "df": df,
        }
        arrays.update(_typo_arrays(words))
        for k, seg in enumerate(self._segments):
            arrays[f"s{k}_tids"] = seg.tids
            arrays[f"s{k}_offsets"] = seg.offsets
            arrays[f"s{k}_ords"] = seg.ords
            arrays[f"s{k}_masks"] = seg.masks
        return SearchIndex(arrays, words, self.brand_names, self.category_names)


def _typo_arrays(words: list[str]) -> dict[str, npt.NDArray[np.generic]]:
    """Deletion neighbours (SymSpell) of the longer alphabetic words, as sorted crc32 hashes."""
    hashes: array[int] = array("I")
    tids: array[int] = array("i")
    for tid, word in enumerate(words):
        if len(word) >= MIN_TYPO_LENGTH and word.isalpha():
            for variant in (word, *_deletes(word)):
                hashes.append(_hash(variant))
                tids.append(tid)
    h = np.frombuffer(hashes, dtype=np.uint32)
    order = np.argsort(h, kind="stable")
    return {"typo_hash": h[order], "typo_tid": np.frombuffer(tids, dtype=np.int32)[order]}


def _read_uncompressed(data: memoryview) -> dict[str, npt.NDArray[Any]]:
    """An index stored uncompressed (numpy views on ``data``, 8-byte aligned arrays)."""
    size = int.from_bytes(data[5:13], "little")
    entries = orjson.loads(bytes(data[13 : 13 + size]))
    base = 13 + size
    arrays: dict[str, npt.NDArray[Any]] = {}
    for name, dtype, shape, offset, nbytes in entries:
        start = base + offset
        flat = np.frombuffer(data[start : start + nbytes], dtype=np.dtype(dtype))
        arrays[name] = flat.reshape(shape)
    return arrays


def _osa_distance_at_most_one(a: str, b: str) -> bool:
    """One insertion, deletion, substitution or swap of neighbours apart (or equal)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    while i < min(la, lb) and a[i] == b[i]:
        i += 1
    if la == lb:
        if a[i + 1 :] == b[i + 1 :]:
            return True
        return i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
    if la > lb:
        return a[i + 1 :] == b[i:]
    return a[i:] == b[i + 1 :]


class Groups:
    """Consecutive runs of variants, one per product: reduce a per-variant array per product.

    ``np.ufunc.reduceat`` pays per run; most products have one variant, so their value is
    read directly and only products with several variants go through ``reduceat``.
    """

    def __init__(self, starts: Ints, counts: Ints, total: int) -> None:
        self.starts = starts
        self.total = total
        multi = np.flatnonzero(counts > 1)
        self.multi = multi
        if len(multi):
            bounds = np.empty(2 * len(multi), dtype=np.int64)
            bounds[0::2] = starts[multi]
            bounds[1::2] = starts[multi] + counts[multi]
            self.bounds = bounds

    def reduce(self, ufunc: np.ufunc, values: npt.NDArray[Any], pad: Any) -> npt.NDArray[Any]:
        out = values[self.starts]
        if len(self.multi):
            bounds = self.bounds
            if bounds[-1] >= len(values):
                # The last run ends the array: reduceat's last index runs to the end anyway.
                bounds = bounds[:-1]
            out[self.multi] = ufunc.reduceat(values, bounds)[0::2]
        return out

    def any(self, values: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
        return self.reduce(np.logical_or, values, False)


BIG = np.iinfo(np.int64).max
_BUYABLE_CODES = np.array([a in ORDERABLE for a in Availability], dtype=bool)


class NowColumns:
    """What depends on the clock, for the whole catalog at one moment.

    Per variant: the price in force and whether it is a sale price; per product (any or
    lowest over its variants, and over its buyable variants only): buyable, on sale, lowest
    price, availability and age-group bits. Queries without variant filters other than
    "in stock" read these instead of going through variants.
    """

    def __init__(self, index: SearchIndex, moment: int) -> None:
        price = index.v_price.copy()
        with_sale = np.flatnonzero(index.v_has_sale)
        on_sale = np.zeros(len(price), dtype=bool)
        if len(with_sale):
            live = (index.v_sale_start[with_sale] <= moment) & (
                moment < index.v_sale_end[with_sale]
            )
            on_sale[with_sale[live]] = True
            price[with_sale[live]] = index.v_sale[with_sale[live]]
        self.v_price = price
        self.v_on_sale = on_sale
        buyable = _BUYABLE_CODES[index.v_avail] & (index.v_quantity_zero == 0)
        self.v_buyable = buyable
        n = index.n_products
        groups = index.all_groups
        active = index.active

        def per_product(values: npt.NDArray[Any], ufunc: np.ufunc, pad: Any) -> Any:
            out = np.full(n, pad, dtype=values.dtype)
            if len(active):
                out[active] = groups.reduce(ufunc, values, pad)
            return out

        avail_bits = np.left_shift(1, index.v_avail.astype(np.int64)).astype(np.uint8)
        ages = index.v_age_group.astype(np.int64)
        age_bits = np.where(ages >= 0, np.left_shift(1, np.maximum(ages, 0)), 0).astype(np.uint8)
        # One OR per product over packed bits instead of one reduction per column.
        b = buyable.astype(np.int32)
        avail = avail_bits.astype(np.int32)
        age = age_bits.astype(np.int32)
        packed = per_product(
            b
            | (on_sale.astype(np.int32) << 1)
            | ((on_sale & buyable).astype(np.int32) << 2)
            | (avail << 3)
            | ((avail * b) << 8)
            | (age << 13)
            | ((age * b) << 20),
            np.bitwise_or,
            np.int32(0),
        )
        self.p_buyable = (packed & 1) > 0
        self.p_sale = (packed & 2) > 0
        self.p_sale_buyable = (packed & 4) > 0
        self.p_avail_bits = ((packed >> 3) & 0x1F).astype(np.uint8)
        self.p_avail_bits_buyable = ((packed >> 8) & 0x1F).astype(np.uint8)
        self.p_age_bits = ((packed >> 13) & 0x7F).astype(np.uint8)
        self.p_age_bits_buyable = ((packed >> 20) & 0x7F).astype(np.uint8)
        self.p_low = per_product(price, np.minimum, BIG)
        self.p_low_buyable = per_product(np.where(buyable, price, BIG), np.minimum, BIG)
        # Packed per variant for filtered queries: 1 = passes (set by the query), 2 buyable,
        # 4 on sale now, availability bits from bit 3, age-group bits from bit 8.
        self.v_flags = (
            1
            | (buyable.astype(np.int32) << 1)
            | (on_sale.astype(np.int32) << 2)
            | (avail_bits.astype(np.int32) << 3)
            | (age_bits.astype(np.int32) << 8)
        ).astype(np.int32)


@dataclass(frozen=True, slots=True)
class Expansion:
    """Indexed words a typed word stands for, with how well each matches (1 = exactly)."""

    tids: tuple[int, ...]
    qualities: tuple[float, ...]


MAX_EXPANSIONS = 24


class SearchIndex:
    """The loaded index of one catalog generation. Read-only; safe to share between threads."""

    def __init__(
        self,
        arrays: dict[str, npt.NDArray[np.generic]],
        words: list[str],
        brands: list[str],
        categories: list[str],
        *,
        fold_version: int = FOLD_VERSION,
    ) -> None:
        self.arrays = arrays
        # The shoptext.fold its words were folded with: another one's index still answers
        # (folding changes are rare characters) but the catalog re-indexes it on next import.
        self.fold_version = fold_version
        self.words = words
        self.term_ids = {w: i for i, w in enumerate(words)}
        self.sorted_words = sorted(words)
        self.sorted_tids = np.array([self.term_ids[w] for w in self.sorted_words], dtype=np.int32)
        self.brand_names = brands
        self.brand_ids = {fold(b).strip(): i for i, b in enumerate(brands)}
        self.category_names = categories
        self.category_ids = {fold(c).strip(): i for i, c in enumerate(categories)}
        a = arrays
        self.p_brand: Ords = a["p_brand"]  # type: ignore[assignment]
        self.p_leaf: Ords = a["p_leaf"]  # type: ignore[assignment]
        self.p_path: Ords = a["p_path"]  # type: ignore[assignment]
        self.path_off: Ints = a["path_off"]  # type: ignore[assignment]
        self.path_cats: Ords = a["path_cats"]  # type: ignore[assignment]
        self.p_var_off: Ints = a["p_var_off"]  # type: ignore[assignment]
        self.v_price: Ints = a["v_price"]  # type: ignore[assignment]
        self.v_sale: Ints = a["v_sale"]  # type: ignore[assignment]
        self.v_sale_start: Ints = a["v_sale_start"]  # type: ignore[assignment]
        self.v_sale_end: Ints = a["v_sale_end"]  # type: ignore[assignment]
        self.v_has_sale = self.v_sale >= 0
        self.v_avail = a["v_avail"]
        self.v_quantity_zero = a["v_quantity_zero"]
        self.v_age_lo = a["v_age_lo"]
        self.v_age_hi = a["v_age_hi"]
        self.v_age_group = a["v_age_group"]
        self.v_gender = a["v_gender"]
        self.df: Ords = a["df"]  # type: ignore[assignment]
        self.typo_hash = a["typo_hash"]
        self.typo_tid: Ords = a["typo_tid"]  # type: ignore[assignment]
        self.segments: list[_Segment] = []
        k = 0
        while f"s{k}_tids" in a:
            self.segments.append(
                _Segment(
                    a[f"s{k}_tids"],  # type: ignore[arg-type]
                    a[f"s{k}_offsets"],  # type: ignore[arg-type]
                    a[f"s{k}_ords"],  # type: ignore[arg-type]
                    a[f"s{k}_masks"],  # type: ignore[arg-type]
                )
            )
            k += 1
        self.n_products = len(self.p_brand)
        counts = np.diff(self.p_var_off)
        self.var_count = counts
        # Searchable products: those with at least one active variant.
        self.active: Ords = np.flatnonzero(counts > 0).astype(np.int32)
        self.all_groups = Groups(
            self.p_var_off[self.active], counts[self.active], len(self.v_price)
        )
        self.expand = lru_cache(maxsize=4096)(self._expand)
        # The product of each variant, as its position in ``active`` (variants are grouped).
        self.v_active_pos = np.repeat(
            np.arange(len(self.active), dtype=np.int32), counts[self.active]
        )
        with_sale = self.v_has_sale
        bounds = np.concatenate((self.v_sale_start[with_sale], self.v_sale_end[with_sale]))
        # Moments at which some sale starts or ends: between two of them "now" is the same.
        self.sale_bounds = np.unique(bounds[(bounds != NO_TIME) & (bounds != -NO_TIME)])
        self._now_cache: tuple[int, NowColumns] | None = None
        # Matches of hot broad words ("lego", "gift"): see catalog.search.term_matches.
        self.match_cache: OrderedDict[Any, Any] = OrderedDict()
        self.match_cache_bytes = 0
        self.match_cache_lock = threading.Lock()

    def now_columns(self, moment: int) -> NowColumns:
        """Per-variant prices in force and per-product summaries at ``moment`` (cached).

        They only change when a sale window opens or closes, so one computation serves every
        query until the next such moment.
        """
        key = int(np.searchsorted(self.sale_bounds, moment, side="right"))
        cached = self._now_cache
        if cached is not None and cached[0] == key:
            return cached[1]
        columns = NowColumns(self, moment)
        self._now_cache = (key, columns)
        return columns

    # -- serialisation -------------------------------------------------------------------
    # Stored compressed array by array (catalog.index_blob); indexes written before that
    # (_MAGIC, arrays stored as they are in memory) still load.
    def _payload(self) -> dict[str, npt.NDArray[Any]]:
        text = "\x00".join(self.words) + "\x01" + "\x00".join(self.brand_names)
        text += "\x01" + "\x00".join(self.category_names)
        return {
            **self.arrays,
            "_text": np.frombuffer(text.encode(), dtype=np.uint8),
            "_fold": np.array([self.fold_version], dtype=np.int32),
        }

    def write(self, sink: Callable[[memoryview | bytes], None]) -> int:
        """Stream the index to ``sink`` (called with consecutive pieces); return its size."""
        return write_arrays(self._payload(), sink)

    def to_bytes(self) -> bytes:
        parts: list[bytes] = []
        self.write(lambda piece: parts.append(bytes(piece)))
        return b"".join(parts)

    @classmethod
    def from_bytes(cls, blob: bytes | bytearray | memoryview) -> SearchIndex:
        data = memoryview(blob)
        arrays = _read_uncompressed(data) if bytes(data[:5]) == _MAGIC else read_arrays(data)
        text = arrays.pop("_text").tobytes().decode()
        stored = arrays.pop("_fold", np.zeros(1, np.int32))  # 0: before FOLD_VERSION
        fold_version = int(stored[0]) if len(stored) else 0
        words, brands, categories = (
            part.split("\x00") if part else [] for part in text.split("\x01")
        )
        return cls(arrays, words, brands, categories, fold_version=fold_version)

    # -- postings ------------------------------------------------------------------------
    def postings(self, tid: int) -> tuple[Ords, npt.NDArray[np.uint8]]:
        """Products containing word ``tid`` (ascending) and the fields it occurs in."""
        ords: list[Ords] = []
        masks: list[npt.NDArray[np.uint8]] = []
        for seg in self.segments:
            i = int(np.searchsorted(seg.tids, tid))
            if i < len(seg.tids) and seg.tids[i] == tid:
                lo, hi = int(seg.offsets[i]), int(seg.offsets[i + 1])
                ords.append(seg.ords[lo:hi])
                masks.append(seg.masks[lo:hi])
        if len(ords) == 1:
            return ords[0], masks[0]
        if not ords:
            return np.empty(0, np.int32), np.empty(0, np.uint8)
        return np.concatenate(ords), np.concatenate(masks)

    def _prefix_range(self, prefix: str) -> tuple[int, int]:
        lo = bisect_left(self.sorted_words, prefix)
        hi = bisect_left(self.sorted_words, prefix + "\U0010ffff", lo)
        return lo, hi

    def _top_by_df(self, tids: Iterable[int], limit: int) -> list[int]:
        found = np.fromiter(tids, dtype=np.int32)
        if len(found) > limit:
            found = found[np.argsort(-self.df[found], kind="stable")[:limit]]
        return [int(t) for t in found]

    def _expand(self, form: str) -> Expansion:
        """Exact word, words it begins (prefix), inflections sharing a long stem, and typos."""
        quality: dict[int, float] = {}
        exact = self.term_ids.get(form)
        if exact is not None:
            quality[exact] = 1.0
        if any(ch.isdigit() for ch in form) or not form:
            return Expansion(tuple(quality), tuple(quality.values()))
        if len(form) >= 2:
            lo, hi = self._prefix_range(form)
            prefix_q = 0.8 if len(form) >= 3 else 0.5
            tids = self._top_by_df(self.sorted_tids[lo:hi], MAX_EXPANSIONS)
            for tid in tids:
                quality.setdefault(tid, prefix_q)
        if len(form) >= 4:
            stem = form[: max(4, len(form) - 3)]
            lo, hi = self._prefix_range(stem)
            stems = []
            for i in range(lo, min(hi, lo + 2000)):
                word = self.sorted_words[i]
                common = 0
                for x, y in zip(form, word, strict=False):
                    if x != y:
                        break
                    common += 1
                if common >= 4 and common >= max(len(form), len(word)) - 3:
                    stems.append(int(self.sorted_tids[i]))
            for tid in self._top_by_df(stems, MAX_EXPANSIONS):
                quality.setdefault(tid, 0.6)
        if len(form) >= MIN_TYPO_LENGTH and exact is None:
            typos: set[int] = set()
            for variant in (form, *_deletes(form)):
                h = _hash(variant)
                lo = int(np.searchsorted(self.typo_hash, h))
                hi = int(np.searchsorted(self.typo_hash, h, side="right"))
                typos.update(int(t) for t in self.typo_tid[lo:hi])
            near = [t for t in typos if _osa_distance_at_most_one(form, self.words[t])]
            for tid in self._top_by_df(near, MAX_EXPANSIONS):
                quality.setdefault(tid, 0.5)
        return Expansion(tuple(quality), tuple(quality.values()))

    # -- variants ------------------------------------------------------------------------
    def variants_of(self, products: Ords) -> tuple[Ints, Groups]:
        """Variant positions of ``products`` (grouped per product) and the grouping."""
        starts = self.p_var_off[products]
        counts = self.var_count[products]
        group_starts = np.zeros(len(products), dtype=np.int64)
        np.cumsum(counts[:-1], out=group_starts[1:])
        if len(products) and int(counts.max()) == 1:
            return starts, Groups(group_starts, counts, len(products))
        total = int(counts.sum())
        positions = np.arange(total, dtype=np.int64) + np.repeat(starts - group_starts, counts)
        return positions, Groups(group_starts, counts, total)

    def category_counts(self, products: Ords) -> npt.NDArray[np.int64]:
        """Products per category id, each level of each product's path counted."""
        if not len(self.path_cats):
            return np.zeros(0, dtype=np.int64)
        per_path = np.bincount(self.p_path[products], minlength=len(self.path_off) - 1)
        weights = np.repeat(per_path, np.diff(self.path_off))
        return np.bincount(self.path_cats, weights=weights).astype(np.int64)

    def in_category(self, products: Ords, category: int) -> npt.NDArray[np.bool_]:
        """Whether each product has ``category`` at some level of its path."""
        paths = np.zeros(len(self.path_off) - 1, dtype=bool)
        for n in range(len(paths)):
            lo, hi = int(self.path_off[n]), int(self.path_off[n + 1])
            paths[n] = category in self.path_cats[lo:hi]
        return paths[self.p_path[products]] if len(paths) else np.zeros(len(products), bool)


def top_k(values: npt.NDArray[Any], k: int) -> npt.NDArray[np.int64]:
    """Positions of the ``k`` largest values, best first; ties keep their order.

    Candidates arrive in static-rank order and broad queries tie a lot at the top, so a few
    passes of max() usually find the best ``k`` without partitioning everything.
    """
    n = len(values)
    if k <= 0 or n == 0:
        return np.empty(0, dtype=np.int64)
    if k >= n:
        return np.lexsort((np.arange(n), -values))
    picked: list[npt.NDArray[np.int64]] = []
    need = k
    work = values
    floor = np.array(-np.inf if values.dtype.kind == "f" else np.iinfo(values.dtype).min)
    for _ in range(4):
        best = work.max()
        tied = np.flatnonzero(work == best)
        picked.append(tied[:need])
        need -= len(picked[-1])
        if need == 0:
            return np.concatenate(picked)
        if work is values:
            work = values.copy()
        work[tied] = floor
    threshold = np.partition(work, n - need)[n - need]
    better = np.flatnonzero(work > threshold)
    ties = np.flatnonzero(work == threshold)[: need - len(better)]
    rest = np.concatenate((better, ties))
    rest = rest[np.lexsort((rest, -work[rest]))]
    return np.concatenate((*picked, rest))


def empty_index() -> SearchIndex:
    return IndexBuilder().finish()


__all__ = [
    "DESC",
    "LABEL",
    "NAME",
    "TITLE",
    "Expansion",
    "Groups",
    "IndexBuilder",
    "NowColumns",
    "SearchIndex",
    "empty_index",
    "gender_code",
    "name_key",
    "top_k",
    "variant_values",
]

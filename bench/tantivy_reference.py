"""The reference to beat: tantivy on the same generated items and queries as bench/catalog.py.

    pip install -e '.[bench]'                      # tantivy is only a bench dependency
    python bench/tantivy_reference.py              # 1,000,000 items
    python bench/tantivy_reference.py --items 100000

Builds a tantivy index (one document per feed item, as shopchat's variants: title in every
locale, description, brand, categories and tags as text; price, stock, ages, age group and
gender as fast fields) from ``bench/catalog.py``'s generator, then runs its query mix: the
words through tantivy's query parser (lenient, any word may match, BM25) and the filters as
range and term queries; "facets on" adds an aggregation of brands, categories, availability,
age groups and price buckets over the matches, as shopchat's facets. Prints the build's wall
and CPU seconds, the index's size on disk, peak RSS and p50/p95/p99 latencies, with the load
average, so docs/catalog.md can keep the figures beside shopchat's.

Not the same engine work, and said so: tantivy folds no accents (``zolta`` does not find
``żółta``), matches no prefixes or typos unless asked, and filters on the regular price.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import tantivy

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]
# bench/catalog.py, under another name than the catalog package: the same items and queries.
_spec = importlib.util.spec_from_file_location("catalog_bench", HERE / "catalog.py")
assert _spec is not None and _spec.loader is not None
catalog_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(catalog_bench)
QUERIES, generate, percentiles = (
    catalog_bench.QUERIES,
    catalog_bench.generate,
    catalog_bench.percentiles,
)

AVAILABLE = {"in_stock", "preorder", "backorder"}
AGE_GROUPS = ["newborn", "infant", "toddler", "kids", "adult"]
TEXT_FIELDS = ["title", "description", "brand", "categories", "tags"]


def schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    for name in TEXT_FIELDS:
        builder.add_text_field(name)
    builder.add_text_field("brand_s", tokenizer_name="raw", fast=True)
    builder.add_text_field("cats", tokenizer_name="raw", fast=True)
    for name in ("price", "in_stock", "age_min", "age_max", "age_group", "gender"):
        builder.add_integer_field(name, indexed=True, fast=True)
    return builder.build()


def document(item: Any) -> tantivy.Document:
    doc = tantivy.Document()
    doc.add_text("id", item.id)
    doc.add_text("title", " ".join([item.title, *item.title_i18n.values()]))
    doc.add_text("description", item.description or "")
    doc.add_text("brand", item.brand or "")
    doc.add_text("brand_s", item.brand or "")
    doc.add_text("categories", " ".join(item.categories))
    doc.add_text("tags", " ".join(item.tags))
    for depth in range(1, len(item.categories) + 1):
        doc.add_text("cats", " > ".join(item.categories[:depth]))
    doc.add_integer("price", item.price)
    doc.add_integer("in_stock", int(str(item.availability.value) in AVAILABLE))
    age_group = item.age_group.value if item.age_group else ""
    years = {"newborn": (0, 0), "infant": (0, 1), "toddler": (1, 5), "kids": (5, 13)}
    low, high = years.get(age_group, (13, 120) if age_group == "adult" else (0, 120))
    doc.add_integer("age_min", low)
    doc.add_integer("age_max", high)
    doc.add_integer("age_group", AGE_GROUPS.index(age_group) if age_group in AGE_GROUPS else -1)
    gender = item.gender.value if item.gender else ""
    doc.add_integer("gender", {"female": 1, "male": 2}.get(gender, 0))
    return doc


def query_for(index: tantivy.Index, text: str, filters: dict[str, Any]) -> tantivy.Query:
    sch = index.schema
    parts: list[tuple[tantivy.Occur, tantivy.Query]] = []
    if text.strip():
        parsed, _errors = index.parse_query_lenient(text, TEXT_FIELDS)
        parts.append((tantivy.Occur.Must, parsed))
    integer = tantivy.FieldType.Integer

    def between(field: str, low: int | None, high: int | None) -> None:
        parts.append(
            (tantivy.Occur.Must, tantivy.Query.range_query(sch, field, integer, low, high))
        )

    if "min_price" in filters or "max_price" in filters:
        between("price", filters.get("min_price"), filters.get("max_price"))
    if filters.get("in_stock"):
        between("in_stock", 1, 1)
    if "age_group" in filters:
        code = AGE_GROUPS.index(filters["age_group"])
        between("age_group", code, code)
    if "gender" in filters:
        code = {"female": 1, "male": 2}[filters["gender"]]
        between("gender", code, code)
    if "age" in filters:
        between("age_min", None, filters["age"])
        between("age_max", filters["age"], None)
    if "brand" in filters:
        parts.append(
            (tantivy.Occur.Must, tantivy.Query.term_query(sch, "brand_s", filters["brand"]))
        )
    if "category" in filters:
        parts.append(
            (tantivy.Occur.Must, tantivy.Query.term_query(sch, "cats", filters["category"]))
        )
    if not parts:
        return tantivy.Query.all_query()
    return tantivy.Query.boolean_query(parts)


FACETS = {
    "brands": {"terms": {"field": "brand_s", "size": 10}},
    "categories": {"terms": {"field": "cats", "size": 10}},
    "stock": {"terms": {"field": "in_stock"}},
    "ages": {"terms": {"field": "age_group"}},
    "prices": {
        "range": {
            "field": "price",
            "ranges": [
                {"to": 5000},
                {"from": 5000, "to": 10000},
                {"from": 10000, "to": 20000},
                {"from": 20000, "to": 50000},
                {"from": 50000},
            ],
        }
    },
}


def directory_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def load() -> str:
    return " / ".join(f"{n:.2f}" for n in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    where = Path(tempfile.mkdtemp(prefix="tantivy-bench-"))
    index = tantivy.Index(schema(), path=str(where))
    print(f"load average at the start: {load()}")
    started, cpu = time.perf_counter(), time.process_time()
    writer = index.writer(heap_size=256_000_000, num_threads=args.threads)
    for item in generate(args.items):
        writer.add_document(document(item))
    writer.commit()
    writer.wait_merging_threads()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"tantivy build: {args.items:,} documents in {seconds:.1f} s wall, {cpu:.1f} s CPU "
        f"(making the items in Python included); index on disk "
        f"{directory_size(where) / 2**20:.0f} MB; load average {load()}"
    )
    index.reload()
    searcher = index.searcher()
    plain: list[float] = []
    faceted: list[float] = []
    for _ in range(args.rounds):
        for text, filters in QUERIES:
            query = query_for(index, text, filters)
            began = time.perf_counter()
            found = searcher.search(query, 10, count=True)
            [searcher.doc(address)["id"] for _score, address in found.hits]
            plain.append(time.perf_counter() - began)
            began = time.perf_counter()
            found = searcher.search(query, 10, count=True)
            [searcher.doc(address)["id"] for _score, address in found.hits]
            searcher.aggregate(query, FACETS)
            faceted.append(time.perf_counter() - began)
    print(f"search (facets on, {len(faceted)} queries): {percentiles(faceted)}")
    print(f"search (facets off): {percentiles(plain)}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {rss:.0f} MB; load average at the end: {load()}")


if __name__ == "__main__":
    main()

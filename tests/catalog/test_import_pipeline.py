"""A big Google XML feed is parsed in a second process while this one stores and indexes it.

What a merchant would notice: the same catalog and the same report as a small feed read in one
process, and a clear error with the old catalog intact when the parser process dies.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from catalog import Catalog
from catalog.feeds import FeedError

from .feeds.test_google_xml import EDGE_FEED, HEAD, TAIL, item


def ids(result) -> list[str]:
    return sorted(hit.product.id for hit in result.hits)


def _variants(n: int) -> str:
    """``n`` items: every fifth a size variant of the one before, some rejected."""
    parts = []
    for k in range(n):
        group = f"<g:item_group_id>G{k - k % 5}</g:item_group_id>" if k % 5 in (0, 1) else ""
        size = f"<g:size>{'SM'[k % 5]}</g:size>" if group else ""
        price = "oops" if k % 97 == 3 else f"{10 + k % 50}.00 PLN"
        parts.append(item(f"S{k}", price, f"Kite {k} gift", group + size))
    return "".join(parts)


def _summary(catalog: Catalog, path: Path) -> tuple[object, ...]:
    report = catalog.import_path(path, force=True, currency="PLN")
    found = catalog.search("kite", limit=50, max_price=3000)
    return (
        report.as_dict(),
        found.total,
        [(h.product.id, [v.id for v in h.variants]) for h in found.hits],
        ids(catalog.search("remiza")),
    )


def test_the_parser_process_gives_the_same_catalog_and_report(catalog, tmp_path, monkeypatch):
    path = tmp_path / "feed.xml"
    path.write_bytes(EDGE_FEED.removesuffix(TAIL.encode()) + (_variants(400) + TAIL).encode())
    monkeypatch.setattr("catalog.feeds.google_xml.PARALLEL_BYTES", 1 << 40)
    inline = _summary(catalog, path)
    monkeypatch.setattr("catalog.feeds.google_xml.PARALLEL_BYTES", 0)
    monkeypatch.setattr("catalog.feeds.parser_process.BATCH", 7)  # many batches, problems between
    parallel = _summary(catalog, path)
    assert parallel == inline
    report = inline[0]
    assert report["rejected"] and report["warnings"] and report["variants"] > 300  # type: ignore[index]


def _kill_the_parser(stage: str = "builder") -> None:
    """SIGKILL the builder (our child running catalog.feeds.parser_process) or the reader it
    started (its child), found through /proc."""
    processes = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if b"catalog.feeds.parser_process" in command:
            processes[int(stat.parent.name)] = parent
    builders = [pid for pid, parent in processes.items() if parent == os.getpid()]
    assert builders, "no feed parser process found"
    if stage == "builder":
        os.kill(builders[0], signal.SIGKILL)
        return
    readers = [pid for pid, parent in processes.items() if parent == builders[0]]
    assert readers, "no feed reader process found"
    os.kill(readers[0], signal.SIGKILL)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the child in /proc")
@pytest.mark.parametrize("stage", ["builder", "reader"])
def test_a_parser_process_that_dies_fails_the_import_and_keeps_the_old_catalog(
    catalog, tmp_path, monkeypatch, stage
):
    catalog.import_items([_old_kite()])
    before = catalog.generation
    path = tmp_path / "feed.xml"
    path.write_text(HEAD + _variants(40_000) + TAIL, encoding="utf-8")
    monkeypatch.setattr("catalog.feeds.google_xml.PARALLEL_BYTES", 0)
    monkeypatch.setattr("catalog.feeds.parser_process.BATCH", 100)  # it runs < 1,000 items ahead

    def progress(rows: int, rejected: int) -> None:
        # The helpers run up to a full 1 MB pipe each ahead: several thousand small items.
        if rows == 10_000:
            _kill_the_parser(stage)  # as the out-of-memory killer would

    with pytest.raises(FeedError, match="parser process stopped unexpectedly"):
        catalog.import_path(path, progress=progress)
    assert catalog.generation == before
    assert ids(catalog.search("kite")) == ["old"]
    _assert_one_generation_left(catalog)


def test_malformed_xml_late_in_a_big_feed_keeps_the_old_catalog(catalog, tmp_path, monkeypatch):
    catalog.import_items([_old_kite()])
    path = tmp_path / "feed.xml"
    path.write_text(HEAD + _variants(3000) + "<item><g:id>X</g:id>a < b</item>" + TAIL)
    monkeypatch.setattr("catalog.feeds.google_xml.PARALLEL_BYTES", 0)
    with pytest.raises(FeedError, match="malformed XML") as caught:
        catalog.import_path(path)
    assert caught.value.line == 3003
    assert ids(catalog.search("kite")) == ["old"]
    _assert_one_generation_left(catalog)


def _old_kite():
    from .conftest import make_item

    return make_item("old", title="Old kite")


def _assert_one_generation_left(catalog: Catalog) -> None:
    from sqlalchemy import func, select

    from catalog.store import blocks, generations, ids

    with catalog.engine.connect() as connection:
        for table in (generations, blocks, ids):
            assert connection.execute(select(func.count()).select_from(table)).scalar() == 1


def test_the_parser_process_imports_only_the_feed_readers():
    # What keeps it at ~25 MB: no SQLAlchemy, numpy or search code in the child.
    import subprocess
    import sys

    heavy = ("sqlalchemy", "numpy", "catalog.search", "catalog.index", "catalog.catalog")
    code = (
        "import sys; import catalog.feeds.parser_process, catalog.rows; "
        f"print([m for m in {heavy!r} if m in sys.modules])"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert found == "[]"

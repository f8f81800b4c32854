"""The demo shop's product pictures (examples/shop/site/draw.py): one per catalog product,
read with the shared JSON Lines reader, so a bad line is reported and the others drawn."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

SITE = Path(__file__).resolve().parent.parent / "examples" / "shop" / "site"


def drawer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("shop_site_draw", SITE / "draw.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_bad_catalog_line_is_reported_and_the_other_products_are_drawn(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.jsonl"
    catalog.write_bytes(
        b'\xef\xbb\xbf{"id": "p1", "title": {"en": "Robot kit"}, "category": "science"}\n'
        b'{"id": "p2", "title": "Broken\n'
        b"\n"
        b'{"id": "p3", "title": "Tea tin", "brand": "Leaf", "category": "tea_coffee"}\r\n'
    )
    problems = drawer().draw(catalog, tmp_path)
    assert sorted(p.name for p in tmp_path.glob("*.svg")) == ["p1.svg", "p3.svg"]
    assert "Robot kit" in (tmp_path / "p1.svg").read_text(encoding="utf-8")
    assert len(problems) == 1 and problems[0].startswith("catalog.jsonl:2: not valid JSON")


def test_every_demo_product_has_its_picture(tmp_path: Path) -> None:
    assert drawer().draw(SITE.parent / "catalog.jsonl", tmp_path) == []
    drawn = {p.name: p.read_bytes() for p in tmp_path.glob("*.svg")}
    shipped = {p.name: p.read_bytes() for p in (SITE / "img").glob("*.svg") if p.name in drawn}
    assert drawn and shipped == drawn  # the shipped pictures are what draw.py makes

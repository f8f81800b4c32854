"""Draws the demo shop's product pictures (small SVGs, so the demo works offline).

Run from the repository: ``python examples/shop/site/draw.py``. Each product of catalog.jsonl
gets ``img/<id>.svg``: its category's colour and symbol, its brand and its name.
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

from shoptext import json_lines

HERE = Path(__file__).resolve().parent
SHOP = HERE.parent

# category: (background, accent, symbol); symbols every common font has.
LOOKS = {
    "arts_crafts": ("#ffe3ec", "#c2185b", "✎"),
    "board_games": ("#e3f2fd", "#1565c0", "♞"),
    "books": ("#fff3e0", "#e65100", "❡"),
    "building": ("#fdecea", "#c62828", "▦"),
    "clothing": ("#ede7f6", "#5e35b1", "✂"),
    "cosmetics": ("#fce4ec", "#ad1457", "✿"),
    "gadgets": ("#e0f7fa", "#00838f", "⚙"),
    "jewelry": ("#fffde7", "#9e7d00", "◆"),
    "kitchen": ("#efebe9", "#6d4c41", "☕"),
    "music": ("#f3e5f5", "#7b1fa2", "♫"),
    "outdoor": ("#e8f5e9", "#2e7d32", "☀"),
    "plush": ("#fbe9e7", "#d84315", "♥"),
    "puzzles": ("#e8eaf6", "#3949ab", "✚"),
    "science": ("#e0f2f1", "#00695c", "⚛"),
    "tea_coffee": ("#f1f8e9", "#558b2f", "☘"),
}
DEFAULT = ("#eeeeee", "#424242", "★")


def svg(title: str, brand: str, category: str) -> str:
    bg, ink, symbol = LOOKS.get(category, DEFAULT)
    words = title if len(title) <= 30 else title[:29].rstrip() + "…"
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 400" width="600" height="400">'
        f'<rect width="600" height="400" fill="{bg}"/>'
        f'<circle cx="300" cy="165" r="105" fill="#fff" stroke="{ink}" stroke-width="6"/>'
        f'<text x="300" y="205" font-size="120" text-anchor="middle" fill="{ink}" '
        f'font-family="DejaVu Sans, sans-serif">{symbol}</text>'
        f'<text x="300" y="318" font-size="30" font-weight="700" text-anchor="middle" '
        f'fill="{ink}" font-family="DejaVu Sans, sans-serif">{html.escape(words)}</text>'
        f'<text x="300" y="360" font-size="22" text-anchor="middle" fill="#333" '
        f'font-family="DejaVu Sans, sans-serif">{html.escape(brand)}</text>'
        "</svg>\n"
    )


def draw(catalog: Path, out: Path) -> list[str]:
    """Draw ``out/<id>.svg`` for each product of ``catalog``; the lines it could not use."""
    problems = []
    with catalog.open("rb") as lines:
        for line in json_lines(lines):
            product = line.value
            title = product.get("title")
            if isinstance(title, dict):
                title = title.get("en") or next(iter(title.values()), None)
            if line.problem or not isinstance(title, str) or not product.get("id"):
                why = line.problem or "no id or no title"
                problems.append(f"{catalog.name}:{line.number}: {why}; not drawn")
                continue
            picture = svg(title, str(product.get("brand", "")), str(product.get("category", "")))
            (out / f"{product['id']}.svg").write_text(picture, encoding="utf-8")
    return problems


def main() -> None:
    for problem in draw(SHOP / "catalog.jsonl", HERE / "img"):
        print(problem, file=sys.stderr)


if __name__ == "__main__":
    main()

"""Reading a JSON Lines product feed: one product object per line, bad rows reported and skipped."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from catalog.errors import FeedFileError, FeedRowError
from catalog.models import Product

logger = logging.getLogger(__name__)

_MAX_ERRORS_SHOWN = 3


@dataclass
class FeedRead:
    """The products of a feed, in file order, and the rows that were skipped."""

    products: list[Product] = field(default_factory=list)
    rejected: list[FeedRowError] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # the line of each product


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        if error["type"] == "extra_forbidden":
            problems.append(f"unknown field {where!r}")
        elif error["type"] == "missing":
            problems.append(f"missing field {where!r}")
        else:
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {message}" if where else message)
    shown = "; ".join(problems[:_MAX_ERRORS_SHOWN])
    hidden = len(problems) - _MAX_ERRORS_SHOWN
    return shown + (f" (and {hidden} more)" if hidden > 0 else "")


def _row_name(row: dict[str, Any]) -> str:
    pid = row.get("id")
    return f"product {pid!r}: " if isinstance(pid, str) and pid else ""


def read_jsonl(path: str | Path) -> FeedRead:
    """Parse a ``.jsonl`` feed; raise :class:`FeedFileError` only when the file can't be read."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise FeedFileError(
            f"{path}: catalog feed not found; check the path (catalog.feed in shop.yaml)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FeedFileError(f"{path}: cannot read the catalog feed: {exc}") from None

    result = FeedRead()
    first_line: dict[str, int] = {}
    # split("\n"), not splitlines(): JSON strings may hold U+2028, which splitlines() breaks on.
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            result.rejected.append(
                FeedRowError(
                    path,
                    number,
                    f"not valid JSON ({exc.msg}); each line must be one product object",
                    column=exc.colno,
                )
            )
            continue
        if not isinstance(row, dict):
            result.rejected.append(
                FeedRowError(path, number, f"expected a JSON object, got {type(row).__name__}")
            )
            continue
        try:
            product = Product.model_validate(row)
        except ValidationError as exc:
            result.rejected.append(FeedRowError(path, number, _row_name(row) + _describe(exc)))
            continue
        if product.id in first_line:
            result.rejected.append(
                FeedRowError(
                    path,
                    number,
                    f"duplicate product id {product.id!r} (first on line {first_line[product.id]})",
                )
            )
            continue
        first_line[product.id] = number
        result.products.append(product)
        result.lines.append(number)

    for error in result.rejected:
        logger.warning("%s; row skipped", error)
    return result


__all__ = ["FeedRead", "read_jsonl"]

"""JSON Lines files (one JSON object a line), read the same way by every package.

    for line in json_lines(path.open("rb")):
        if line.problem:
            report(line.number, line.problem)   # "not valid JSON (...)", with line.column
            continue
        use(line.value)                          # a dict

Lines stream (a million-product feed is never held whole); a UTF-8 byte order mark on the first
line is ignored, blank lines are skipped, and a bad line (invalid UTF-8, not JSON, not an
object) is reported by its line number and never stops the lines after it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

_BOM = b"\xef\xbb\xbf"
_JSON_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number"}
_JSON_KINDS |= {bool: "true or false", type(None): "null"}


@dataclass(frozen=True, slots=True)
class JsonLine:
    """Line ``number`` (from 1): its object, or why it has none (``problem``, ``column``)."""

    number: int
    value: dict[str, Any]
    problem: str | None = None
    column: int | None = None


def json_lines(lines: Iterable[bytes]) -> Iterator[JsonLine]:
    """Every non-blank line of a JSON Lines file opened in binary mode, in order."""
    for number, raw in enumerate(lines, start=1):
        if number == 1:
            raw = raw.removeprefix(_BOM)
        if not raw.strip():
            continue
        raw = raw.rstrip(b"\r\n")  # so an unfinished line's column is on it, not after it
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            try:
                raw.decode()
            except UnicodeDecodeError:
                yield JsonLine(number, {}, "invalid UTF-8 bytes; save the file as UTF-8")
            else:
                yield JsonLine(number, {}, f"not valid JSON ({exc.msg})", exc.colno)
            continue
        if not isinstance(value, dict):
            kind = _JSON_KINDS.get(type(value), type(value).__name__)
            yield JsonLine(number, {}, f"expected a JSON object, got {kind}")
            continue
        yield JsonLine(number, value)


__all__ = ["JsonLine", "json_lines"]

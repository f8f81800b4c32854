"""The one JSON Lines reader: every bad line named by its number, the rest still read."""

from __future__ import annotations

import io

from shoptext import json_lines


def read(data: bytes) -> list[tuple[int, object, str | None, int | None]]:
    return [(x.number, x.value, x.problem, x.column) for x in json_lines(io.BytesIO(data))]


def test_each_line_is_an_object_with_its_line_number():
    data = b'\xef\xbb\xbf{"id": 1}\r\n\n   \n{"id": "\xc5\x82"}\n'
    assert read(data) == [(1, {"id": 1}, None, None), (4, {"id": "ł"}, None, None)]


def test_a_bad_line_is_reported_by_number_and_the_next_lines_still_read():
    data = b'{"id": 1}\n{"id": 2,\n[1, 2]\n"text"\nnull\n{"id": "\xff"}\n{"id": 7}\n'
    found = read(data)
    assert [(n, p) for n, _, p, _ in found if p] == [
        (2, "not valid JSON (unexpected end of data)"),
        (3, "expected a JSON object, got an array"),
        (4, "expected a JSON object, got a string"),
        (5, "expected a JSON object, got null"),
        (6, "invalid UTF-8 bytes; save the file as UTF-8"),
    ]
    assert found[1][3] == 10  # where the JSON broke off
    assert [(n, v) for n, v, p, _ in found if not p] == [(1, {"id": 1}), (7, {"id": 7})]


def test_a_byte_order_mark_is_only_skipped_at_the_start():
    assert read(b'{"a": 1}\n\xef\xbb\xbf{"a": 2}\n')[1][2].startswith("not valid JSON")

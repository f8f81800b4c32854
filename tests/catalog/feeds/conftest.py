from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from catalog.feeds import FeedReader, read_feed
from catalog.records import FeedItem, Problem

Feed = tuple[list[FeedItem], FeedReader]


@pytest.fixture
def feed(tmp_path: Path) -> Callable[..., Feed]:
    """``feed(content, name="feed.xml", **read_feed_kwargs)`` -> (items, reader)."""

    def read(content: str | bytes, name: str = "feed.xml", **kwargs: object) -> Feed:
        path = tmp_path / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        reader = read_feed(path, **kwargs)  # type: ignore[arg-type]
        return list(reader), reader

    return read


def errors(reader: FeedReader) -> list[tuple[int, str | None, str]]:
    return [(p.line, p.id, p.reason) for p in reader.problems if p.severity == "error"]


def warnings(reader: FeedReader) -> list[tuple[int, str | None, str]]:
    return [(p.line, p.id, p.reason) for p in reader.problems if p.severity == "warning"]


def assert_problems(
    found: list[tuple[int, str | None, str]], expected: list[tuple[int, str | None, str]]
) -> None:
    """Same (line, id) pairs in the same order, and each reason contains the expected words."""
    assert [(line, id) for line, id, _ in found] == [(line, id) for line, id, _ in expected], found
    for (_, _, reason), (line, _, words) in zip(found, expected, strict=True):
        assert words in reason, f"line {line}: {words!r} not in {reason!r}"


__all__ = ["Feed", "Problem", "assert_problems", "errors", "warnings"]

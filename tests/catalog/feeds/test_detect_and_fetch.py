"""Format sniffing and the conditional download."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from catalog.feeds import FeedError, detect_format, fetch_feed, read_feed


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('\ufeff<?xml version="1.0"?><rss version="2.0"></rss>', "google_xml"),
        ('<feed xmlns="http://www.w3.org/2005/Atom"></feed>', "google_xml"),
        ("id\ttitle\tprice\n", "google_tsv"),
        ("id\ttitle\tprice\trich_text_description\n", "meta_tsv"),
        ("id,title,description,availability,price\n", "meta_csv"),
        ("Handle,Title,Body (HTML)\n", "shopify_csv"),
        ("URL handle,Title,Description\n", "shopify_csv"),
        ('{"id": "a"}\n', "jsonl"),
    ],
)
def test_detect_format(tmp_path, content, expected):
    path = tmp_path / "feed"
    path.write_text(content, encoding="utf-8")
    assert detect_format(path) == expected


@pytest.mark.parametrize(
    ("content", "message"),
    [("", "empty"), ("name;price\nx;1\n", "not a product feed"), ("<html></html>", "not an RSS")],
)
def test_unknown_files_are_refused(tmp_path, content, message):
    path = tmp_path / "feed"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(FeedError, match=message):
        detect_format(path)


def test_missing_file_and_bad_arguments(tmp_path):
    with pytest.raises(FeedError, match="not found"):
        read_feed(tmp_path / "nope.xml", format="google_xml")
    (tmp_path / "f.xml").write_text("<rss/>")
    with pytest.raises(FeedError, match="unknown feed format"):
        read_feed(tmp_path / "f.xml", format="excel")
    with pytest.raises(FeedError, match="--currency"):
        read_feed(tmp_path / "f.xml", currency="ZZZ")


async def test_fetch_downloads_and_remembers_validators(tmp_path: Path):
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.headers.get("If-None-Match") == '"v1"':
            return httpx.Response(304)
        return httpx.Response(
            200,
            content=b"<rss></rss>",
            headers={"ETag": '"v1"', "Last-Modified": "Sun, 22 Nov 2026 10:00:00 GMT"},
        )

    dest = tmp_path / "feed.xml"
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        first = await fetch_feed(
            "https://shop.example/feed.xml", dest, etag=None, last_modified=None, client=client
        )
        assert (first.not_modified, first.etag, first.path) == (False, '"v1"', dest)
        assert dest.read_bytes() == b"<rss></rss>"
        again = await fetch_feed(
            "https://shop.example/feed.xml",
            dest,
            etag=first.etag,
            last_modified=first.last_modified,
            client=client,
        )
    assert again.not_modified and again.etag == '"v1"'
    assert seen[1].headers["If-Modified-Since"] == "Sun, 22 Nov 2026 10:00:00 GMT"
    assert "If-None-Match" not in seen[0].headers


async def test_fetch_http_error_is_a_feed_error_and_keeps_the_old_copy(tmp_path: Path):
    dest = tmp_path / "feed.xml"
    dest.write_bytes(b"old")
    transport = httpx.MockTransport(lambda request: httpx.Response(404))
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(FeedError, match="404"):
            await fetch_feed(
                "https://shop.example/feed.xml", dest, etag=None, last_modified=None, client=client
            )
    assert dest.read_bytes() == b"old"
    assert not (tmp_path / "feed.xml.part").exists()


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf\r\n", b"  \n"])
def test_an_empty_file_is_zero_products_with_a_warning_not_an_error(tmp_path, content):
    path = tmp_path / "feed.xml"
    path.write_bytes(content)
    for format in (None, "google_xml", "shopify_csv"):
        reader = read_feed(path, format=format)
        assert list(reader) == []
        assert [(p.line, p.severity, p.reason) for p in reader.problems] == [
            (0, "warning", "the feed file is empty: no products")
        ]

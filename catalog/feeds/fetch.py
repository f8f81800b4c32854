"""Downloading a feed: streamed to a file, conditional on the last copy's ETag / Last-Modified."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from catalog.feeds.errors import FeedError

if TYPE_CHECKING:
    import httpx


@dataclass(frozen=True, slots=True)
class FetchResult:
    """``not_modified``: the server said 304 and ``path`` was left as it was."""

    not_modified: bool
    etag: str | None
    last_modified: str | None
    path: Path


async def fetch_feed(
    url: str,
    dest: Path,
    *,
    etag: str | None,
    last_modified: str | None,
    client: httpx.AsyncClient,
) -> FetchResult:
    """Download ``url`` to ``dest`` (via a temporary file, renamed only when complete)."""
    import httpx  # here, not at the top: the feed parser process imports this package

    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    partial = dest.with_name(dest.name + ".part")
    try:
        async with client.stream("GET", url, headers=headers, follow_redirects=True) as response:
            if response.status_code == 304:
                return FetchResult(True, etag, last_modified, dest)
            if response.status_code >= 400:
                raise FeedError(
                    url,
                    f"the server answered {response.status_code} {response.reason_phrase}; "
                    "check the feed URL and its access rights",
                )
            with partial.open("wb") as out:
                async for chunk in response.aiter_bytes():
                    out.write(chunk)
            os.replace(partial, dest)
            return FetchResult(
                False,
                response.headers.get("ETag"),
                response.headers.get("Last-Modified"),
                dest,
            )
    except httpx.HTTPError as exc:
        partial.unlink(missing_ok=True)
        raise FeedError(
            url, f"download failed ({exc.__class__.__name__}: {exc}); try again"
        ) from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


__all__ = ["FetchResult", "fetch_feed"]

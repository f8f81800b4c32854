"""What stops a whole feed from being imported.

FeedError      the file is not a feed we can read, or it is broken past one row: truncated,
               malformed XML, an entity bomb, unreadable. Raised before or during iteration;
               nothing from that file should be kept (a full feed replaces the catalog).

A bad *row* is never an exception: it is a :class:`catalog.records.Problem` in
``FeedReader.problems`` and the row is skipped.
"""

from __future__ import annotations

from pathlib import Path

from catalog.errors import CatalogError


class FeedError(CatalogError):
    """A feed that cannot be imported; ``str()`` reads ``file[:line]: what is wrong, what to do``.

    ``path`` is the file (or URL), ``line`` where it broke when known.
    """

    def __init__(self, path: str | Path, message: str, line: int | None = None):
        self.path = str(path)
        self.line = line
        self.message = message
        where = self.path if line is None else f"{self.path}:{line}"
        super().__init__(f"{where}: {message}")


__all__ = ["FeedError"]

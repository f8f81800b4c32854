"""What can go wrong while loading a catalog feed.

CatalogError
 ├── FeedFileError   the feed file cannot be read at all (raised)
 └── FeedRowError    one row is malformed (reported, skipped and kept in ``.rejected``)
"""

from __future__ import annotations

from pathlib import Path


class CatalogError(Exception):
    """Base class for catalog errors."""


class FeedFileError(CatalogError):
    """The feed file is missing or unreadable."""


class FeedRowError(CatalogError):
    """A feed row that was skipped; ``str()`` reads ``path:line[:column]: message``."""

    def __init__(self, path: str | Path, line: int, message: str, column: int | None = None):
        self.path = str(path)
        self.line = line
        self.column = column
        self.message = message
        where = f"{self.path}:{line}" + (f":{column}" if column is not None else "")
        super().__init__(f"{where}: {message}")

    @property
    def reason(self) -> str:
        """What is wrong with the row, without the location."""
        return self.message


__all__ = ["CatalogError", "FeedFileError", "FeedRowError"]

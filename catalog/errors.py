"""What can go wrong in the catalog.

CatalogError
 ├── FeedError        (catalog.feeds) the file is not a feed we can read, or broken past a row
 └── ImportRefused    the import would empty the shop or drop too many rows: nothing changed
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from catalog.importer import ImportReport


class CatalogError(Exception):
    """Base class for catalog errors."""


class ImportRefused(CatalogError):
    """An import that was not published: the catalog shoppers see is unchanged.

    ``reasons`` say why, ``report`` holds what the feed gave (rows, rejected rows, warnings).
    """

    def __init__(self, reasons: list[str], report: ImportReport) -> None:
        self.reasons = reasons
        self.report = report
        super().__init__("; ".join(reasons))


__all__ = ["CatalogError", "ImportRefused"]

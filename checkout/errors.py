"""What can go wrong in checkout.

CheckoutError
 ├── OrderFileError   the sample orders file cannot be read at all (raised)
 └── OrderRowError    one order row is malformed (reported, skipped, kept in ``.rejected``)
"""

from __future__ import annotations

from pathlib import Path


class CheckoutError(Exception):
    """Base class for checkout errors."""


class OrderFileError(CheckoutError):
    """The orders file is missing or unreadable."""


class OrderRowError(CheckoutError):
    """An order row that was skipped; ``str()`` reads ``path:line[:column]: message``."""

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


__all__ = ["CheckoutError", "OrderFileError", "OrderRowError"]

"""What can go wrong in checkout.

CheckoutError
 ├── OrderFileError       the sample orders file cannot be read at all (raised)
 ├── OrderRowError        one order row is malformed (reported, skipped, kept in ``.rejected``)
 ├── CheckoutConfigError  checkout.yaml is unreadable or invalid (names the file and field)
 ├── IllegalTransition    an order status change the order's state does not allow
 └── PaymentProviderError a payment provider refused or could not be reached
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


class CheckoutConfigError(CheckoutError):
    """checkout.yaml cannot be used; the message names the file and what to fix."""


class IllegalTransition(CheckoutError):
    """The order cannot move from its status to the one asked for."""


class PaymentProviderError(CheckoutError):
    """A payment provider answered with an error or not at all."""


__all__ = [
    "CheckoutConfigError",
    "CheckoutError",
    "IllegalTransition",
    "OrderFileError",
    "OrderRowError",
    "PaymentProviderError",
]

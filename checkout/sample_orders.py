"""Sample orders read from a JSON Lines file, until the real checkout stores orders.

``lookup`` needs the order number *and* the email or phone on the order, and answers None
for a wrong number and a wrong contact alike, so a guesser learns nothing about which
numbers exist.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from checkout.errors import OrderFileError, OrderRowError
from checkout.l10n import format_money, pick_text
from checkout.orders import Order, order_number_key
from flows.actions import ActionContext, ActionRegistry
from shoptext import json_lines

logger = logging.getLogger(__name__)

PAYMENT_LINK = "https://toys.example/pay/{number}"


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors()[:3]:
        where = ".".join(str(part) for part in error["loc"])
        if error["type"] == "extra_forbidden":
            problems.append(f"unknown field {where!r}")
        elif error["type"] == "missing":
            problems.append(f"missing field {where!r}")
        else:
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {message}" if where else message)
    return "; ".join(problems)


class SampleOrders:
    """Orders kept in memory, found by number plus the shopper's email or phone."""

    def __init__(self, orders: Iterable[Order], *, rejected: Sequence[OrderRowError] = ()):
        self._by_key: dict[str, Order] = {}
        for order in orders:
            key = order_number_key(order.number)
            if key in self._by_key:
                raise ValueError(f"duplicate order number {order.number!r}")
            self._by_key[key] = order
        self.rejected: list[OrderRowError] = list(rejected)

    @classmethod
    def from_jsonl(cls, path: str | Path) -> SampleOrders:
        """Load one order per line; bad rows are logged, skipped and kept in ``.rejected``."""
        path = Path(path)
        try:
            with path.open("rb") as file:
                lines = list(json_lines(file))
        except FileNotFoundError:
            raise OrderFileError(f"{path}: orders file not found") from None
        except OSError as exc:
            raise OrderFileError(f"{path}: cannot read the orders file: {exc}") from None
        orders: list[Order] = []
        rejected: list[OrderRowError] = []
        first_line: dict[str, int] = {}
        for line in lines:
            number, row = line.number, line.value
            if line.problem is not None:
                rejected.append(OrderRowError(path, number, line.problem, column=line.column))
                continue
            try:
                order = Order.model_validate(row)
            except ValidationError as exc:
                name = f"order {row['number']!r}: " if isinstance(row.get("number"), str) else ""
                rejected.append(OrderRowError(path, number, name + _describe(exc)))
                continue
            key = order_number_key(order.number)
            if key in first_line:
                rejected.append(
                    OrderRowError(
                        path,
                        number,
                        f"duplicate order number {order.number!r} "
                        f"(first on line {first_line[key]})",
                    )
                )
                continue
            first_line[key] = number
            orders.append(order)
        for error in rejected:
            logger.warning("%s; row skipped", error)
        return cls(orders, rejected=rejected)

    def __len__(self) -> int:
        return len(self._by_key)

    def __iter__(self) -> Iterator[Order]:
        return iter(self._by_key.values())

    def lookup(self, number: str, email_or_phone: str) -> Order | None:
        """The order with this number whose email or phone matches; otherwise None."""
        order = self._by_key.get(order_number_key(number or ""))
        if order is None or not order.has_contact(email_or_phone or ""):
            return None
        return order


def order_for_locale(order: Order, locale: str) -> dict[str, Any]:
    """An order as the tracking and payment-help flows see it, texts for ``locale``."""
    return {
        "number": order.number,
        "status": order.status,
        "payment_status": order.payment_status,
        "payment_method": order.payment_method,
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
        "tracking_url": order.tracking_url,
        "total": order.total,
        "currency": order.currency,
        "total_text": format_money(order.total, order.currency, locale),
        "items": [
            {"title": pick_text(item.title, locale), "quantity": item.quantity}
            for item in order.items
        ],
        "payment_link": (
            PAYMENT_LINK.format(number=order.number) if order.awaiting_payment else None
        ),
    }


def register_order_actions(registry: ActionRegistry, orders: SampleOrders) -> None:
    """Register ``orders.lookup``."""

    def lookup(ctx: ActionContext, *, number: str, contact: str) -> dict[str, Any] | None:
        """Find an order by its number and the email or phone it was placed with."""
        found = orders.lookup(
            "" if number is None else str(number), "" if contact is None else str(contact)
        )
        return order_for_locale(found, ctx.locale) if found else None

    registry.register("orders.lookup", lookup)


__all__ = ["PAYMENT_LINK", "SampleOrders", "order_for_locale", "register_order_actions"]

"""Checkout: orders and, for now, a sample order source for the tracking flows.

orders = SampleOrders.from_jsonl("examples/shop/orders.jsonl")
orders.lookup("#tg 10234", "anna.kowalska@example.com")
register_order_actions(registry, orders)
"""

from checkout.errors import CheckoutError, OrderFileError, OrderRowError
from checkout.l10n import format_money
from checkout.orders import (
    Order,
    OrderItem,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    order_number_key,
    phone_digits,
)
from checkout.sample_orders import (
    PAYMENT_LINK,
    SampleOrders,
    order_for_locale,
    register_order_actions,
)

__all__ = [
    "PAYMENT_LINK",
    "CheckoutError",
    "Order",
    "OrderFileError",
    "OrderItem",
    "OrderRowError",
    "OrderStatus",
    "PaymentMethod",
    "PaymentStatus",
    "SampleOrders",
    "format_money",
    "order_for_locale",
    "order_number_key",
    "phone_digits",
    "register_order_actions",
]

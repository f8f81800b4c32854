"""Checkout: carts, discount codes and shipping, orders with a status history, payments.

    book = OrderBook(catalog, CheckoutConfig.load(root / "checkout.yaml"),
                     shop_currency="PLN")
    checkout = Checkout(book, Database.in_memory(), stripe=StripeCheckout("sk_test_..."))
    register_checkout_actions(registry, checkout)

``SampleOrders`` reads demo orders from a JSON Lines file; they are imported into the book.
"""

from checkout.actions import money, order_view, register_checkout_actions
from checkout.book import TRANSITIONS, Cart, OrderBook, PaymentResult
from checkout.catalog_orders import OrderedLine, TakenLine, fill_cart
from checkout.config import CheckoutConfig, DiscountCode, ShippingOption
from checkout.db import Database
from checkout.errors import (
    CheckoutConfigError,
    CheckoutError,
    IllegalTransition,
    OrderFileError,
    OrderRowError,
    PaymentProviderError,
)
from checkout.l10n import format_money
from checkout.messages import message
from checkout.migrations import MIGRATIONS
from checkout.offers import OfferSource, RetailerOffers
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
from checkout.shop import Checkout, InvoiceRequested, PaymentStart
from checkout.stripe import SignatureInvalid, StripeCheckout, sign, verify_signature
from checkout.tables import metadata

__all__ = [
    "fill_cart",
    "MIGRATIONS",
    "PAYMENT_LINK",
    "TRANSITIONS",
    "Cart",
    "Checkout",
    "CheckoutConfig",
    "CheckoutConfigError",
    "CheckoutError",
    "Database",
    "DiscountCode",
    "IllegalTransition",
    "OfferSource",
    "OrderedLine",
    "RetailerOffers",
    "TakenLine",
    "Order",
    "OrderBook",
    "OrderFileError",
    "OrderItem",
    "OrderRowError",
    "OrderStatus",
    "PaymentMethod",
    "PaymentProviderError",
    "PaymentResult",
    "InvoiceRequested",
    "PaymentStart",
    "PaymentStatus",
    "SampleOrders",
    "ShippingOption",
    "SignatureInvalid",
    "StripeCheckout",
    "format_money",
    "message",
    "metadata",
    "money",
    "order_for_locale",
    "order_number_key",
    "order_view",
    "phone_digits",
    "register_checkout_actions",
    "register_order_actions",
    "sign",
    "verify_signature",
]

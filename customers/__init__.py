"""Customers: one person across channels, what the shop remembers of her, and reaching her.

See docs/customers.md. Errors are in `customers.errors` (``CustomersError`` and below).
"""

from .book import Customer, CustomerBook, aged, identity_of
from .errors import CustomersError, UnknownCustomer
from .hook import CustomerHook
from .migrations import MIGRATIONS
from .privacy import erase_customer_data, export_customer_data, find_customer_refs

__all__ = [
    "MIGRATIONS",
    "Customer",
    "CustomerBook",
    "CustomerHook",
    "CustomersError",
    "UnknownCustomer",
    "aged",
    "erase_customer_data",
    "export_customer_data",
    "find_customer_refs",
    "identity_of",
]

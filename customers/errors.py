"""What can go wrong with customers, as one tree::

CustomersError
├── UnknownCustomer      no customer (or audit line) is known by that reference
├── ConsentError         a consent purpose or source that does not exist
├── TemplatesError       templates.yaml is wrong; the message names the file and line
└── BroadcastError       a broadcast that cannot be planned (no message, bad segment)
"""

from __future__ import annotations


class CustomersError(Exception):
    """Base of the customers package's errors."""


class UnknownCustomer(CustomersError, LookupError):
    """No customer is known by that reference."""


class ConsentError(CustomersError, ValueError):
    """A consent purpose that does not exist."""


class TemplatesError(CustomersError, ValueError):
    """templates.yaml is wrong; the message says where and what to do."""


class BroadcastError(CustomersError, ValueError):
    """A broadcast that cannot be planned; the message says why."""


__all__ = ["BroadcastError", "ConsentError", "CustomersError", "TemplatesError", "UnknownCustomer"]

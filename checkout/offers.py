"""Where checkout learns what a product costs and whether it can be sold, right now.

Checkout asks an :class:`OfferSource` at every cart step and again at payment time. The real
catalog's ``Catalog.offer`` has exactly this signature; tests may pass any object that has it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from catalog.records import Offer


class OfferSource(Protocol):
    def offer(
        self, product_id: str, variant_id: str | None, *, locale: str, now: datetime
    ) -> Offer | None:
        """The price in force at ``now`` and the availability, or None for no such product."""
        ...


__all__ = ["OfferSource"]

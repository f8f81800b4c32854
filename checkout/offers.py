"""Where checkout learns what a product costs and whether it can be sold, right now.

Checkout asks an :class:`OfferSource` at every cart step and again at payment time. The real
catalog's ``Catalog.offer`` has exactly this signature; tests may pass any object that has it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from catalog.records import Offer


class OfferSource(Protocol):
    def offer(
        self, product_id: str, variant_id: str | None, *, locale: str, now: datetime
    ) -> Offer | None:
        """The price in force at ``now`` and the availability, or None for no such product."""
        ...


@runtime_checkable
class RetailerOffers(Protocol):
    """An offer source that also knows a platform catalog's retailer ids (the feed's ``id``:
    a product or a variant id), as ``Catalog.retailer_offer`` does. Sources without it are
    asked ``offer(retailer_id, None)``: retailer ids are then product ids."""

    def retailer_offer(self, retailer_id: str, *, locale: str, now: datetime) -> Offer | None:
        """The offer ``retailer_id`` names, or None."""
        ...


__all__ = ["OfferSource", "RetailerOffers"]

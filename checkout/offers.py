"""Where checkout learns what a product costs and whether it can be sold, right now.

Checkout asks an :class:`OfferSource` at every cart step and again at payment time. The real
catalog's ``Catalog.offer`` has exactly this signature; :class:`SampleOffers` adapts the
in-memory sample catalog until then.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from catalog import SampleCatalog, pick_text
from catalog.records import Availability, Offer


class OfferSource(Protocol):
    def offer(
        self, product_id: str, variant_id: str | None, *, locale: str, now: datetime
    ) -> Offer | None:
        """The price in force at ``now`` and the availability, or None for no such product."""
        ...


class SampleOffers:
    """Offers from the sample catalog (no sale prices, no stock counts)."""

    def __init__(self, catalog: SampleCatalog) -> None:
        self.catalog = catalog

    def offer(
        self, product_id: str, variant_id: str | None, *, locale: str, now: datetime
    ) -> Offer | None:
        product = self.catalog.get(product_id)
        if product is None:
            return None
        title = pick_text(product.title, locale)
        price, availability = product.price, product.availability
        if variant_id:
            variant = next((v for v in product.variants if v.id == variant_id), None)
            if variant is None:
                return None
            title = f"{title} – {pick_text(variant.title, locale)}"
            price = variant.price if variant.price is not None else price
            availability = variant.availability
        elif product.variants:
            return None  # a product with variants is bought as one of them
        return Offer(
            product_id=product.id,
            variant_id=variant_id or None,
            title=title,
            price=price,
            regular_price=price,
            currency=product.currency,
            availability=Availability(availability),
            image=product.image,
        )


__all__ = ["OfferSource", "SampleOffers"]

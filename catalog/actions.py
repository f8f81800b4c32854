"""The catalog's flow actions: ``catalog.search``, ``catalog.recommend``, ``catalog.product``
and ``catalog.reviews``.

Each returns products as plain dicts resolved for the shopper's locale (see
:func:`product_for_locale`). Arguments often arrive from templates as text ("8", "true"), so
numbers and flags are read leniently; anything unreadable is an :class:`ActionError` that a
flow can catch with ``on_error:``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from catalog.l10n import format_money
from catalog.products import Product, Variant
from catalog.reviews import Review
from catalog.text import fold
from flows.actions import ActionContext, ActionError, ActionRegistry

if TYPE_CHECKING:
    from catalog.catalog import Catalog

MAX_LIMIT = 20
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}
_EMPTY = {"", "none", "null"}


def product_for_locale(
    product: Product,
    locale: str,
    *,
    variants: tuple[Variant, ...] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A product as flows and product cards see it, texts and prices for ``locale``.

    ``variants`` narrows it to the variants a search matched; ``price`` is the lowest price in
    force at ``now`` among the in-stock ones (or among all, when none is in stock).
    """
    moment = now or datetime.now(UTC)
    shown = product.variants if variants is None else variants
    in_stock = [v for v in shown if v.in_stock]
    prices = [v.price_at(moment) for v in (in_stock or shown)]
    price = min(prices) if prices else 0
    labels = {} if product.standalone else product.variant_labels(locale)
    return {
        "id": product.id,
        "title": product.title_for(locale),
        "description": product.description_for(locale),
        "brand": product.brand,
        "category": product.category,
        "price": price,
        "currency": product.currency,
        "price_text": format_money(price, product.currency, locale),
        "image": product.image,
        "url": product.link,
        "in_stock": bool(in_stock),
        "rating": product.rating,
        "reviews": product.reviews,
        "rating_text": rating_text(product.rating, product.reviews, locale),
        "availability": "in_stock"
        if in_stock
        else (shown[0].availability.value if shown else "out_of_stock"),
        "variants": []
        if product.standalone
        else [
            {
                "id": variant.id,
                "title": labels.get(variant.id, ""),
                "price": variant.price_at(moment),
                "price_text": format_money(variant.price_at(moment), product.currency, locale),
                "in_stock": variant.in_stock,
                "attributes": variant.shown_attributes,
            }
            for variant in shown
        ],
    }


def rating_text(rating: float | None, count: int, locale: str) -> str:
    """``★ 4.4 (12)`` with the locale's decimal mark; "" for a product without reviews."""
    if rating is None or not count:
        return ""
    from babel.numbers import format_decimal

    from flows.money import _locale, native_digits

    where = _locale(locale)
    shown = format_decimal(rating, format="0.0", locale=where, numbering_system="default")
    counted = format_decimal(count, locale=where, numbering_system="default")
    return native_digits(f"★ {shown} ({counted})", where)  # Persian: ★ ۴٫۴ (۵)


def review_for_locale(review: Review, locale: str) -> dict[str, Any]:
    """A review as flows see it: stars, title, text, author, date for ``locale``."""
    from flows.templates import format_day

    stars = round(review.rating)
    return {
        "rating": review.rating,
        "stars": "★" * stars + "☆" * (5 - stars),
        "title": review.title,
        "text": review.text,
        "author": review.author,
        "locale": review.locale,
        "date": format_day(review.reviewed_at, locale) if review.reviewed_at else "",
    }


def _int_arg(name: str, value: object) -> int | None:
    """``8``, ``"8"``, ``" ۸ "`` -> 8; ``None``/``""`` -> None; anything else is an error."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ActionError(f"{name}: expected a whole number, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = fold(value).strip().replace(" ", "")
        if text in _EMPTY:
            return None
        try:
            return int(text)
        except ValueError:
            pass
    raise ActionError(f"{name}: expected a whole number, got {value!r}")


def _bool_arg(name: str, value: object, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = fold(str(value)).strip()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if text in _EMPTY:
        return default
    raise ActionError(f"{name}: expected true or false, got {value!r}")


def _limit_arg(value: object) -> int:
    limit = _int_arg("limit", value)
    if limit is None:
        return 6
    if limit < 1:
        raise ActionError(f"limit: must be at least 1, got {limit}")
    return min(limit, MAX_LIMIT)


def _text_arg(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return " ".join(str(item) for item in value)
    return str(value)


def _rating_arg(value: object) -> float | None:
    text = _text_arg(value).strip().replace(",", ".")
    if value is None or fold(text) in _EMPTY:
        return None
    try:
        stars = float(text)
    except ValueError:
        raise ActionError(f"min_rating: expected stars from 1 to 5, got {value!r}") from None
    if not 0 <= stars <= 5:
        raise ActionError(f"min_rating: expected stars from 1 to 5, got {value!r}")
    return stars


def _optional_text(value: object) -> str | None:
    text = _text_arg(value).strip()
    return None if fold(text) in _EMPTY else text


def register_catalog_actions(registry: ActionRegistry, catalog: Catalog) -> None:
    """Register ``catalog.search``, ``catalog.recommend``, ``catalog.product`` and
    ``catalog.reviews``."""

    def search(
        ctx: ActionContext,
        *,
        query: str = "",
        max_price: int | None = None,
        min_price: int | None = None,
        age: int | None = None,
        in_stock: bool = True,
        min_rating: float | None = None,
        sort: str = "relevance",
        limit: int = 6,
    ) -> list[dict[str, Any]]:
        """Search products by words, price (minor units), age, stock and rating; ``sort``:
        relevance or rating."""
        order = _text_arg(sort).strip().lower() or "relevance"
        if order not in ("relevance", "rating"):
            raise ActionError(f"sort: expected relevance or rating, got {sort!r}")
        found = catalog.search(
            _text_arg(query),
            min_price=_int_arg("min_price", min_price),
            max_price=_int_arg("max_price", max_price),
            age=_int_arg("age", age),
            in_stock=_bool_arg("in_stock", in_stock, True),
            min_rating=_rating_arg(min_rating),
            sort=order,
            limit=_limit_arg(limit),
            facets=False,
        )
        return [
            product_for_locale(hit.product, ctx.locale, variants=hit.variants) for hit in found.hits
        ]

    def recommend(
        ctx: ActionContext,
        *,
        recipient: str | None = None,
        age: int | None = None,
        gender: str | None = None,
        budget: int | None = None,
        interests: str | list | None = None,
        limit: int = 6,
    ) -> list[dict[str, Any]]:
        """Suggest varied in-stock gifts by recipient, age, gender, budget and interests."""
        if isinstance(interests, list | tuple):
            wanted: str | list[str] | None = [str(item) for item in interests]
        else:
            wanted = _optional_text(interests)
        try:
            found = catalog.recommend(
                recipient=_optional_text(recipient),
                age=_int_arg("age", age),
                gender=_optional_text(gender),
                budget=_int_arg("budget", budget),
                interests=wanted,
                limit=_limit_arg(limit),
            )
        except ValueError as exc:
            raise ActionError(str(exc)) from None
        return [product_for_locale(product, ctx.locale) for product in found]

    def product(ctx: ActionContext, *, id: str) -> dict[str, Any] | None:
        """One product by id, or None when there is no such product."""
        found = catalog.get(_text_arg(id))
        return product_for_locale(found, ctx.locale) if found else None

    def reviews(ctx: ActionContext, *, id: str, limit: int = 3) -> dict[str, Any]:
        """A product's rating and its best recent reviews in the shopper's language."""
        product_id = _text_arg(id).strip()
        found = catalog.get(product_id)
        if found is None:
            return {"rating": None, "count": 0, "rating_text": "", "reviews": [], "text": ""}
        picked = catalog.reviews(product_id, locale=ctx.locale, limit=min(_limit_arg(limit), 5))
        shown = [review_for_locale(review, ctx.locale) for review in picked]
        return {
            "rating": found.rating,
            "count": found.reviews,
            "rating_text": rating_text(found.rating, found.reviews, ctx.locale),
            "reviews": shown,
            # Ready to say: each review as stars, title, text and who wrote it when.
            "text": "\n\n".join(
                "\n".join(
                    part
                    for part in (
                        f"{r['stars']} {r['title']}".strip(),
                        r["text"],
                        "— " + ", ".join(x for x in (r["author"], r["date"]) if x),
                    )
                    if part and part != "— "
                )
                for r in shown
            ),
        }

    registry.register("catalog.search", search)
    registry.register("catalog.reviews", reviews)
    registry.register("catalog.recommend", recommend)
    registry.register("catalog.product", product)


__all__ = ["product_for_locale", "rating_text", "register_catalog_actions", "review_for_locale"]

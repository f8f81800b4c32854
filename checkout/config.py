"""The shop's checkout settings: ``checkout.yaml`` beside ``shop.yaml`` (all optional).

    order_prefix: TG                 # order numbers look like TG-482913
    payment_link: https://toys.example/pay/{number}   # where a manual/legacy order is paid
    manual_methods: [transfer, cod]  # offered when no payment provider fits the channel
    bank_transfer: {en: "IBAN PL00 0000 ...", pl: "..."}   # shown after a transfer order
    success_url: https://toys.example/thanks   # Stripe Checkout's return pages
    cancel_url: https://toys.example/cart
    shipping:
      - id: courier
        label: {en: Courier, pl: Kurier}
        price: 1499                  # minor units of the shop currency
        free_over: 20000             # optional: free from this subtotal (after discount)
    discounts:
      - code: WELCOME10
        percent: 10                  # or amount: 2000 (minor units)
        min_order: 5000
        starts: 2025-01-01T00:00:00Z # optional validity window, aware times
        ends: 2026-12-31T23:59:59Z
        max_uses: 100                # overall; counted in the database
        max_uses_per_customer: 1     # per email / phone (or conversation)

Discount usage is counted in the database, not here.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from checkout.errors import CheckoutConfigError

Text = dict[str, str] | str
ManualMethod = Literal["transfer", "cod"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ShippingOption(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,32}$")]
    label: Text
    price: Annotated[int, Field(ge=0, strict=True)]
    free_over: Annotated[int, Field(ge=0, strict=True)] | None = None

    def price_for(self, subtotal: int) -> int:
        return 0 if self.free_over is not None and subtotal >= self.free_over else self.price


class DiscountCode(_Strict):
    code: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{2,32}$")]
    percent: Annotated[int, Field(ge=1, le=100, strict=True)] | None = None
    amount: Annotated[int, Field(ge=1, strict=True)] | None = None
    min_order: Annotated[int, Field(ge=0, strict=True)] = 0
    starts: datetime | None = None
    ends: datetime | None = None
    max_uses: Annotated[int, Field(ge=1, strict=True)] | None = None
    max_uses_per_customer: Annotated[int, Field(ge=1, strict=True)] | None = None
    cap: Annotated[int, Field(ge=1, strict=True)] | None = None  # most a percent code takes off

    @model_validator(mode="after")
    def _one_kind(self) -> DiscountCode:
        if (self.percent is None) == (self.amount is None):
            raise ValueError(f"discount {self.code}: give exactly one of percent or amount")
        for name in ("starts", "ends"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"discount {self.code}: {name} needs a time zone, e.g. Z")
        return self

    def discount_on(self, subtotal: int) -> int:
        """The discount for ``subtotal`` minor units, never more than the subtotal."""
        if self.percent is not None:
            # Integer arithmetic, rounded half up, so no float ever touches money.
            off = (subtotal * self.percent + 50) // 100
            return min(subtotal, off if self.cap is None else min(off, self.cap))
        return min(subtotal, self.amount or 0)

    def in_window(self, now: datetime) -> bool:
        return (self.starts is None or now >= self.starts) and (
            self.ends is None or now <= self.ends
        )


class CheckoutConfig(_Strict):
    order_prefix: Annotated[str, Field(pattern=r"^[A-Z]{1,6}$")] = "SC"
    payment_link: str | None = None
    manual_methods: tuple[ManualMethod, ...] = ("transfer", "cod")
    bank_transfer: Text = ""
    success_url: str = "https://example.com/checkout/success"
    cancel_url: str = "https://example.com/checkout/cancelled"
    shipping: tuple[ShippingOption, ...] = ()
    discounts: tuple[DiscountCode, ...] = ()
    # The country of phone numbers typed without a country code (ISO 3166, e.g. PL);
    # by default the country of the shop's time zone.
    phone_region: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None

    @model_validator(mode="after")
    def _unique(self) -> CheckoutConfig:
        codes = [d.code.upper() for d in self.discounts]
        if len(codes) != len(set(codes)):
            raise ValueError("discount codes must be unique (case does not count)")
        ids = [s.id for s in self.shipping]
        if len(ids) != len(set(ids)):
            raise ValueError("shipping option ids must be unique")
        return self

    def discount(self, code: str) -> DiscountCode | None:
        wanted = code.strip().upper()
        return next((d for d in self.discounts if d.code.upper() == wanted), None)

    def shipping_option(self, option_id: str) -> ShippingOption | None:
        return next((s for s in self.shipping if s.id == option_id), None)

    @classmethod
    def load(cls, path: Path) -> CheckoutConfig:
        """Read ``checkout.yaml``; a missing file means the defaults."""
        from flows.yamlpos import YamlSyntaxError, load_yaml

        if not path.exists():
            return cls()
        try:
            data = load_yaml(path).data or {}
        except (YamlSyntaxError, OSError) as exc:
            raise CheckoutConfigError(f"{path}: cannot read it: {exc}") from None
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = []
            for error in exc.errors()[:5]:
                where = ".".join(str(p) for p in error["loc"]) or "(top)"
                problems.append(f"{where}: {error['msg'].removeprefix('Value error, ')}")
            raise CheckoutConfigError(f"{path}: " + "; ".join(problems)) from None


__all__ = ["CheckoutConfig", "DiscountCode", "ShippingOption"]

"""Product texts for the shopper's locale and prices formatted with Babel (see flows.l10n)."""

from __future__ import annotations

from flows.l10n import FALLBACK_LOCALE, pick_text
from flows.money import format_money as format_price

__all__ = ["FALLBACK_LOCALE", "format_price", "pick_text"]

"""Product texts for the shopper's locale and money formatted with Babel (see flows.money)."""

from __future__ import annotations

from flows.l10n import FALLBACK_LOCALE, pick_text
from flows.money import format_money

__all__ = ["FALLBACK_LOCALE", "format_money", "pick_text"]

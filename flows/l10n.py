"""Picking a shopper-facing text by locale: shared by the catalog and checkout data."""

from __future__ import annotations

from collections.abc import Mapping

from .money import format_money

FALLBACK_LOCALE = "en"


def language(locale: str) -> str:
    """``pl-PL`` / ``pl_PL`` -> ``pl``."""
    return locale.replace("_", "-").split("-", 1)[0].lower()


def pick_text(texts: Mapping[str, str] | str, locale: str) -> str:
    """The text for ``locale``: exact tag, then its language (``pl-PL`` -> ``pl``), then English.

    A mapping without any of those gives its first text, so a product never shows blank.
    """
    if isinstance(texts, str):
        return texts
    if not texts:
        return ""
    wanted = locale.replace("_", "-").lower()
    by_tag = {tag.replace("_", "-").lower(): text for tag, text in texts.items()}
    for tag in (wanted, language(wanted), FALLBACK_LOCALE):
        if tag in by_tag:
            return by_tag[tag]
    return next(iter(texts.values()))


__all__ = ["FALLBACK_LOCALE", "format_money", "language", "pick_text"]

"""Sandboxed Jinja2 for merchant-authored texts and expressions.

Flow files are written by developers but often edited by merchants; a template must never
reach Python internals (ImmutableSandboxedEnvironment), never silently print a blank for a
typo (StrictUndefined) and never produce an unbounded reply (output is capped).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency, get_currency_precision
from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_OUTPUT = 8000

BUILTIN_NAMES = frozenset({"user", "locale", "shop", "channel", "now"})


class TemplateError(Exception):
    """A template failed to render (a bad value at run time); the message says why."""


def _babel_locale(locale: str) -> str:
    return locale.replace("-", "_")


def money(amount: Any, currency: str | None = None, locale: str = "en") -> str:
    """Format integer minor units as money for ``locale`` ("15000" PLN -> "150,00 zł" in pl)."""
    if amount is None:
        return ""
    if isinstance(amount, Mapping):
        currency = amount.get("currency", currency)
        amount = amount.get("amount", amount.get("price"))
    cur = currency or "USD"
    value = Decimal(int(amount)).scaleb(-get_currency_precision(cur))
    try:
        return format_currency(value, cur, locale=_babel_locale(locale))
    except Exception:  # unknown locale for babel: fall back to English formatting
        return format_currency(value, cur, locale="en")


def format_day(value: Any, locale: str = "en", fmt: str = "medium") -> str:
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.date()
    try:
        return format_date(value, format=fmt, locale=_babel_locale(locale))
    except Exception:
        return format_date(value, format=fmt, locale="en")


class Templates:
    """Compiles texts and expressions once; renders them many times."""

    def __init__(self) -> None:
        self.env = ImmutableSandboxedEnvironment(
            undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False
        )
        self.env.filters["money"] = _money_filter
        self.env.filters["date"] = _date_filter

    def parse(self, source: str) -> nodes.Template:
        """Parse (raising TemplateSyntaxError) without compiling."""
        return self.env.parse(source)

    def undeclared(self, source: str, *, expression: bool = False) -> set[str]:
        """Names a template or expression reads that it does not define itself."""
        if expression:
            source = "{{ (" + source + ") }}"
        return set(meta.find_undeclared_variables(self.env.parse(source)))

    def compile_text(self, source: str) -> Callable[[Mapping[str, Any]], str]:
        if "{{" not in source and "{%" not in source:
            return lambda _ctx: source
        template = self.env.from_string(source)

        def render(ctx: Mapping[str, Any]) -> str:
            try:
                out = template.render(ctx)
            except TemplateSyntaxError:
                raise
            except Exception as exc:
                raise TemplateError(f"{type(exc).__name__}: {exc}") from exc
            return out if len(out) <= MAX_OUTPUT else out[: MAX_OUTPUT - 1] + "…"

        return render

    def compile_expression(self, source: str) -> Callable[[Mapping[str, Any]], Any]:
        expr = self.env.compile_expression(source, undefined_to_none=False)

        def evaluate(ctx: Mapping[str, Any]) -> Any:
            try:
                return expr(**ctx)
            except Exception as exc:
                raise TemplateError(f"{type(exc).__name__}: {exc}") from exc

        return evaluate

    def compile_value(self, value: Any) -> Callable[[Mapping[str, Any]], Any]:
        """A ``set:``/``args:`` value: ``"{{ expr }}"`` keeps its type, other templates render."""
        if isinstance(value, str):
            inner = _single_expression(value)
            if inner is not None:
                return self.compile_expression(inner)
            if "{{" in value or "{%" in value:
                return self.compile_text(value)
        if isinstance(value, dict):
            parts = {k: self.compile_value(v) for k, v in value.items()}
            return lambda ctx: {k: f(ctx) for k, f in parts.items()}
        if isinstance(value, list):
            items = [self.compile_value(v) for v in value]
            return lambda ctx: [f(ctx) for f in items]
        return lambda _ctx: value


def _single_expression(value: str) -> str | None:
    text = value.strip()
    if text.startswith("{{") and text.endswith("}}") and text.count("{{") == 1:
        return text[2:-2].strip()
    return None


def value_sources(value: Any) -> list[tuple[str, bool]]:
    """The template sources inside a ``set:``/``args:`` value, as (source, is_expression)."""
    if isinstance(value, str):
        inner = _single_expression(value)
        if inner is not None:
            return [(inner, True)]
        if "{{" in value or "{%" in value:
            return [(value, False)]
        return []
    if isinstance(value, dict):
        return [s for v in value.values() for s in value_sources(v)]
    if isinstance(value, list):
        return [s for v in value for s in value_sources(v)]
    return []


def _ctx_locale(ctx: Any) -> str:
    try:
        return str(ctx.get("locale") or "en")
    except Exception:
        return "en"


def _money_filter_impl(ctx: Any, amount: Any, currency: str | None = None) -> str:
    shop = ctx.get("shop") or {}
    return money(amount, currency or shop.get("currency"), _ctx_locale(ctx))


def _date_filter_impl(ctx: Any, value: Any, fmt: str = "medium") -> str:
    return format_day(value, _ctx_locale(ctx), fmt)


# Jinja passes the render context to filters marked with pass_context.
from jinja2 import pass_context  # noqa: E402

_money_filter = pass_context(_money_filter_impl)
_date_filter = pass_context(_date_filter_impl)

__all__ = ["BUILTIN_NAMES", "MAX_OUTPUT", "TemplateError", "Templates", "money", "value_sources"]

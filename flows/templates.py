"""Sandboxed Jinja2 for merchant-authored texts and expressions.

Flow files are written by developers but often edited by merchants; a template must never
reach Python internals (the sandbox, immutable), never silently print a blank for a typo
(StrictUndefined) and never take the machine: templates compile and render in
``flows.sandbox``'s capped environment, the one canned responses use (no constant folding
of ``'a' * 6 * 10**8``, arithmetic and built strings capped, every loop's iterations counted
per render), and a reply stops being produced at ``MAX_OUTPUT`` characters. A template past
a cap fails like any other (a :class:`TemplateError`: the shopper gets the polite error).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from babel.dates import format_date
from jinja2 import StrictUndefined, Template, TemplateSyntaxError, meta, nodes
from jinja2.parser import Parser
from jinja2.runtime import Context

from .money import format_money
from .sandbox import CappedImmutableEnvironment, iteration_budget

MAX_OUTPUT = 8000

BUILTIN_NAMES = frozenset({"user", "locale", "shop", "channel", "now", "customer"})


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
    return format_money(int(amount), currency or "USD", locale)


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
        self.env = CappedImmutableEnvironment(
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

    def context(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """A render context: Jinja's globals (range, namespace, ...) plus ``values``.

        Renderers use a context as it is, without copying it (Jinja's ``shared`` mode), which
        makes a render about three times faster; the engine builds one per turn.
        """
        return {**self.env.globals, **values}

    def _context(self, template: Template, ctx: Mapping[str, Any]) -> Context:
        if "namespace" not in ctx:  # a plain mapping, not from context(): add the globals
            ctx = self.context(ctx)
        return template.new_context(dict(ctx) if not isinstance(ctx, dict) else ctx, shared=True)

    def compile_text(self, source: str) -> Callable[[Mapping[str, Any]], str]:
        if "{{" not in source and "{%" not in source:
            return lambda _ctx: source
        template = self.env.from_string(source)

        def render(ctx: Mapping[str, Any]) -> str:
            pieces: list[str] = []
            size = 0
            try:
                with iteration_budget():
                    for piece in template.root_render_func(self._context(template, ctx)):  # type: ignore[attr-defined]
                        pieces.append(piece)
                        size += len(piece)
                        if size > MAX_OUTPUT:  # stop producing: the rest would be cut anyway
                            break
            except Exception as exc:
                raise TemplateError(f"{type(exc).__name__}: {exc}") from exc
            out = "".join(pieces)
            return out if len(out) <= MAX_OUTPUT else out[: MAX_OUTPUT - 1] + "…"

        return render

    def compile_expression(self, source: str) -> Callable[[Mapping[str, Any]], Any]:
        # What Environment.compile_expression does, keeping the template so that evaluation
        # can run in a shared context instead of copying it on every call.
        parser = Parser(self.env, source, state="variable")
        expr = parser.parse_expression()
        if not parser.stream.eos:
            raise TemplateSyntaxError("chunk after expression", parser.stream.current.lineno)
        expr.set_environment(self.env)
        body = [nodes.Assign(nodes.Name("result", "store"), expr, lineno=1)]
        template = self.env.from_string(nodes.Template(body, lineno=1))

        def evaluate(ctx: Mapping[str, Any]) -> Any:
            try:
                context = self._context(template, ctx)
                with iteration_budget():
                    for _ in template.root_render_func(context):
                        pass
                return context.vars["result"]
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

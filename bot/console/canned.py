"""Canned responses: templates an agent picks, fills with the ticket's facts and edits.

Templates are written by agents, so they run in Jinja's sandbox (no attribute tricks reach
Python internals) and see plain values only: ``customer.name``, ``customer.first_name``,
``order.number``, ``order.status``, ``agent.name``, ``shop.name``, ``ticket.id``. A name the
channel did not give is empty: ``{{ customer.first_name | default("there") }}`` reads well (this
``default`` also replaces an empty value, unlike Jinja's own), and a value left empty without a
default does not leave a stray space before punctuation ("Hi , this is" reads "Hi, this is").
"""

from __future__ import annotations

import re
from typing import Any

from jinja2 import TemplateError

from flows.sandbox import CappedEnvironment, render_capped

from .desk import Detail


def _default(value: Any, fallback: Any = "", boolean: bool = True) -> Any:
    """Jinja's ``default``, except that an empty value (a name nobody gave) is missing too."""
    if value is None or (boolean and not value) or type(value).__name__ == "Undefined":
        return fallback
    return value


# Agents write these: sizes, arithmetic and loops capped (flows/sandbox.py); callers run them
# in a worker thread, off the event loop.
_env = CappedEnvironment(autoescape=False, keep_trailing_newline=False)
_env.filters["default"] = _env.filters["d"] = _default
_STRAY = re.compile(r"[ \t]+([,.!?;:])")
_SPACES = re.compile(r"[ \t]{2,}")
_DANGLING = re.compile(r"[,;:]+(?=[.!?])")  # "Hello, {{ name }}!" without a name

EXAMPLE = (
    'Hi {{ customer.first_name | default("there") }}, this is {{ agent.name }} '
    "from {{ shop.name }}."
)

# The demo shop's canned responses (``shopchat demo`` adds them with its first agent).
DEMO: list[tuple[str, str]] = [
    ("Greeting (en)", EXAMPLE),
    (
        "Order on its way (en)",
        "Your order {{ order.number }} is {{ order.status }}. Anything else?",
    ),
    (
        "Greeting (pl)",
        "Cześć {{ customer.first_name }}! Tu {{ agent.name }} ze sklepu {{ shop.name }}.",
    ),
    (
        "Order on its way (pl)",
        "Twoje zamówienie {{ order.number }}: {{ order.status }}. Coś jeszcze?",
    ),
    (
        "Greeting (es)",
        "¡Hola {{ customer.first_name }}! Soy {{ agent.name }}, de {{ shop.name }}.",
    ),
    ("Order on its way (es)", "Tu pedido {{ order.number }}: {{ order.status }}. ¿Algo más?"),
    (
        "Greeting (ru)",
        "Здравствуйте, {{ customer.first_name }}! Это {{ agent.name }}, {{ shop.name }}.",
    ),
    ("Order on its way (ru)", "Ваш заказ {{ order.number }}: {{ order.status }}. Чем ещё помочь?"),
    (
        "Greeting (fa)",
        "سلام {{ customer.first_name }}! من {{ agent.name }} از {{ shop.name }} هستم.",
    ),
    ("Order on its way (fa)", "سفارش {{ order.number }}: {{ order.status }}. کار دیگری هست؟"),
]


def check_template(body: str) -> str | None:
    """A syntax error in a template, for the form, or None."""
    try:
        _env.from_string(body)
    except TemplateError as exc:
        return f"template error: {exc}"
    return None


def template_values(detail: Detail | None, agent_display: str, shop: str) -> dict[str, Any]:
    order = detail.orders[0] if detail and detail.orders else {"number": "", "status": ""}
    return {
        "customer": {
            "name": detail.known_name if detail else "",
            "first_name": detail.first_name if detail else "",
            "locale": detail.locale if detail else "",
            "channel": detail.channel if detail else "",
        },
        "order": order,
        "orders": detail.orders if detail else [],
        "agent": {"name": agent_display},
        "shop": {"name": shop},
        "ticket": {
            "id": detail.card.id if detail else "",
            "reason": detail.card.reason if detail else "",
        },
    }


def render(body: str, values: dict[str, Any]) -> tuple[str, str | None]:
    """The filled-in text, or the raw body and the error when the template cannot run."""
    try:
        text = render_capped(_env, body, values)
        text = _DANGLING.sub("", _STRAY.sub(r"\1", text))
        return _SPACES.sub(" ", text).strip(), None
    except TemplateError as exc:  # includes SecurityError from the sandbox
        return body, f"template error: {exc}"
    except Exception as exc:  # a template's bad arithmetic must not break the page
        return body, f"template error: {type(exc).__name__}: {exc}"


__all__ = ["DEMO", "EXAMPLE", "check_template", "render", "template_values"]

"""Canned responses: templates an agent picks, fills with the ticket's facts and edits.

Templates are written by agents, so they run in Jinja's sandbox (no attribute tricks reach
Python internals) and see plain values only: ``customer.name``, ``customer.first_name``,
``order.number``, ``order.status``, ``agent.name``, ``shop.name``, ``ticket.id``. A name the
channel did not give is empty, so ``{{ customer.first_name or "there" }}`` reads well.
"""

from __future__ import annotations

from typing import Any

from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment

from .desk import Detail

_env = SandboxedEnvironment(autoescape=False, keep_trailing_newline=False)

EXAMPLE = "Hi {{ customer.first_name }}, this is {{ agent.name }} from {{ shop.name }}."


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
        return _env.from_string(body).render(values).strip(), None
    except TemplateError as exc:  # includes SecurityError from the sandbox
        return body, f"template error: {exc}"
    except Exception as exc:  # a template's bad arithmetic must not break the page
        return body, f"template error: {type(exc).__name__}: {exc}"


__all__ = ["EXAMPLE", "check_template", "render", "template_values"]

"""Order updates through the outbound planner: outside WhatsApp's 24-hour window, the event's
template in her language (``order_shipped`` with its parameters) instead of nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from adapters.base import OutboundCall

from .planner import Recipient, plan_for
from .templates import Templates, template_call

# Order statuses (bot/orders_api.py) and the template event each is told with.
EVENTS = {"shipped": "order_shipped", "pending_payment": "payment_due"}


def update_by_template(
    recipient: Recipient, status: str, templates: Templates, values: dict[str, Any], now: datetime
) -> OutboundCall | None:
    """The template call that tells her about ``status`` when only a template may go; None when
    the free-form message may (inside the window) or nothing may."""
    event = EVENTS.get(status)
    if event is None:
        return None
    planned = plan_for(recipient, purpose="service", event=event, templates=templates, now=now)
    if planned.outcome != "template" or planned.template is None:
        return None
    payload = template_call(recipient.recipient, planned.template, values)
    return OutboundCall("messages", payload, recipient.conversation_id)


__all__ = ["EVENTS", "update_by_template"]

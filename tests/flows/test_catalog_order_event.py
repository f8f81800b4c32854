"""A cart sent from a platform's catalog starts the flow made for it, with the order in a slot."""

from __future__ import annotations

from decimal import Decimal

from flows import CatalogOrderInput, OrderedItem
from tests.flows.test_engine import FLOWS, Shopper

ORDER_FLOW = """\
triggers:
  payloads: [CATALOG_ORDER]
steps:
  - say:
      en: "Order of {{ catalog_order['items'] | length }}: {{ catalog_order['items'][0]['retailer_id'] }} x{{ catalog_order['items'][0]['quantity'] }} at {{ catalog_order['items'][0]['price'] }} ({{ catalog_order.text }})"
      pl: "Zamówienie"
  - set:
      catalog_order: null
"""

ORDER = CatalogOrderInput(
    items=(OrderedItem(retailer_id="kite", quantity=2, price=Decimal("30.50"), currency="PLN"),),
    text="gift wrap",
    catalog_id="1",
)


def test_an_order_interrupts_a_question_and_starts_the_order_flow(make_project):
    project, diags, _ = make_project({**FLOWS, "catalog_order": ORDER_FLOW})
    assert project is not None, [d.format() for d in diags]
    shopper = Shopper(project)
    shopper.says("hi")
    said = shopper.send(ORDER)
    assert "Order of 1: kite x2 at 30.50 (gift wrap)" in said
    assert shopper.state.slots.get("catalog_order") is None


def test_a_button_carrying_the_order_payload_does_not_replay_an_order(make_project):
    project, diags, _ = make_project({**FLOWS, "catalog_order": ORDER_FLOW})
    assert project is not None, [d.format() for d in diags]
    shopper = Shopper(project)
    said = shopper.presses("CATALOG_ORDER")
    assert "Order of" not in said


def test_without_an_order_flow_the_shopper_hears_what_the_shop_can_do(make_project):
    project, diags, _ = make_project(FLOWS)
    assert project is not None, [d.format() for d in diags]
    shopper = Shopper(project)
    said = shopper.send(ORDER)
    assert said.strip()
    assert "catalog_order" not in shopper.state.slots


def test_an_agent_reads_the_order_in_the_transcript():
    from adapters.base import MessageInbound
    from bot.handoff.hook import event_text

    inbound = MessageInbound(channel="whatsapp", event_id="wamid.1", event=ORDER)
    assert event_text(inbound) == "[catalog order] 2 × kite — gift wrap"

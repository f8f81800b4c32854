"""Whole shopping errands through the example shop, on any channel's test shopper."""

from __future__ import annotations

import re

from tests.support.channels import Shopper


def order(shopper: Shopper, name: str, contact: str, address: str) -> str:
    """The gift finder to a placed order paid by bank transfer; returns the order number."""
    shopper.say("hi")
    shopper.press("Find a gift")
    shopper.press("A child")
    shopper.say("8")
    shopper.say("200")
    shopper.press("LEGO")
    shopper.pick("Fire Station Building Bricks Set")
    shopper.press("Add to cart")
    shopper.press("Check out")
    shopper.press("Courier: PLN\xa014.99")
    shopper.say(name)
    shopper.say(contact)
    shopper.say(address)
    shopper.press("Place order")
    placed = shopper.press("Bank transfer")
    found = re.search(r"Order (TG-\d+) is placed", placed.said)
    assert found, placed.texts
    return found.group(1)

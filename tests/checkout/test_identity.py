"""Identity keys: one per person however the email or phone number is written."""

from __future__ import annotations

import pytest

from checkout.identity import (
    customer_keys,
    email_identity,
    phone_identity,
    region_for_timezone,
)


@pytest.mark.parametrize(
    "typed",
    [
        "dee@example.com",
        "DEE@example.com",
        "dee+promo@example.com",
        "d.e.e@Example.Com",
        " dee@example.com ",
        "ｄｅｅ@example.com",
    ],
)
def test_spellings_of_one_address_are_one_identity(typed):
    assert email_identity(typed) == "email:dee@example.com"


@pytest.mark.parametrize(
    "typed", ["", "dee", "dee@", "@example.com", "a@b@c", "x" * 400 + "@e.com"]
)
def test_what_is_not_an_address_is_no_identity(typed):
    assert email_identity(typed) is None


def test_an_international_domain_is_one_identity_in_either_form():
    assert email_identity("ola@bücher.example") == email_identity("ola@xn--bcher-kva.example")


@pytest.mark.parametrize(
    "typed",
    [
        "+48 600 123 456",
        "+48600123456",
        "0048600123456",
        "600-123-456",
        "(600) 123 456",
        "۶۰۰۱۲۳۴۵۶",
    ],
)
def test_spellings_of_one_number_are_one_identity(typed):
    assert phone_identity(typed, "PL") == "phone:+48600123456"


def test_a_national_number_needs_the_shops_country():
    assert phone_identity("600 123 456") is None
    assert phone_identity("+1 415 555 2671") == "phone:+14155552671"


@pytest.mark.parametrize("typed", ["", "12", "not a number", "+48 1" + "2" * 40])
def test_what_is_not_a_number_is_no_identity(typed):
    assert phone_identity(typed, "PL") is None


def test_the_shops_country_comes_from_its_time_zone():
    assert region_for_timezone("Europe/Warsaw") == "PL"
    assert region_for_timezone("Asia/Tehran") == "IR"
    assert region_for_timezone("Nowhere/Special") is None
    assert region_for_timezone("") is None


def test_a_purchase_counts_under_email_phone_and_conversation():
    keys = customer_keys("Dee@example.com", "600123456", "web:abc", region="PL")
    assert keys == ("email:dee@example.com", "phone:+48600123456", "chat:web:abc")
    assert customer_keys("", "", "web:abc") == ("chat:web:abc",)

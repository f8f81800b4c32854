"""Templates written by agents and merchants cannot take the machine: sizes, arithmetic and
loops are capped, and a template that passes a cap is refused, not run to the end."""

from __future__ import annotations

import pytest

from bot.console import canned
from flows.sandbox import CappedEnvironment, SecurityError, render_capped

ENV = CappedEnvironment(autoescape=False)


@pytest.mark.parametrize(
    "source",
    [
        "{{ 'a' * 6 * 10**8 }}",  # folded into a 600 MB constant by Jinja's compiler before
        "{{ 'ab' * 100000 }}",
        "{{ [1] * 10**9 }}",
        "{{ 7 ** 100000 }}",
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "{% for i in range(60000) %}abcdefghij{% endfor %}",
        "{% set s = 'x' * 60000 %}{{ s + s }}",
    ],
)
def test_a_template_past_a_cap_is_refused(source):
    with pytest.raises(SecurityError):
        render_capped(ENV, source, {})


def test_ordinary_templates_render_as_before():
    source = "{{ 'ab' * 3 }} {{ 2 ** 10 }} {{ n * 2 }} {% for i in range(3) %}{{ i }}{% endfor %}"
    assert render_capped(ENV, source, {"n": 21}) == "ababab 1024 42 012"


def test_a_canned_response_that_would_build_600_mb_is_a_template_error():
    assert canned.check_template("{{ 'a' * 6 * 10**8 }}") is None  # it compiles, unfolded
    text, error = canned.render("{{ 'a' * 6 * 10**8 }}", {})
    assert error is not None and "over" in error
    assert text == "{{ 'a' * 6 * 10**8 }}"


def test_the_canned_example_still_fills_in():
    values = {"customer": {"first_name": "Ana"}, "agent": {"name": "Bob"}, "shop": {"name": "Toys"}}
    assert canned.render(canned.EXAMPLE, values) == ("Hi Ana, this is Bob from Toys.", None)

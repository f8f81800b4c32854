"""`shopchat check` reads shop.yaml's optional model (`understanding:`) and says what is wrong."""

from __future__ import annotations

import pytest

from tests.flows.conftest import SHOP

MENU = """\
triggers:
  examples: {en: [hello], pl: [cześć]}
steps:
  - say: {en: Hi, pl: Cześć}
"""


def test_a_complete_model_block_is_accepted(make_project, monkeypatch):
    monkeypatch.setenv("SHOP_MODEL_KEY", "k")
    block = (
        "understanding:\n  provider: openai\n  base_url: http://127.0.0.1:11434/v1\n"
        "  model: llama3.1:8b\n  api_key_env: SHOP_MODEL_KEY\n  timeout: 3s\n"
    )
    project, diags, _root = make_project({"menu": MENU}, shop=SHOP + block)
    assert project is not None and diags == []


@pytest.mark.parametrize(
    ("block", "line", "says"),
    [
        ("understanding:\n  provider: openai\n  model: m\n", 10, "needs base_url"),
        ("understanding:\n  provider: openai\n  base_url: http://h/v1\n", 10, "needs model"),
        (
            "understanding:\n  provider: openai\n  base_url: ftp://h\n  model: m\n",
            11,
            "not an http(s) URL",
        ),
        (
            "understanding:\n  provider: openai\n  base_url: http://h/v1\n  model: m\n"
            "  timeout: 2 minutes\n",
            13,
            "not a duration",
        ),
        (
            "understanding:\n  provider: openai\n  base_url: http://h/v1\n  model: m\n"
            "  timeout: 10s\n",
            13,
            "outside 1s..5s",
        ),
    ],
)
def test_an_incomplete_or_wrong_model_block_is_an_error_on_its_line(
    make_project, block, line, says
):
    project, diags, _root = make_project({"menu": MENU}, shop=SHOP + block)
    assert project is None
    found = [(d.path.name, d.line, d.severity) for d in diags if says in d.message]
    assert found == [("shop.yaml", line, "error")], [d.format() for d in diags]


def test_a_key_variable_not_set_or_settings_without_a_provider_are_warnings(
    make_project, monkeypatch
):
    monkeypatch.delenv("NOT_SET_KEY", raising=False)
    block = (
        "understanding:\n  provider: openai\n  base_url: http://h/v1\n  model: m\n"
        "  api_key_env: NOT_SET_KEY\n"
    )
    project, diags, _root = make_project({"menu": MENU}, shop=SHOP + block)
    assert project is not None
    assert [(d.line, d.severity) for d in diags if "NOT_SET_KEY is not set" in d.message] == [
        (13, "warning")
    ]
    project, diags, _root = make_project({"menu": MENU}, shop=SHOP + "understanding:\n  model: m\n")
    assert project is not None
    assert [d.severity for d in diags if "ignored without `provider: openai`" in d.message] == [
        "warning"
    ]

"""The Telegram Bot API spec as a test oracle, and the sample updates checked against it.

Every call the renderer produces is validated against its method's fields in the community
``api.json`` spec (PaulSonOfLars/telegram-bot-api-spec, Bot API 10.1): required fields present,
no field the method does not know, values of a type the field allows, recursively through
keyboards and their buttons. The sample updates in ``tests/data/telegram`` are checked against
the ``Update`` type the same way, so they stay real-format.

The spec is the trimmed copy in ``tests/data/telegram/bot-api`` (names, types and required flags;
MIT, with its licence and the script that regenerates it), or ``$SHOPCHAT_TELEGRAM_API_SPEC``
when set (a full ``api.json``, e.g. of a newer Bot API).
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from adapters.base import OutboundCall

DATA = Path(__file__).resolve().parent.parent / "data" / "telegram"
BUNDLED_SPEC = DATA / "bot-api" / "api.json"

SAMPLES = (
    "text",
    "start_deep_link",
    "callback_query",
    "contact",
    "location",
    "photo_caption",
    "edited_message",
    "pre_checkout_query",
    "successful_payment",
    "my_chat_member_kicked",
    "unknown_fields",
)


def sample(name: str) -> dict[str, Any]:
    """A real-format Update from tests/data/telegram."""
    loaded: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


def sample_body(name: str) -> bytes:
    return (DATA / f"{name}.json").read_bytes()


class BotApiSpec:
    """Checks JSON values against the Bot API's methods and types."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.version = spec.get("version", "?")
        self.methods: dict[str, Any] = spec["methods"]
        self.types: dict[str, Any] = spec["types"]

    def call_errors(self, method: str, payload: dict[str, Any]) -> list[str]:
        if method not in self.methods:
            return [f"{method}: no such Bot API method"]
        return self._fields_errors(self.methods[method].get("fields", []), payload, method, True)

    def value_errors(
        self, value: Any, types: Iterable[str], where: str, strict: bool = True
    ) -> list[str]:
        """Errors if ``value`` matches none of ``types`` (a field's alternatives)."""
        alternatives = list(types)
        failures: list[str] = []
        for type_name in alternatives:
            errors = self._type_errors(value, type_name, where, strict)
            if not errors:
                return []
            failures.extend(errors)
        if len(alternatives) == 1:
            return failures
        return [f"{where}: {value!r:.80} is none of {alternatives}: {failures}"]

    def _type_errors(self, value: Any, type_name: str, where: str, strict: bool) -> list[str]:
        if type_name.startswith("Array of "):
            if not isinstance(value, list):
                return [f"{where}: expected {type_name}, got {type(value).__name__}"]
            inner = type_name.removeprefix("Array of ")
            errors: list[str] = []
            for index, item in enumerate(value):
                errors += self.value_errors(item, [inner], f"{where}[{index}]", strict)
            return errors
        primitive = {
            "String": lambda v: isinstance(v, str),
            "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "Float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
            "Boolean": lambda v: isinstance(v, bool),
            "True": lambda v: v is True,
        }.get(type_name)
        if primitive is not None:
            return [] if primitive(value) else [f"{where}: {value!r:.80} is not a {type_name}"]
        if type_name == "InputFile":
            return [f"{where}: InputFile is a multipart upload, never a JSON value"]
        spec_type = self.types.get(type_name)
        if spec_type is None:
            return [f"{where}: the spec has no type {type_name}"]
        if "subtypes" in spec_type:
            return self.value_errors(value, spec_type["subtypes"], where, strict)
        if not isinstance(value, dict):
            return [f"{where}: expected a {type_name} object, got {type(value).__name__}"]
        return self._fields_errors(spec_type.get("fields", []), value, where, strict)

    def _fields_errors(
        self, fields: list[dict[str, Any]], value: dict[str, Any], where: str, strict: bool
    ) -> list[str]:
        known = {field["name"]: field for field in fields}
        errors = [
            f"{where}: missing required field {name!r}"
            for name, field in known.items()
            if field["required"] and name not in value
        ]
        for name, item in value.items():
            if name not in known:
                if strict:
                    errors.append(f"{where}: unknown field {name!r}")
                continue
            errors += self.value_errors(item, known[name]["types"], f"{where}.{name}", strict)
        return errors


@cache
def require_spec() -> BotApiSpec:
    """The Bot API spec: ``$SHOPCHAT_TELEGRAM_API_SPEC`` if set, else the bundled trimmed copy."""
    path = Path(os.environ.get("SHOPCHAT_TELEGRAM_API_SPEC") or BUNDLED_SPEC)
    return BotApiSpec(json.loads(path.read_text(encoding="utf-8")))


@pytest.fixture
def bot_api() -> BotApiSpec:
    return require_spec()


def assert_valid_calls(spec: BotApiSpec, calls: Iterable[OutboundCall]) -> None:
    """Fail with every problem if any call is not a well-formed Bot API request."""
    problems = [error for call in calls for error in spec.call_errors(call.method, call.payload)]
    assert not problems, "\n".join(problems)


# The oracle itself: it must catch what it is there to catch.


def test_oracle_accepts_a_well_formed_message_with_a_keyboard(bot_api: BotApiSpec) -> None:
    payload = {
        "chat_id": 42,
        "text": "Pick one",
        "reply_markup": {"inline_keyboard": [[{"text": "Vases", "callback_data": "c:v"}]]},
    }
    assert bot_api.call_errors("sendMessage", payload) == []


@pytest.mark.parametrize(
    ("method", "payload", "complaint"),
    [
        ("sendMessage", {"chat_id": 42}, "missing required field 'text'"),
        ("sendMessage", {"chat_id": 42, "text": "hi", "colour": "red"}, "unknown field 'colour'"),
        ("sendMessage", {"chat_id": 4.2, "text": "hi"}, "none of ['Integer', 'String']"),
        ("answerPreCheckoutQuery", {"pre_checkout_query_id": "1", "ok": 1}, "not a Boolean"),
        (
            "sendMessage",
            {
                "chat_id": 42,
                "text": "hi",
                "reply_markup": {"inline_keyboard": [[{"text": "x", "payload": "y"}]]},
            },
            "unknown field 'payload'",
        ),
        ("sendCarousel", {"chat_id": 42}, "no such Bot API method"),
    ],
)
def test_oracle_rejects_malformed_calls(
    bot_api: BotApiSpec, method: str, payload: dict[str, Any], complaint: str
) -> None:
    assert complaint in "\n".join(bot_api.call_errors(method, payload))


# The samples: real Telegram shapes, so parse tests test what Telegram sends.


@pytest.mark.parametrize("name", [name for name in SAMPLES if name != "unknown_fields"])
def test_sample_updates_are_valid_updates_per_the_spec(bot_api: BotApiSpec, name: str) -> None:
    assert bot_api.value_errors(sample(name), ["Update"], name) == []


def test_the_unknown_fields_sample_really_carries_fields_the_spec_lacks(
    bot_api: BotApiSpec,
) -> None:
    update = sample("unknown_fields")
    strict = bot_api.value_errors(update, ["Update"], "unknown_fields")
    assert any("unknown field" in error for error in strict)
    assert bot_api.value_errors(update, ["Update"], "unknown_fields", strict=False) == []


def test_the_bundled_spec_is_what_the_trim_script_makes() -> None:
    """Nobody hand-edited the copy: trimming it again gives it back byte for byte."""
    script = BUNDLED_SPEC.with_name("trim.py")
    loader = importlib.util.spec_from_file_location("trim_bot_api", script)
    assert loader is not None and loader.loader is not None
    trim = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(trim)
    text = BUNDLED_SPEC.read_text(encoding="utf-8")
    assert trim.trim(json.loads(text)) == text
    assert "Copyright (c) 2020 Paul Larsen" in (BUNDLED_SPEC.parent / "LICENSE").read_text()

"""The flow language's schema: what a flow file and shop.yaml may contain.

These pydantic models validate the YAML (unknown keys are errors, so typos surface) and
produce the JSON Schema that editors use for completion (``shopchat schema``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Text = str | dict[str, str]
"""A user-facing text: a default-locale string (also the translation msgid) or a locale map."""

SlotType = Literal["text", "number", "integer", "money", "email", "phone", "date", "choice"]
InterruptionName = Literal["help", "cancel", "restart", "human", "language"]
INTERRUPTIONS: tuple[str, ...] = ("help", "cancel", "restart", "human", "language")

IDENT = r"^[A-Za-z_][A-Za-z0-9_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class TargetRef(_Strict):
    """Where to go: a flow (from its start) or a step of another flow."""

    flow: str
    step: str | None = None


Target = str | TargetRef
"""``step_id`` | ``end`` | ``{flow: id}`` | ``{flow: id, step: id}``"""


class Triggers(_Strict):
    keywords: dict[str, list[str]] = Field(default_factory=dict)
    phrases: dict[str, list[str]] = Field(default_factory=dict)
    # Sentences a shopper might write to start this flow, per locale: matched tolerant of
    # word order, inflection and typos (see docs/flows.md, "Understanding sentences").
    examples: dict[str, list[str]] = Field(default_factory=dict)
    regex: list[str] = Field(default_factory=list)
    commands: list[str] = Field(default_factory=list)
    payloads: list[str] = Field(default_factory=list)

    @field_validator("commands")
    @classmethod
    def _slash(cls, value: list[str]) -> list[str]:
        for command in value:
            if not command.startswith("/") or " " in command:
                raise ValueError(f"a command looks like /name, not {command!r}")
        return value


class _Step(_Strict):
    id: str | None = Field(default=None, pattern=IDENT)
    interruptions: bool | list[InterruptionName] = True
    help: Text | None = None


class _Continues(_Step):
    next: Target | None = None
    # Facts kept about the customer once the step is done, across sessions and channels:
    # slot names (``[customer_name]``) or fact: slot pairs (``{name: customer_name}``).
    # Templates read them as ``customer.<fact>`` (see docs/customers.md).
    remember: list[str] | dict[str, str] | None = None

    @field_validator("remember")
    @classmethod
    def _facts(cls, value: list[str] | dict[str, str] | None) -> list[str] | dict[str, str] | None:
        import re

        names = value if isinstance(value, list) else list((value or {}).items())
        for item in names:
            for name in item if isinstance(item, tuple) else (item,):
                if not re.match(IDENT, name):
                    raise ValueError(f"{name!r} is not a valid fact or slot name")
        return value


class ChoiceDef(_Strict):
    value: str | int | bool
    label: Text | None = None
    next: Target | None = None


class Rule(_Strict):
    if_: str = Field(alias="if")
    error: Text


class SayStep(_Continues):
    say: Text | None
    image: str | None = None
    products: str | None = None


class AskStep(_Continues):
    ask: str = Field(pattern=IDENT)
    text: Text | None = None
    type: SlotType | None = None
    min: float | None = None
    max: float | None = None
    choices: list[ChoiceDef | str] | None = None
    choices_from: str | None = None
    products: str | None = None
    error: Text | None = None
    validate_: list[Rule] = Field(default_factory=list, alias="validate")
    attempts: int = Field(default=3, ge=1, le=20)
    on_fail: Target | None = None
    skip_if_set: bool = False
    # Which kind of value from a shopper's sentence fills this slot (age, money, recipient,
    # interest, ... or a kind from the shop's vocabulary); inferred from the type and the
    # slot's name when not given.
    entity: str | None = Field(default=None, pattern=IDENT)
    # Confirm a value taken from a sentence before using it: true, or the question to ask
    # (a template that sees ``value``).
    confirm: bool | Text = False
    # Fill the slot only from what the shopper already said; never ask for it.
    optional: bool = False
    # A choice question that also takes an answer outside its choices (the buttons are
    # suggestions): the value heard, or the text typed.
    accept_other: bool = False


class SetStep(_Continues):
    set: dict[str, Any]

    @field_validator("set")
    @classmethod
    def _names(cls, value: dict[str, Any]) -> dict[str, Any]:
        import re

        for name in value:
            if not re.match(IDENT, name):
                raise ValueError(f"{name!r} is not a valid slot name")
        return value


class BranchArm(_Strict):
    if_: str | None = Field(default=None, alias="if")
    elif_: str | None = Field(default=None, alias="elif")
    else_: Target | None = Field(default=None, alias="else")
    next: Target | None = None


class BranchStep(_Step):
    branch: list[BranchArm] = Field(min_length=1)


class CallStep(_Continues):
    call: str
    with_: dict[str, Any] = Field(default_factory=dict, alias="with")


class GotoStep(_Step):
    goto: Target


class ActionStep(_Continues):
    action: str
    args: dict[str, Any] = Field(default_factory=dict)
    result: str | None = Field(default=None, pattern=IDENT)
    on_error: Target | None = None


class HandoffStep(_Continues):
    handoff: str
    text: Text | None = None


class EndStep(_Step):
    end: Text | None


Step = (
    SayStep
    | AskStep
    | SetStep
    | BranchStep
    | CallStep
    | GotoStep
    | ActionStep
    | HandoffStep
    | EndStep
)

STEP_KINDS: dict[str, type[_Step]] = {
    "say": SayStep,
    "ask": AskStep,
    "set": SetStep,
    "branch": BranchStep,
    "call": CallStep,
    "goto": GotoStep,
    "action": ActionStep,
    "handoff": HandoffStep,
    "end": EndStep,
}


class FlowHeader(_Strict):
    """Everything in a flow file but its steps (steps are validated one by one)."""

    id: str | None = Field(default=None, pattern=IDENT)
    description: str | None = None
    # What the shopper sees when the bot asks which flow she meant ("Find a gift").
    title: Text | None = None
    triggers: Triggers = Field(default_factory=Triggers)
    help: Text | None = None
    fallback: bool = False


class FlowFile(FlowHeader):
    """One flow file (``flows/*.yaml``)."""

    steps: list[Step] = Field(min_length=1)


class SessionSettings(_Strict):
    idle_timeout: str = "30m"


class CatalogSettings(_Strict):
    feed: str | None = None
    # An import losing more than this share of its rows changes nothing ("20%" or 0.2).
    max_rejected: str | float | None = None
    allow_empty: bool = False  # import even a feed that leaves nothing to sell
    reviews: str | None = None  # Google Product Ratings XML or CSV, imported when it changes


class UnderstandingSettings(_Strict):
    """``understanding:`` in shop.yaml: how sentences are read (see docs/flows.md)."""

    # Switch to the language a message is clearly written in (sticky for the session).
    detect_language: bool = True
    # The flow that answers product questions no other flow matches ("do you have ...?").
    search: str | None = Field(default=None, pattern=IDENT)
    # How sure the understanding must be to start a flow, and to offer two as buttons.
    threshold: float = Field(default=0.5, gt=0, le=1)
    clarify: float = Field(default=0.3, gt=0, le=1)
    # Sentences per locale no flow answers (small talk the shop's shoppers write), added to
    # shopchat's own (understanding/data/off_topic.yaml): they start nothing.
    off_topic: dict[str, list[str]] = Field(default_factory=dict)
    # An optional OpenAI-compatible model, asked for the same structured result.
    provider: Literal["openai"] | None = None
    base_url: str | None = None
    model: str | None = None
    api_key_env: str | None = None
    timeout: str = "3s"
    # When to ask it: only when the built-in reading is unsure of a sentence, or always.
    ask: Literal["unsure", "always"] = "unsure"


class ShopFile(_Strict):
    """``shop.yaml``."""

    name: str
    default_locale: str = "en"
    locales: list[str] = Field(default_factory=list)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    timezone: str = "UTC"
    start_flow: str | None = None
    fallback_flow: str | None = None
    session: SessionSettings = Field(default_factory=SessionSettings)
    catalog: CatalogSettings = Field(default_factory=CatalogSettings)
    texts: dict[str, Text] = Field(default_factory=dict)
    interruptions: dict[InterruptionName, dict[str, list[str]]] = Field(default_factory=dict)
    channels: dict[str, Any] = Field(default_factory=dict)
    understanding: UnderstandingSettings = Field(default_factory=UnderstandingSettings)
    # The human hand-off desk's settings; bot/handoff/config.py validates them.
    handoff: dict[str, Any] = Field(default_factory=dict)
    # Answers to public comments under the shop's posts; bot/comments.py validates them.
    comments: dict[str, Any] = Field(default_factory=dict)
    # How long conversation records are kept; bot/retention.py validates it.
    retention: dict[str, Any] = Field(default_factory=dict)


def flow_json_schema() -> dict[str, Any]:
    """JSON Schema for flow files, for editor completion."""
    schema = FlowFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "shopchat flow"
    return schema


__all__ = [
    "INTERRUPTIONS",
    "STEP_KINDS",
    "ActionStep",
    "AskStep",
    "BranchArm",
    "BranchStep",
    "CallStep",
    "ChoiceDef",
    "EndStep",
    "FlowFile",
    "FlowHeader",
    "GotoStep",
    "HandoffStep",
    "Rule",
    "SayStep",
    "SetStep",
    "ShopFile",
    "Step",
    "Target",
    "TargetRef",
    "Text",
    "Triggers",
    "UnderstandingSettings",
    "flow_json_schema",
]

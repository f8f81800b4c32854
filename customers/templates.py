"""The shop's message templates (``templates.yaml``): what may be sent outside a messaging window.

WhatsApp lets a business write first, or after 24 hours of silence, only with a template Meta
approved: a name, a category, one language code per locale and numbered body parameters.
Messenger and Instagram allow a few message tags instead. Each is bound to events
(``broadcast``, ``order_shipped``, ``payment_due``, ``cart_reminder``)::

    whatsapp:
      - name: service_notice
        category: utility
        languages: {en: en_US, pl: pl, es: es}
        parameters: [message]            # {{1}} in the approved body
        events: [broadcast]
    messenger:
      tags: {broadcast: ACCOUNT_UPDATE, order_shipped: POST_PURCHASE_UPDATE}

``shopchat check`` lints it: every template's events are known, its parameters named and its
languages cover the shop's locales (a missing one is a warning: customers in that language get
nothing outside the window).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from flows import Diagnostic
from flows.yamlpos import YamlSyntaxError, load_yaml

EVENTS = ("broadcast", "order_shipped", "payment_due", "cart_reminder")
Event = Literal["broadcast", "order_shipped", "payment_due", "cart_reminder"]
MESSENGER_TAGS = ("ACCOUNT_UPDATE", "CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE")
IDENT = r"^[a-z0-9_]{1,512}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WhatsAppTemplate(_Strict):
    name: str = Field(pattern=IDENT)
    category: Literal["utility", "marketing", "authentication"]
    languages: dict[str, str] = Field(min_length=1)  # shop locale -> WhatsApp language code
    parameters: list[str] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)


class MessengerTags(_Strict):
    tags: dict[
        Event, Literal["ACCOUNT_UPDATE", "CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE"]
    ] = Field(default_factory=dict)


class TemplatesFile(_Strict):
    whatsapp: list[WhatsAppTemplate] = Field(default_factory=list)
    messenger: MessengerTags = Field(default_factory=MessengerTags)


@dataclass(frozen=True)
class ChosenTemplate:
    """A template to send: its name, the language code for her locale, its parameters."""

    name: str
    language: str
    parameters: tuple[str, ...]


class Templates:
    """The templates of a shop, by channel and event."""

    def __init__(self, spec: TemplatesFile | None = None) -> None:
        self.spec = spec or TemplatesFile()

    def whatsapp(self, event: str, locale: str) -> ChosenTemplate | None:
        """The WhatsApp template for ``event`` in ``locale`` (or its language), if any."""
        for t in self.spec.whatsapp:
            if event not in t.events:
                continue
            code = t.languages.get(locale) or t.languages.get(locale.split("-", 1)[0])
            if code:
                return ChosenTemplate(t.name, code, tuple(t.parameters))
        return None

    def named(self, name: str) -> WhatsAppTemplate | None:
        return next((t for t in self.spec.whatsapp if t.name == name), None)

    def messenger_tag(self, event: str) -> str | None:
        return self.spec.messenger.tags.get(event)  # type: ignore[call-overload, no-any-return]


def load_templates(root: Path, locales: Sequence[str] = ()) -> tuple[Templates, list[Diagnostic]]:
    """``root/templates.yaml`` (none: no templates) and what is wrong with it."""
    path = root / "templates.yaml"
    if not path.exists():
        return Templates(), []
    try:
        doc = load_yaml(path)
    except YamlSyntaxError as exc:
        return Templates(), [Diagnostic(path, exc.line, exc.col, exc.message)]
    try:
        spec = TemplatesFile.model_validate(doc.data or {})
    except ValidationError as exc:
        diags = []
        for err in exc.errors():
            line, col = doc.pos(tuple(err["loc"]))
            where = ".".join(str(p) for p in err["loc"])
            diags.append(Diagnostic(path, line, col, f"{where}: {err['msg']}"))
        return Templates(), diags
    diags = []
    seen: set[str] = set()
    for i, t in enumerate(spec.whatsapp):
        line, col = doc.pos(("whatsapp", i, "name"))
        if t.name in seen:
            diags.append(Diagnostic(path, line, col, f"template {t.name!r} is defined twice"))
        seen.add(t.name)
        if not t.events:
            diags.append(
                Diagnostic(path, line, col, f"template {t.name!r} is bound to no event", "warning")
            )
        missing = [loc for loc in locales if loc not in t.languages]
        if missing:
            diags.append(
                Diagnostic(
                    path,
                    *doc.pos(("whatsapp", i, "languages")),
                    f"template {t.name!r} has no language for {', '.join(missing)}: customers "
                    "in those languages get nothing outside the 24-hour window",
                    "warning",
                )
            )
        for j, param in enumerate(t.parameters):
            if not param.strip():
                diags.append(
                    Diagnostic(
                        path,
                        *doc.pos(("whatsapp", i, "parameters", j)),
                        f"template {t.name!r}: parameter {j + 1} has no name",
                    )
                )
    return Templates(spec), diags


def template_call(to: str, chosen: ChosenTemplate, values: dict[str, Any]) -> dict[str, Any]:
    """The Cloud API message that sends ``chosen`` with its body parameters filled."""
    content: dict[str, Any] = {"name": chosen.name, "language": {"code": chosen.language}}
    if chosen.parameters:
        content["components"] = [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": str(values.get(p, ""))[:1024]}
                    for p in chosen.parameters
                ],
            }
        ]
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "template",
        "template": content,
    }


__all__ = [
    "EVENTS",
    "ChosenTemplate",
    "Templates",
    "WhatsAppTemplate",
    "load_templates",
    "template_call",
]

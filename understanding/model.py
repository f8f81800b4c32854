"""An optional language model that reads a message into the same structured result.

``shop.yaml``::

    understanding:
      provider: openai             # any OpenAI-compatible chat completions endpoint
      base_url: http://127.0.0.1:11434/v1   # a local Ollama or vLLM server works too
      model: llama3.1:8b
      api_key_env: SHOP_MODEL_KEY  # the name of the variable holding the key, if any
      timeout: 3s

:func:`ask_model` sends the message, the session's locale, the flows it may choose and the
kinds of values it may report, and asks for JSON only. The answer is validated with
pydantic; on an error, a timeout or anything invalid the built-in understanding stands. The
model never writes text to the shopper and never sets a price: it only picks an intent, a
language and values, which the flow then validates like a typed answer. It runs outside the
engine (the result goes in as ``TextInput.meaning``), so it holds no database transaction.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .understand import SURE, Understander, Understanding

log = logging.getLogger("shopchat.understanding.model")

# Values a model may report, with the type each must have.
KINDS: dict[str, type | tuple[type, ...]] = {
    "money": int,
    "money_min": int,
    "age": int,
    "quantity": int,
    "age_group": str,
    "recipient": str,
    "gender": str,
    "interest": list,
    "product": str,
    "order_number": str,
    "email": str,
    "phone": str,
    "colour": str,
    "size": str,
}


@dataclass(frozen=True)
class ModelSettings:
    base_url: str
    model: str
    api_key: str | None = None
    timeout: float = 3.0

    @classmethod
    def from_shop(
        cls, settings: Any, environ: dict[str, str] | None = None
    ) -> ModelSettings | None:
        """From shop.yaml's ``understanding:``; None when no model is configured."""
        if getattr(settings, "provider", None) != "openai" or not settings.base_url:
            return None
        env = os.environ if environ is None else environ
        key = env.get(settings.api_key_env) if settings.api_key_env else None
        from flows.loader import parse_duration  # the shop's duration syntax (3s, 1m)

        seconds = parse_duration(settings.timeout).total_seconds()
        return cls(settings.base_url.rstrip("/"), settings.model or "", key, seconds)


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    intent: str | None = None
    language: str | None = None
    confidence: float = Field(default=0.8, ge=0, le=1)
    entities: dict[str, Any] = Field(default_factory=dict)

    @field_validator("entities")
    @classmethod
    def _known(cls, value: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        item: Any
        for kind, item in value.items():
            wanted = KINDS.get(kind)
            if wanted is None or item is None or isinstance(item, bool):
                continue
            if not isinstance(item, wanted):
                raise ValueError(f"{kind}: expected {wanted}, got {type(item).__name__}")
            checked: Any = item
            if kind in ("money", "money_min", "age", "quantity") and checked < 0:
                raise ValueError(f"{kind} must not be negative")
            if kind == "interest":
                checked = [str(x) for x in checked if isinstance(x, str | int)]
            out[kind] = checked
        return out


def _prompt(locale: str, locales: Sequence[str], intents: Sequence[str]) -> str:
    kinds = ", ".join(
        f"{k} ({'integer, minor currency units' if k.startswith('money') else t.__name__})"
        for k, t in KINDS.items()
        if isinstance(t, type)
    )
    return (
        "You read one message a shopper wrote to an online shop's chat and answer with JSON "
        'only: {"intent": one of the intents or null, "language": the language code it is '
        'written in (one of the locales) or null, "confidence": 0..1, "entities": {kind: '
        "value}}. Never write text for the shopper. Report only values the message states.\n"
        f"Intents: {', '.join(intents)}.\nLocales: {', '.join(locales)} (the session is in "
        f"{locale}).\nEntity kinds: {kinds}."
    )


class ModelFailed(Exception):
    """The model gave no usable answer (an error, a timeout or invalid output)."""


async def _ask(
    client: httpx.AsyncClient,
    settings: ModelSettings,
    text: str,
    *,
    locale: str,
    locales: Sequence[str],
    intents: Sequence[str],
    guide: str = "",
) -> _Answer:
    headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
    system = _prompt(locale, locales, intents) + (f"\n{guide}" if guide else "")
    body = {
        "model": settings.model,
        "temperature": 0,
        "response_format": {"type": "json_object"},
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": text[:2000]},
        ],
    }
    try:
        # httpx's timeout bounds each phase (connect, each read); the deadline bounds the
        # whole exchange, so a server trickling bytes cannot hold the shopper longer.
        async with asyncio.timeout(settings.timeout):
            response = await client.post(
                f"{settings.base_url}/chat/completions",
                json=body,
                headers=headers,
                timeout=settings.timeout,
            )
            response.raise_for_status()
            content = response.json()["choices"][0]["message"]["content"]
        return _Answer.model_validate(json.loads(content))
    except TimeoutError:
        raise ModelFailed(f"no answer within {settings.timeout:g} s") from None
    except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError, ValidationError) as exc:
        raise ModelFailed(f"{type(exc).__name__}: {str(exc)[:200]}") from None


def _merge(
    builtin: Understanding, answer: _Answer, locales: Sequence[str], intents: Sequence[str]
) -> Understanding:
    intent = answer.intent if answer.intent in intents else None
    language = answer.language if answer.language in locales else None
    return replace(
        builtin,
        intent=intent if intent is not None else builtin.intent,
        language=language or builtin.language,
        confidence=answer.confidence if intent is not None else builtin.confidence,
        entities={**builtin.entities, **answer.entities},
        source="model",
    )


async def ask_model(
    client: httpx.AsyncClient,
    settings: ModelSettings,
    text: str,
    *,
    locale: str,
    locales: Sequence[str],
    intents: Sequence[str],
    builtin: Understanding,
) -> Understanding:
    """The model's reading of ``text``, or ``builtin`` when it fails in any way."""
    try:
        answer = await _ask(client, settings, text, locale=locale, locales=locales, intents=intents)
    except ModelFailed as exc:
        log.warning("understanding model failed, the built-in reading stands: %s", exc)
        return builtin
    return _merge(builtin, answer, locales, intents)


class CircuitBreaker:
    """Stops asking a failing model for a while, so a dead endpoint costs each shopper
    nothing rather than a timeout: after ``failures`` failures in a row it opens for
    ``cooldown`` seconds, then lets one message through to try again."""

    def __init__(
        self,
        failures: int = 3,
        cooldown: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failures = failures
        self.cooldown = cooldown
        self.clock = clock
        self._failed = 0
        self._open_until = 0.0

    @property
    def open(self) -> bool:
        return self._failed >= self.failures and self.clock() < self._open_until

    def allow(self) -> bool:
        return not self.open

    def record(self, ok: bool) -> None:
        if ok:
            self._failed = 0
            return
        self._failed += 1
        if self._failed >= self.failures:
            self._open_until = self.clock() + self.cooldown
            log.warning(
                "understanding model failed %d times in a row: not asked for %g s",
                self._failed,
                self.cooldown,
            )


INTERRUPTIONS = ("@human", "@help", "@cancel", "@language")


class ModelInterpreter:
    """Reads a shopper's message with the built-in understanding and, when that is unsure,
    asks the shop's model too; the merged result goes to the engine as ``TextInput.meaning``.

    ``await interpreter.read(text, locale)`` returns None when the built-in reading should
    stand (it was sure, the model failed or added nothing), else the merged Understanding.
    Never raises for anything the model does.
    """

    def __init__(
        self,
        settings: ModelSettings,
        understander: Understander,
        *,
        intents: Sequence[str],
        guide: str = "",
        catalog: Any = None,
        detect_language: bool = True,
        always: bool = False,
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.settings = settings
        self._transport = transport
        self.understander = understander
        self.locales = list(understander.locales)
        self.intents = list(intents)
        self.guide = guide
        self.catalog = catalog
        self.detect_language = detect_language
        self.always = always
        self._client = client
        self._own_client = client is None
        self.breaker = breaker or CircuitBreaker()
        self.asked = 0
        self.failed = 0

    def wants(self, builtin: Understanding) -> bool:
        """Whether the model is worth asking: the built-in reading is not sure of a sentence
        (it found no intent, or one below SURE)."""
        if self.always:
            return True
        if builtin.intent is not None and builtin.confidence >= SURE:
            return False  # it is sure what the sentence asks for
        # One or two words ("8", "yes", "blue") are answers the flow reads itself.
        return len(builtin.text.split()) >= 3

    async def read(
        self, text: str, locale: str, *, detect: bool | None = None
    ) -> Understanding | None:
        detect = self.detect_language if detect is None else detect
        builtin = self.understander.understand(text, locale, detect=detect, catalog=self.catalog)
        if not text.strip() or text.lstrip().startswith("/") or not self.wants(builtin):
            return None
        if not self.breaker.allow():
            return None
        if self._client is None:  # its own, made on the loop that uses it
            self._client = httpx.AsyncClient(transport=self._transport)
        self.asked += 1
        try:
            answer = await _ask(
                self._client,
                self.settings,
                text,
                locale=locale,
                locales=self.locales,
                intents=self.intents,
                guide=self.guide,
            )
        except ModelFailed as exc:
            self.failed += 1
            self.breaker.record(False)
            log.warning("understanding model failed, the built-in reading stands: %s", exc)
            return None
        except asyncio.CancelledError:
            # The caller gave up first (the server's own cap on an interpreter): a failure too.
            self.failed += 1
            self.breaker.record(False)
            raise
        self.breaker.record(True)
        merged = _merge(builtin, answer, self.locales, self.intents)
        if merged.intent == builtin.intent and merged.entities == builtin.entities:
            return None  # nothing new: the engine's own reading keeps its clarifying question
        return merged

    async def interpret(self, text: str, context: Any) -> dict[str, Any] | None:
        """The server's interpreter seam (``bot.interpreter.Interpreter``): the meaning of
        ``text`` for ``TextInput.meaning``, or None to let the built-in reading stand."""
        state = getattr(context, "state", None)
        pinned = bool(getattr(state, "locale_pinned", False))
        meaning = await self.read(text, context.locale, detect=self.detect_language and not pinned)
        return meaning.to_dict() if meaning is not None else None

    async def aclose(self) -> None:
        if self._own_client and self._client is not None:
            await self._client.aclose()
            self._client = None


def interpreter_from_shop(
    project: Any,
    *,
    environ: dict[str, str] | None = None,
    client: httpx.AsyncClient | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    breaker: CircuitBreaker | None = None,
) -> ModelInterpreter | None:
    """The model interpreter a project's shop.yaml asks for, or None (no model configured,
    or no built-in understanding to merge with).

    ``project`` is a loaded :class:`flows.Project`; only its shop settings, locales, flows
    (their ids and titles), understander and catalog vocabulary are read.
    """
    shop = project.shop.understanding
    settings = ModelSettings.from_shop(shop, environ)
    understander = project.understander
    if settings is None or understander is None:
        return None
    intents = sorted(project.startable) + list(INTERRUPTIONS)
    lines = []
    for flow_id in sorted(project.startable):
        flow = project.flows.get(flow_id)
        title = getattr(flow, "title", None)
        try:
            label = title.render("en", {}) if title is not None else ""
        except Exception:  # a title that needs the session's values to render
            label = ""
        label = label or getattr(flow, "description", "")
        if label:
            lines.append(f"- {flow_id}: {label}")
    lines += [
        "- @human: the shopper asks for a person",
        "- @help: the shopper asks what the shop can do",
        "- @cancel: the shopper wants to stop what is going on",
        "- @language: the shopper wants another language",
    ]
    return ModelInterpreter(
        settings,
        understander,
        intents=intents,
        guide="What the intents mean:\n" + "\n".join(lines),
        catalog=project.catalog_vocabulary,
        detect_language=shop.detect_language,
        always=getattr(shop, "ask", "unsure") == "always",
        client=client,
        transport=transport,
        breaker=breaker,
    )


__all__ = [
    "KINDS",
    "CircuitBreaker",
    "ModelFailed",
    "ModelInterpreter",
    "ModelSettings",
    "ask_model",
    "interpreter_from_shop",
]

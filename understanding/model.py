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

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .understand import Understanding

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
    headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
    body = {
        "model": settings.model,
        "temperature": 0,
        "response_format": {"type": "json_object"},
        "messages": [
            {"role": "system", "content": _prompt(locale, locales, intents)},
            {"role": "user", "content": text[:2000]},
        ],
    }
    try:
        response = await client.post(
            f"{settings.base_url}/chat/completions",
            json=body,
            headers=headers,
            timeout=settings.timeout,
        )
        response.raise_for_status()
        content = response.json()["choices"][0]["message"]["content"]
        answer = _Answer.model_validate(json.loads(content))
    except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError, ValidationError) as exc:
        log.warning("understanding model failed, the built-in reading stands: %s", exc)
        return builtin
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


__all__ = ["KINDS", "ModelSettings", "ask_model"]

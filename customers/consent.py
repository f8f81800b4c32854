"""Consent per conversation and purpose, and "STOP" in any language.

Two purposes: ``marketing`` (offers, newsletters: sent only to who opted in) and ``updates``
(order updates and service notices: sent unless she said no). Each change is kept with its
time and source. A message that is only a stop word ("STOP", "stop", "nie wysyłaj", "baja",
"стоп", "لغو", "unsubscribe"...) or a press of a button whose payload is ``UNSUBSCRIBE``
withdraws marketing consent and is acknowledged once, in her language; a stop word sent again
while unsubscribed gets no answer. A flow records an opt-in by remembering a fact named
``marketing_consent`` (true or false).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from flows.text import fold_message
from shopdb import upsert

from .errors import ConsentError
from .tables import consent

PURPOSES = ("marketing", "updates")
UNSUBSCRIBE_PAYLOAD = "UNSUBSCRIBE"
CONSENT_FACT = "marketing_consent"

# Stop word (folded as flows.text.fold_message folds a message) -> the language it is in.
_STOP = {
    "stop": "en",
    "unsubscribe": "en",
    "stop all": "en",
    "nie wysylaj": "pl",
    "wypisz": "pl",
    "wypisz mnie": "pl",
    "baja": "es",
    "darme de baja": "es",
    "стоп": "ru",
    "отписаться": "ru",
    "لغو": "fa",
}
STOP_WORDS = frozenset(_STOP)

ACKNOWLEDGEMENT = {
    "en": "You're unsubscribed: we won't send you offers any more. Order updates still come here.",
    "pl": "Wypisano Cię: nie będziemy już wysyłać ofert. "
    "Informacje o zamówieniach nadal będą tu przychodzić.",
    "es": "Te has dado de baja: ya no te enviaremos ofertas. "
    "Las novedades de tus pedidos seguirán llegando aquí.",
    "ru": "Вы отписались: мы больше не будем присылать предложения. "
    "Новости о заказах по-прежнему будут приходить сюда.",
    "fa": "اشتراک شما لغو شد: دیگر پیشنهادی برایتان نمی‌فرستیم. اخبار سفارش‌ها همچنان اینجا می‌آید.",
}


@dataclass(frozen=True)
class Consent:
    purpose: str
    granted: bool
    at: datetime
    source: str


def stop_language(text: str) -> str | None:
    """The language of a stop word, when the whole message is one; else None."""
    return _STOP.get(fold_message(text or ""))


def set_consent(
    conn: Connection,
    conversation_id: str,
    purpose: str,
    granted: bool,
    *,
    source: str,
    now: datetime,
) -> bool:
    """Record her choice; returns whether it changed anything."""
    if purpose not in PURPOSES:
        raise ConsentError(f"unknown consent purpose {purpose!r}: use {' or '.join(PURPOSES)}")
    current = get_consent(conn, conversation_id, purpose)
    if current is not None and current.granted == granted:
        return False
    conn.execute(
        upsert(
            conn,
            consent,
            {
                "conversation_id": conversation_id,
                "purpose": purpose,
                "granted": granted,
                "at": now,
                "source": source[:64],
            },
            keys=("conversation_id", "purpose"),
        )
    )
    return True


def get_consent(conn: Connection, conversation_id: str, purpose: str) -> Consent | None:
    c = consent.c
    row = conn.execute(
        select(c.granted, c.at, c.source).where(
            c.conversation_id == conversation_id, c.purpose == purpose
        )
    ).first()
    return None if row is None else Consent(purpose, bool(row[0]), row[1], row[2])


__all__ = [
    "ACKNOWLEDGEMENT",
    "CONSENT_FACT",
    "PURPOSES",
    "STOP_WORDS",
    "UNSUBSCRIBE_PAYLOAD",
    "Consent",
    "get_consent",
    "set_consent",
    "stop_language",
]

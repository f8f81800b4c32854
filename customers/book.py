"""The customer book: one customer owns her conversations on every channel, and her facts.

A conversation gets a customer of its own the first time it is seen. Two customers become one
when a shopper proves an identity the shop already has: the email or phone of a *paid* order
(typed in a chat, or a WhatsApp number that is an order's phone), or a signed link code
(`customers.links`). An agent can merge two customers and undo the merge, or split one
conversation off; each change writes an audit line.

Facts (``remember:`` in flows) are JSON values per customer. A fact named ``age`` or ending in
``_age`` is an age: read later, it has grown by the whole years since it was remembered.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from checkout.identity import email_identity, phone_identity
from checkout.privacy import order_contacts, order_identities
from checkout.tables import orders
from shopdb import upsert

from .consent import CONSENT_FACT, set_consent
from .errors import UnknownCustomer
from .tables import audit, contacts, customers, facts, identities

# Facts whose value may name the shopper's email or phone: remembering one links her.
IDENTITY_FACTS = frozenset({"contact", "email", "phone"})


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class AuditLine:
    id: int
    at: datetime
    actor: str
    action: str
    detail: dict[str, Any]


@dataclass
class Customer:
    """One person, as the console and the CLI show her."""

    id: int
    conversations: list[tuple[str, str, str]] = field(default_factory=list)  # id, channel, how
    facts: dict[str, Any] = field(default_factory=dict)
    identities: list[str] = field(default_factory=list)
    audit: list[AuditLine] = field(default_factory=list)


def aged(fact: str, value: Any, remembered_at: datetime, now: datetime) -> Any:
    """An age grows by the whole years since it was remembered; other facts stay as they are."""
    if not (fact == "age" or fact.endswith("_age")) or isinstance(value, bool):
        return value
    if not isinstance(value, int):
        return value
    at, today = remembered_at.astimezone(UTC).date(), now.astimezone(UTC).date()
    years = today.year - at.year - ((today.month, today.day) < (at.month, at.day))
    return value + max(years, 0)


def identity_of(value: Any, region: str | None) -> str | None:
    """The normalised email or phone a fact's value names, if it names one."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    return email_identity(text) if "@" in text else phone_identity(text, region)


class CustomerBook:
    """Customers, their conversations, identities and facts, in the caller's transaction."""

    def __init__(
        self, *, region: str | None = None, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.region = region  # the shop's country, for phone numbers without one
        self.clock = clock

    # -- who ------------------------------------------------------------------------------
    def customer_id(self, conn: Connection, conversation_id: str) -> int | None:
        c = contacts.c
        return conn.execute(
            select(c.customer_id).where(c.conversation_id == conversation_id)
        ).scalar()

    def customer_of(
        self, conn: Connection, conversation_id: str, channel: str, now: datetime | None = None
    ) -> int:
        """The conversation's customer; a new one the first time it is seen.

        A new WhatsApp conversation is its phone number: when a paid order has that number,
        it joins that order's customer.
        """
        known = self.customer_id(conn, conversation_id)
        if known is not None:
            return known
        now = now or self.clock()
        new = self._new_customer(conn, now)
        conn.execute(
            insert(contacts).values(
                conversation_id=conversation_id,
                customer_id=new,
                channel=channel,
                linked_at=now,
                source="first message",
            )
        )
        if channel == "whatsapp":
            number = conversation_id.split(":", 1)[1]
            identity = phone_identity("+" + number.lstrip("+"))
            if identity is not None:
                return self.link(conn, conversation_id, identity, source="whatsapp number", now=now)
        return new

    def _new_customer(self, conn: Connection, now: datetime) -> int:
        return int(
            conn.execute(
                insert(customers).values(created_at=now, updated_at=now).returning(customers.c.id)
            ).scalar_one()
        )

    # -- facts ----------------------------------------------------------------------------
    def facts(
        self, conn: Connection, customer_id: int, now: datetime | None = None
    ) -> dict[str, Any]:
        """Her facts as templates see them (ages grown to today)."""
        now = now or self.clock()
        f = facts.c
        rows = conn.execute(
            select(f.fact, f.value, f.remembered_at).where(f.customer_id == customer_id)
        )
        return {row[0]: aged(row[0], json.loads(row[1]), row[2], now) for row in rows}

    def remember(
        self,
        conn: Connection,
        conversation_id: str,
        channel: str,
        values: Mapping[str, Any],
        now: datetime | None = None,
        *,
        source: str = "flow",
    ) -> int:
        """Keep ``values`` as facts of the conversation's customer; returns her customer id.

        An email or phone among them that a paid order has links her to that order's customer.
        """
        now = now or self.clock()
        customer = self.customer_of(conn, conversation_id, channel, now)
        for fact, value in values.items():
            self.set_fact(conn, customer, fact, value, now)
        if isinstance(values.get(CONSENT_FACT), bool):  # a flow's opt-in question
            set_consent(
                conn, conversation_id, "marketing", values[CONSENT_FACT], source="flow", now=now
            )
        for fact, value in values.items():
            identity = identity_of(value, self.region) if fact in IDENTITY_FACTS else None
            if identity is not None:
                customer = self.link(conn, conversation_id, identity, source=fact, now=now)
        return customer

    def set_fact(
        self, conn: Connection, customer_id: int, fact: str, value: Any, now: datetime
    ) -> None:
        conn.execute(
            upsert(
                conn,
                facts,
                {
                    "customer_id": customer_id,
                    "fact": fact,
                    "value": json.dumps(value, ensure_ascii=False, default=str),
                    "remembered_at": now,
                },
                keys=("customer_id", "fact"),
            )
        )

    def forget_fact(self, conn: Connection, customer_id: int, fact: str) -> bool:
        f = facts.c
        done = conn.execute(delete(facts).where(f.customer_id == customer_id, f.fact == fact))
        return bool(done.rowcount)

    # -- linking --------------------------------------------------------------------------
    def link(
        self,
        conn: Connection,
        conversation_id: str,
        identity: str,
        *,
        source: str,
        now: datetime | None = None,
    ) -> int:
        """She proved ``identity`` in this conversation: join the customer whose paid order
        has it (if any) and keep the identity. Returns her customer id afterwards."""
        now = now or self.clock()
        mine = self.customer_id(conn, conversation_id)
        if mine is None:
            raise UnknownCustomer(conversation_id)
        owners = self._paid_order_customers(conn, identity, now) - {mine}
        keep = mine
        for owner in sorted(owners):
            # The older record stays: it has the orders and most of her history.
            keep, gone = (owner, keep) if owner < keep else (keep, owner)
            self._merge(conn, keep, gone, actor="shopper", reason=f"{source}: {identity}", now=now)
        self._own_identity(conn, keep, identity, source, now)
        return keep

    def join(
        self,
        conn: Connection,
        conversation_id: str,
        channel: str,
        customer_id: int,
        *,
        source: str,
        now: datetime | None = None,
    ) -> int:
        """The conversation proved it is ``customer_id`` (a signed link): its customer joins
        hers. An unknown customer (erased since the link was sent) changes nothing."""
        now = now or self.clock()
        mine = self.customer_of(conn, conversation_id, channel, now)
        exists = conn.execute(select(customers.c.id).where(customers.c.id == customer_id)).scalar()
        if not exists or mine == customer_id:
            return mine
        self._merge(conn, customer_id, mine, actor="shopper", reason=source, now=now)
        return customer_id

    def _paid_order_customers(self, conn: Connection, identity: str, now: datetime) -> set[int]:
        """Customers of the conversations whose paid orders were placed under ``identity``."""
        c = orders.c
        found = {
            str(order.conversation_id)
            for order in order_contacts(
                conn, c.payment_status == "paid", c.conversation_id.is_not(None)
            )
            if identity in order_identities(order, self.region)
        }
        owners: set[int] = set()
        for cid in sorted(found):
            channel = cid.split(":", 1)[0]
            known = self.customer_id(conn, cid)
            if known is None:  # an order from before the customer book: its chat joins now
                known = self._new_customer(conn, now)
                conn.execute(
                    insert(contacts).values(
                        conversation_id=cid,
                        customer_id=known,
                        channel=channel,
                        linked_at=now,
                        source="paid order",
                    )
                )
            owners.add(known)
        return owners

    def _own_identity(
        self, conn: Connection, customer_id: int, identity: str, source: str, now: datetime
    ) -> None:
        i = identities.c
        held = conn.execute(select(i.customer_id).where(i.identity == identity)).scalar()
        if held is None:
            conn.execute(
                insert(identities).values(
                    identity=identity, customer_id=customer_id, source=source, added_at=now
                )
            )

    # -- agents: merge, undo, split ---------------------------------------------------------
    def merge(
        self, conn: Connection, keep: int, gone: int, *, actor: str, now: datetime | None = None
    ) -> int:
        """An agent says two customers are one person: ``gone`` joins ``keep``. Returns the
        audit line's id (``undo_merge`` takes it)."""
        for cid in (keep, gone):
            if not conn.execute(select(customers.c.id).where(customers.c.id == cid)).scalar():
                raise UnknownCustomer(f"customer {cid}")
        if keep == gone:
            raise UnknownCustomer(f"customer {keep} cannot be merged with itself")
        return self._merge(conn, keep, gone, actor=actor, reason="agent", now=now or self.clock())

    def _merge(
        self, conn: Connection, keep: int, gone: int, *, actor: str, reason: str, now: datetime
    ) -> int:
        moved = [
            row[0]
            for row in conn.execute(
                select(contacts.c.conversation_id).where(contacts.c.customer_id == gone)
            )
        ]
        f = facts.c
        gone_facts = {
            row.fact: (row.value, row.remembered_at)
            for row in conn.execute(select(facts).where(f.customer_id == gone))
        }
        kept = {
            row.fact: row.remembered_at
            for row in conn.execute(select(f.fact, f.remembered_at).where(f.customer_id == keep))
        }
        taken = []
        for fact, (value, at) in gone_facts.items():
            if fact not in kept or kept[fact] < at:  # the newer fact wins
                taken.append(fact)
                conn.execute(
                    upsert(
                        conn,
                        facts,
                        {"customer_id": keep, "fact": fact, "value": value, "remembered_at": at},
                        keys=("customer_id", "fact"),
                    )
                )
        moved_identities = [
            row[0]
            for row in conn.execute(
                select(identities.c.identity).where(identities.c.customer_id == gone)
            )
        ]
        conn.execute(delete(facts).where(f.customer_id == gone))
        conn.execute(
            update(contacts).where(contacts.c.customer_id == gone).values(customer_id=keep)
        )
        conn.execute(
            update(identities).where(identities.c.customer_id == gone).values(customer_id=keep)
        )
        conn.execute(update(audit).where(audit.c.customer_id == gone).values(customer_id=keep))
        conn.execute(delete(customers).where(customers.c.id == gone))
        conn.execute(update(customers).where(customers.c.id == keep).values(updated_at=now))
        detail = {
            "merged": gone,
            "reason": reason,
            "conversations": moved,
            "identities": moved_identities,
            "facts": {k: [v, at.isoformat()] for k, (v, at) in gone_facts.items()},
            "taken": taken,  # facts it brought (undo takes them back if still as they were)
        }
        return self._audit(conn, keep, actor, "merge", detail, now)

    def undo_merge(
        self, conn: Connection, audit_id: int, *, actor: str, now: datetime | None = None
    ) -> int:
        """Split off again what a merge brought in: its conversations, identities and facts
        become a customer of their own. Returns the new customer's id."""
        now = now or self.clock()
        row = conn.execute(select(audit).where(audit.c.id == audit_id)).first()
        if row is None or row.action != "merge":
            raise UnknownCustomer(f"audit line {audit_id} is not a merge")
        detail = json.loads(row.detail)
        if detail.get("undone"):
            raise UnknownCustomer(f"the merge in audit line {audit_id} was undone already")
        new = self._new_customer(conn, now)
        convs = [c for c in detail["conversations"] if self.customer_id(conn, c) == row.customer_id]
        conn.execute(
            update(contacts)
            .where(contacts.c.conversation_id.in_(convs))
            .values(customer_id=new, source="split", linked_at=now)
        )
        conn.execute(
            update(identities)
            .where(
                identities.c.identity.in_(detail["identities"]),
                identities.c.customer_id == row.customer_id,
            )
            .values(customer_id=new)
        )
        f = facts.c
        for fact in detail.get("taken", []):
            value, at = detail["facts"][fact]
            conn.execute(
                delete(facts).where(
                    f.customer_id == row.customer_id,
                    f.fact == fact,
                    f.value == value,
                    f.remembered_at == datetime.fromisoformat(at),
                )
            )
        for fact, (value, at) in detail["facts"].items():
            conn.execute(
                upsert(
                    conn,
                    facts,
                    {
                        "customer_id": new,
                        "fact": fact,
                        "value": value,
                        "remembered_at": datetime.fromisoformat(at),
                    },
                    keys=("customer_id", "fact"),
                )
            )
        detail["undone"] = True
        conn.execute(update(audit).where(audit.c.id == audit_id).values(detail=json.dumps(detail)))
        self._audit(
            conn, row.customer_id, actor, "undo merge", {"audit": audit_id, "new": new}, now
        )
        self._audit(
            conn, new, actor, "split off", {"from": row.customer_id, "audit": audit_id}, now
        )
        return new

    def split(
        self, conn: Connection, conversation_id: str, *, actor: str, now: datetime | None = None
    ) -> int:
        """One conversation is someone else: it becomes a customer of its own (no facts)."""
        now = now or self.clock()
        old = self.customer_id(conn, conversation_id)
        if old is None:
            raise UnknownCustomer(conversation_id)
        new = self._new_customer(conn, now)
        conn.execute(
            update(contacts)
            .where(contacts.c.conversation_id == conversation_id)
            .values(customer_id=new, source="split", linked_at=now)
        )
        self._audit(conn, old, actor, "split", {"conversation": conversation_id, "new": new}, now)
        self._audit(
            conn, new, actor, "split off", {"from": old, "conversation": conversation_id}, now
        )
        return new

    def _audit(
        self,
        conn: Connection,
        customer_id: int,
        actor: str,
        action: str,
        detail: dict[str, Any],
        now: datetime,
    ) -> int:
        return int(
            conn.execute(
                insert(audit)
                .values(
                    at=now,
                    actor=actor,
                    action=action,
                    customer_id=customer_id,
                    detail=json.dumps(detail, ensure_ascii=False),
                )
                .returning(audit.c.id)
            ).scalar_one()
        )

    # -- reading ----------------------------------------------------------------------------
    def find(self, conn: Connection, ref: str) -> int:
        """The customer a reference names: her number, a conversation id, an email or a phone."""
        text = (ref or "").strip()
        if text.isdigit():
            if conn.execute(select(customers.c.id).where(customers.c.id == int(text))).scalar():
                return int(text)
        elif ":" in text and "@" not in text and not text.startswith("+"):
            known = self.customer_id(conn, text)
            if known is not None:
                return known
        else:
            identity = identity_of(text, self.region)
            if identity is not None:
                i = identities.c
                held = conn.execute(select(i.customer_id).where(i.identity == identity)).scalar()
                if held is not None:
                    return int(held)
        raise UnknownCustomer(
            f"no customer is known by {ref!r}: give her number, a conversation id "
            "(telegram:123), or an email or phone she gave"
        )

    def customer(self, conn: Connection, customer_id: int, now: datetime | None = None) -> Customer:
        if not conn.execute(select(customers.c.id).where(customers.c.id == customer_id)).scalar():
            raise UnknownCustomer(f"customer {customer_id}")
        c, i, a = contacts.c, identities.c, audit.c
        out = Customer(customer_id, facts=self.facts(conn, customer_id, now))
        out.conversations = [
            (row[0], row[1], row[2])
            for row in conn.execute(
                select(c.conversation_id, c.channel, c.source)
                .where(c.customer_id == customer_id)
                .order_by(c.linked_at, c.conversation_id)
            )
        ]
        out.identities = list(
            conn.execute(
                select(i.identity).where(i.customer_id == customer_id).order_by(i.identity)
            ).scalars()
        )
        out.audit = [
            AuditLine(row.id, row.at, row.actor, row.action, json.loads(row.detail))
            for row in conn.execute(
                select(audit).where(a.customer_id == customer_id).order_by(a.id)
            )
        ]
        return out

    def conversations_of(self, conn: Connection, customer_ids: Iterable[int]) -> set[str]:
        c = contacts.c
        ids = sorted(set(customer_ids))
        return set(conn.execute(select(c.conversation_id).where(c.customer_id.in_(ids))).scalars())


__all__ = ["IDENTITY_FACTS", "AuditLine", "Customer", "CustomerBook", "aged", "identity_of"]

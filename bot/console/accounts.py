"""Agent accounts, console sessions, API tokens, canned responses and the failed-login log.

Synchronous SQLAlchemy Core on the project's database, like the session store; the console
calls it in a thread. Secrets are never stored as given: passwords as argon2 hashes, session
cookies and API tokens as their sha256 (they are long random strings, so a fast hash is enough).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    false,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy import exc as sa_exc

from shopdb import UTCDateTime

from ..storage import SessionStore

_metadata = MetaData()
agents_table = Table(
    "agents",
    _metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("display_name", String(128), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("admin", Boolean, nullable=False, server_default=false()),
)
sessions_table = Table(
    "agent_sessions",
    _metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("agent_id", Integer, ForeignKey("agents.id"), nullable=False),
    Column("csrf_secret", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("flash", Text),
)
api_tokens_table = Table(
    "agent_api_tokens",
    _metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("agent_id", Integer, ForeignKey("agents.id"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime),
)
canned_table = Table(
    "agent_canned_responses",
    _metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("shop", String(255), nullable=False),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("updated_by", String(64)),
    Column("updated_at", UTCDateTime, nullable=False),
)
failures_table = Table(
    "agent_login_failures",
    _metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agent_name", String(64), nullable=False),
    Column("ip", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
)

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "sca_"  # makes a leaked API token easy to recognise in logs and secret scanners

# argon2-cffi's defaults (RFC 9106 low-memory profile). One hasher: it holds no state.
_hasher = PasswordHasher()
# Verified against when the name is unknown, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


# pg_advisory_xact_lock key of login reservations ("shopchat login" folded to 63 bits).
_LOGIN_LOCK = int.from_bytes(hashlib.sha256(b"shopchat login").digest()[:8], "big") >> 1


@dataclass(frozen=True)
class LoginLimits:
    """How many wrong passwords the console tolerates in ``window`` (see reserve_login)."""

    per_pair: int = 5
    per_ip: int = 20
    window: timedelta = timedelta(minutes=15)
    max_delay: timedelta = timedelta(seconds=60)


@dataclass(frozen=True)
class LoginTicket:
    """A reserved login attempt (``id``), or a refusal with how long to wait."""

    id: int | None
    retry_after: timedelta | None

    @property
    def refused(self) -> bool:
        return self.retry_after is not None


class AccountError(Exception):
    """Base of the account errors; the message is meant for the person at the keyboard.

    AccountError
    ├── DuplicateAgent     an agent with that name exists
    ├── UnknownAgent       no agent with that name
    ├── WeakPassword       empty, short or the same as the name
    └── InvalidName        a name must be lowercase letters, digits, '.', '_' or '-'
    """


class DuplicateAgent(AccountError):
    pass


class UnknownAgent(AccountError):
    pass


class WeakPassword(AccountError):
    pass


class InvalidName(AccountError):
    pass


@dataclass(frozen=True, slots=True)
class Agent:
    id: int
    name: str
    display_name: str
    active: bool
    admin: bool = False  # may erase and export customers' data (bot/privacy.py)


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    agent: Agent
    csrf_secret: str
    expires_at: datetime
    flash: str | None


@dataclass(frozen=True, slots=True)
class CannedResponse:
    id: int
    title: str
    body: str
    updated_by: str | None
    updated_at: datetime


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _utcnow() -> datetime:
    return datetime.now(UTC)


def check_password(name: str, password: str) -> None:
    """Raise WeakPassword unless ``password`` is long enough and not the name."""
    if not password or not password.strip():
        raise WeakPassword("the password is empty")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(
            f"the password is too short: use at least {MIN_PASSWORD_LENGTH} characters"
        )
    if password.strip().lower() == name.lower():
        raise WeakPassword("the password must not be the agent's name")


class AgentStore:
    """Everything the console keeps about agents, in the project's database."""

    def __init__(self, store: SessionStore, *, clock: Callable[[], datetime] = _utcnow) -> None:
        self.store = store
        self.clock = clock

    # -- accounts ------------------------------------------------------------------------
    def add(
        self, name: str, password: str, display_name: str | None = None, *, admin: bool = False
    ) -> Agent:
        """Create an agent; raises InvalidName, WeakPassword or DuplicateAgent."""
        if not NAME_PATTERN.match(name):
            raise InvalidName(
                f"invalid agent name {name!r}: use 1-64 lowercase letters, digits, '.', '_' or '-'"
            )
        check_password(name, password)
        display = (display_name or name).strip()[:128] or name
        row = {
            "name": name,
            "display_name": display,
            "password_hash": _hasher.hash(password),
            "active": True,
            "created_at": self.clock(),
            # Named only when set: the column's default says no, and a store on a database
            # from before the admin flag can still add agents while it upgrades.
            **({"admin": True} if admin else {}),
        }
        try:
            with self.store.transaction() as conn:
                key = conn.execute(insert(agents_table).values(row)).inserted_primary_key
                assert key is not None
                agent_id = key[0]
        except Exception as exc:
            if _is_integrity(exc):
                raise DuplicateAgent(f"an agent named {name!r} already exists") from None
            raise
        return Agent(int(agent_id), name, display, True, admin)

    def get(self, name: str) -> Agent | None:
        with self.store.connection() as conn:
            row = conn.execute(_agent_select().where(agents_table.c.name == name)).first()
        return None if row is None else Agent(*row)

    def all(self) -> list[Agent]:
        with self.store.connection() as conn:
            rows = conn.execute(_agent_select().order_by(agents_table.c.name)).all()
        return [Agent(*row) for row in rows]

    def display_name(self, name: str) -> str | None:
        """The name an agent signs replies with (for the hand-off desk)."""
        agent = self.get(name)
        return None if agent is None else agent.display_name

    def set_password(self, name: str, password: str) -> None:
        check_password(name, password)
        with self.store.transaction() as conn:
            done = conn.execute(
                update(agents_table)
                .where(agents_table.c.name == name)
                .values(password_hash=_hasher.hash(password))
            ).rowcount
            if done:
                conn.execute(
                    delete(sessions_table).where(sessions_table.c.agent_id == _id_of(name))
                )
        if not done:
            raise UnknownAgent(f"no agent named {name!r}")

    def set_admin(self, name: str, admin: bool) -> None:
        """Grant or revoke the admin role; raises UnknownAgent."""
        with self.store.transaction() as conn:
            done = conn.execute(
                update(agents_table).where(agents_table.c.name == name).values(admin=admin)
            ).rowcount
        if not done:
            raise UnknownAgent(f"no agent named {name!r}")

    def deactivate(self, name: str) -> None:
        """Switch an agent off: their sessions and API tokens end, their history stays."""
        with self.store.transaction() as conn:
            done = conn.execute(
                update(agents_table).where(agents_table.c.name == name).values(active=False)
            ).rowcount
            conn.execute(delete(sessions_table).where(sessions_table.c.agent_id == _id_of(name)))
            conn.execute(
                delete(api_tokens_table).where(api_tokens_table.c.agent_id == _id_of(name))
            )
        if not done:
            raise UnknownAgent(f"no agent named {name!r}")

    def authenticate(self, name: str, password: str) -> Agent | None:
        """The agent if the name and password match an active account, else None."""
        with self.store.connection() as conn:
            row = conn.execute(
                select(agents_table.c.password_hash, *_agent_select().selected_columns).where(
                    agents_table.c.name == name
                )
            ).first()
        stored = row[0] if row is not None else _DUMMY_HASH
        try:
            _hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if row is None:
            return None
        agent = Agent(*row[1:])
        if not agent.active:
            return None
        if _hasher.check_needs_rehash(stored):
            with self.store.transaction() as conn:
                conn.execute(
                    update(agents_table)
                    .where(agents_table.c.id == agent.id)
                    .values(password_hash=_hasher.hash(password))
                )
        return agent

    # -- login rate limit ----------------------------------------------------------------
    def reserve_login(self, name: str, ip: str, limits: LoginLimits) -> LoginTicket:
        """Count this attempt *before* the password is checked, or refuse it.

        The attempt is written as a failure at once, in the transaction that counts the
        earlier ones, so concurrent guesses cannot all slip under the limit; a login that
        then succeeds takes its row back (:meth:`login_succeeded`). Limits, in the window:

        * per account *and* address (``limits.per_pair``): a guesser is stopped without
          locking out the agent, who logs in from elsewhere;
        * per address (``limits.per_ip``): one address guessing many names;
        * per account from every address: no lock-out, but a delay that doubles with each
          failure past ``limits.per_pair`` (capped at ``limits.max_delay``), which slows a
          guesser spread over many addresses to a crawl and costs the agent seconds at most.

        Hand-written rather than `limits`: the counters must be shared by every process
        serving the console, and the shop's one shared store is its database.
        """
        now = self.clock()
        since = now - limits.window
        name, ip = name[:64], ip[:64]
        t = failures_table.c
        with self.store.transaction() as conn:
            if conn.dialect.name == "postgresql":
                # Serialise reservations (logins are rare); SQLite's single writer already
                # does, since the insert below comes first in its transaction.
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOGIN_LOCK})
            row = conn.execute(
                insert(failures_table)
                .values(agent_name=name, ip=ip, at=now)
                .returning(failures_table.c.id)
            ).one()
            mine = int(row[0])
            earlier = (t.at > since) & (t.id != mine)
            by_pair = conn.execute(
                select(func.count()).where(earlier, t.agent_name == name, t.ip == ip)
            ).scalar_one()
            by_ip = conn.execute(select(func.count()).where(earlier, t.ip == ip)).scalar_one()
            by_name, last = conn.execute(
                select(func.count(), func.max(t.at)).where(earlier, t.agent_name == name)
            ).one()
            wait: timedelta | None = None
            if by_pair >= limits.per_pair or by_ip >= limits.per_ip:
                wait = limits.window
            elif by_name >= limits.per_pair and last is not None:
                delay = min(limits.max_delay, timedelta(seconds=2 ** (by_name - limits.per_pair)))
                last_at = last if last.tzinfo else last.replace(tzinfo=UTC)
                if now - last_at < delay:
                    wait = delay - (now - last_at)
            if wait is not None:
                # A refused attempt is not a guess: it must not extend the pause.
                conn.execute(delete(failures_table).where(t.id == mine))
                return LoginTicket(None, wait)
        return LoginTicket(mine, None)

    def login_succeeded(self, ticket: LoginTicket) -> None:
        """The password was right: the reserved attempt does not count as a failure."""
        if ticket.id is None:
            return
        with self.store.transaction() as conn:
            conn.execute(delete(failures_table).where(failures_table.c.id == ticket.id))

    # -- console sessions ----------------------------------------------------------------
    def open_session(self, agent: Agent, ttl: timedelta) -> str:
        """Start a console session; returns the cookie value (shown once, stored hashed)."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self.store.transaction() as conn:
            conn.execute(
                insert(sessions_table).values(
                    token_hash=_sha256(token),
                    agent_id=agent.id,
                    csrf_secret=secrets.token_urlsafe(32),
                    created_at=now,
                    expires_at=now + ttl,
                )
            )
            # Housekeeping while we are here: expired sessions and day-old failed logins
            # (far past any rate-limit window) are useless.
            conn.execute(delete(sessions_table).where(sessions_table.c.expires_at < now))
            conn.execute(
                delete(failures_table).where(failures_table.c.at < now - timedelta(days=1))
            )
        return token

    def session(
        self, token: str, ttl: timedelta, *, take_flash: bool = True
    ) -> ConsoleSession | None | bool:
        """The live session for a cookie, its expiry slid forward by ``ttl``.

        Returns False for a session that existed and has expired (the login page says so),
        None for an unknown cookie. ``take_flash`` hands over the waiting message and clears
        it (pages do; the live refreshes in between must not swallow it).
        """
        now = self.clock()
        s, a = sessions_table.c, agents_table.c
        key = _sha256(token)
        with self.store.transaction() as conn:
            row = conn.execute(
                select(
                    a.id,
                    a.name,
                    a.display_name,
                    a.active,
                    a.admin,
                    s.csrf_secret,
                    s.expires_at,
                    s.flash,
                )
                .join_from(sessions_table, agents_table, s.agent_id == a.id)
                .where(s.token_hash == key)
            ).first()
            if row is None:
                return None
            if row.expires_at <= now or not row.active:
                conn.execute(delete(sessions_table).where(s.token_hash == key))
                return False
            expires = now + ttl
            values: dict[str, object] = {"expires_at": expires}
            if take_flash:
                values["flash"] = None
            conn.execute(update(sessions_table).where(s.token_hash == key).values(values))
        agent = Agent(row.id, row.name, row.display_name, row.active, row.admin)
        return ConsoleSession(agent, row.csrf_secret, expires, row.flash if take_flash else None)

    def flash(self, token: str, message: str) -> None:
        """Keep a message for the session's next page (shown once)."""
        with self.store.transaction() as conn:
            conn.execute(
                update(sessions_table)
                .where(sessions_table.c.token_hash == _sha256(token))
                .values(flash=message[:2000])
            )

    def close_session(self, token: str) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                delete(sessions_table).where(sessions_table.c.token_hash == _sha256(token))
            )

    # -- API tokens ----------------------------------------------------------------------
    def new_token(self, name: str) -> str:
        """A new API token for an agent; only its hash is kept, so it is shown once."""
        agent = self.get(name)
        if agent is None or not agent.active:
            raise UnknownAgent(f"no active agent named {name!r}")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.store.transaction() as conn:
            conn.execute(
                insert(api_tokens_table).values(
                    token_hash=_sha256(token), agent_id=agent.id, created_at=self.clock()
                )
            )
        return token

    def token_agent(self, token: str) -> Agent | None:
        t, a = api_tokens_table.c, agents_table.c
        key = _sha256(token)
        with self.store.transaction() as conn:
            row = conn.execute(
                _agent_select()
                .join_from(agents_table, api_tokens_table, t.agent_id == a.id)
                .where(t.token_hash == key)
            ).first()
            if row is None or not row.active:
                return None
            conn.execute(
                update(api_tokens_table)
                .where(t.token_hash == key)
                .values(last_used_at=self.clock())
            )
        return Agent(*row)

    def revoke_tokens(self, name: str) -> int:
        with self.store.transaction() as conn:
            return int(
                conn.execute(
                    delete(api_tokens_table).where(api_tokens_table.c.agent_id == _id_of(name))
                ).rowcount
            )

    # -- canned responses ----------------------------------------------------------------
    def canned(self, shop: str) -> list[CannedResponse]:
        c = canned_table.c
        with self.store.connection() as conn:
            rows = conn.execute(
                select(c.id, c.title, c.body, c.updated_by, c.updated_at)
                .where(c.shop == shop)
                .order_by(func.lower(c.title))
            ).all()
        return [CannedResponse(*row) for row in rows]

    def canned_one(self, shop: str, canned_id: int) -> CannedResponse | None:
        c = canned_table.c
        with self.store.connection() as conn:
            row = conn.execute(
                select(c.id, c.title, c.body, c.updated_by, c.updated_at).where(
                    c.shop == shop, c.id == canned_id
                )
            ).first()
        return None if row is None else CannedResponse(*row)

    def save_canned(
        self, shop: str, title: str, body: str, agent: str, canned_id: int | None = None
    ) -> int:
        """Create (no id) or update a canned response; returns its id, or raises LookupError
        for an unknown id and ValueError for a title already used."""
        values = {"title": title, "body": body, "updated_by": agent, "updated_at": self.clock()}
        c = canned_table.c
        try:
            with self.store.transaction() as conn:
                if canned_id is None:
                    new = conn.execute(insert(canned_table).values(shop=shop, **values))
                    key = new.inserted_primary_key
                    assert key is not None
                    return int(key[0])
                done = conn.execute(
                    update(canned_table).where(c.shop == shop, c.id == canned_id).values(values)
                ).rowcount
        except Exception as exc:
            if _is_integrity(exc):
                raise ValueError(f"a canned response titled {title!r} already exists") from None
            raise
        if not done:
            raise LookupError(f"no canned response {canned_id}")
        return canned_id

    def delete_canned(self, shop: str, canned_id: int) -> bool:
        c = canned_table.c
        with self.store.transaction() as conn:
            done = conn.execute(delete(canned_table).where(c.shop == shop, c.id == canned_id))
        return bool(done.rowcount)


def _agent_select():  # type: ignore[no-untyped-def]
    a = agents_table.c
    return select(a.id, a.name, a.display_name, a.active, a.admin)


def _id_of(name: str):  # type: ignore[no-untyped-def]
    return select(agents_table.c.id).where(agents_table.c.name == name).scalar_subquery()


def _is_integrity(exc: BaseException) -> bool:
    # The store wraps driver errors in StorageError; the integrity error is its cause.
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, sa_exc.IntegrityError):
            return True
        seen = seen.__cause__
    return False


__all__ = [
    "AccountError",
    "Agent",
    "AgentStore",
    "CannedResponse",
    "ConsoleSession",
    "DuplicateAgent",
    "InvalidName",
    "LoginLimits",
    "LoginTicket",
    "UnknownAgent",
    "WeakPassword",
]

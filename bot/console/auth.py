"""Who is asking: console sessions (cookie + CSRF token) for pages, bearer tokens for the API.

Pages answer a stranger with a redirect to the login page; the API answers 401 JSON. Every
POST from a page must carry the session's synchroniser token, and a browser that says the
request came from another site (Origin, Sec-Fetch-Site) is refused before that.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from ..settings import Settings
from .accounts import Agent, AgentStore, ConsoleSession

COOKIE = "shopchat_agent"
LOGIN_COOKIE = "shopchat_agent_login"  # the login form's own CSRF token (double submit)
CSRF_FIELD = "csrf_token"


class LoginRequired(Exception):
    """A page was asked for without a live session; ``expired`` says the session timed out."""

    def __init__(self, expired: bool = False) -> None:
        self.expired = expired


class ApiUnauthorized(Exception):
    """An API request without a valid bearer token."""

    def __init__(self, detail: str) -> None:
        self.detail = detail


class CrossSiteRefused(Exception):
    """A state-changing request that another site made, or without the form's token."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


@dataclass(frozen=True)
class Viewer:
    """The logged-in agent of a page request, with their session's token and CSRF secret."""

    agent: Agent
    token: str
    csrf: str
    flash: str | None


def agents_of(request: Request) -> AgentStore:
    return request.app.state.agents  # type: ignore[no-any-return]


def settings_of(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def session_ttl(settings: Settings) -> timedelta:
    return timedelta(minutes=max(1, settings.console_session_minutes))


def secure_cookie(request: Request) -> bool:
    configured = settings_of(request).console_secure_cookie
    return request.url.scheme == "https" if configured is None else configured


async def page_viewer(request: Request) -> Viewer:
    """FastAPI dependency for pages: the logged-in agent, else LoginRequired."""
    return await _viewer(request, take_flash=True)


async def live_viewer(request: Request) -> Viewer:
    """Like page_viewer, for the script's refreshes: leaves the next page's message alone."""
    return await _viewer(request, take_flash=False)


async def _viewer(request: Request, *, take_flash: bool) -> Viewer:
    token = request.cookies.get(COOKIE)
    if not token:
        raise LoginRequired()
    found = await asyncio.to_thread(
        partial(agents_of(request).session, take_flash=take_flash),
        token,
        session_ttl(settings_of(request)),
    )
    if found is False:
        raise LoginRequired(expired=True)
    if not isinstance(found, ConsoleSession):
        raise LoginRequired()
    return Viewer(found.agent, token, found.csrf_secret, found.flash)


_AGENT = "shopchat.api_agent"  # the scope key api_gate leaves the agent under


async def api_agent(request: Request) -> Agent:
    """FastAPI dependency for /agent/api: the agent of the bearer token, else 401."""
    known = request.scope.get(_AGENT)
    if isinstance(known, Agent):
        return known
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiUnauthorized("send 'Authorization: Bearer TOKEN' (shopchat agent token NAME)")
    agent = await asyncio.to_thread(agents_of(request).token_agent, token.strip())
    if agent is None:
        raise ApiUnauthorized("the API token is unknown, revoked, or its agent is deactivated")
    return agent


async def api_gate(request: Request) -> Response | None:
    """The bearer token checked before the body is read (bot/bodies.py): a stranger's body is
    never read, let alone parsed. The route's ``api_agent`` then reuses the agent found."""
    try:
        request.scope[_AGENT] = await api_agent(request)
    except ApiUnauthorized as exc:
        return unauthorized(exc)
    return None


def unauthorized(exc: ApiUnauthorized) -> Response:
    return JSONResponse(
        {"error": "unauthorized", "detail": exc.detail},
        401,
        headers={"WWW-Authenticate": "Bearer"},
    )


def refuse_cross_site(request: Request) -> None:
    """Raise CrossSiteRefused when the browser says another site sent this request."""
    site = request.headers.get("sec-fetch-site")
    if site == "cross-site":
        raise CrossSiteRefused("the request came from another site")
    origin = request.headers.get("origin")
    if origin and origin != "null":
        parts = urlsplit(origin)
        if parts.netloc and parts.netloc != request.headers.get("host", request.url.netloc):
            raise CrossSiteRefused(f"the request came from {origin}")
    elif origin == "null":
        raise CrossSiteRefused("the request came from an opaque origin")


def check_csrf(request: Request, viewer_csrf: str, sent: object) -> None:
    refuse_cross_site(request)
    if not isinstance(sent, str) or not secrets.compare_digest(sent, viewer_csrf):
        raise CrossSiteRefused("the form's security token is missing or stale: reload the page")


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


__all__ = [
    "COOKIE",
    "CSRF_FIELD",
    "LOGIN_COOKIE",
    "ApiUnauthorized",
    "CrossSiteRefused",
    "LoginRequired",
    "Viewer",
    "api_agent",
    "api_gate",
    "check_csrf",
    "client_ip",
    "live_viewer",
    "page_viewer",
    "refuse_cross_site",
    "secure_cookie",
    "session_ttl",
    "unauthorized",
]

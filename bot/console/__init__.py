"""The agent console: accounts and login, the pages at /agent, the JSON API at /agent/api.

``mount_console(app)`` adds it to the FastAPI app; the lifespan puts an ``AgentStore`` on
``app.state.agents`` and the hand-off desk on ``app.state.handoff``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from .accounts import (
    AccountError,
    Agent,
    AgentStore,
    CannedResponse,
    DuplicateAgent,
    InvalidName,
    UnknownAgent,
    WeakPassword,
)
from .api import DeskUnavailable, desk_unavailable
from .api import router as api_router
from .auth import ApiUnauthorized, CrossSiteRefused, LoginRequired, api_gate
from .auth import unauthorized as api_unauthorized
from .broadcasts import router as broadcasts_router
from .events import Presence
from .events import router as events_router
from .pages import TEMPLATES
from .pages import router as pages_router

ASSETS = Path(__file__).with_name("static")
_ASSET_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}


def mount_console(app: FastAPI) -> None:
    """Add the console's routes and error pages to ``app``."""
    app.state.console_presence = Presence()
    app.include_router(api_router)
    app.include_router(broadcasts_router)  # admins' broadcasts (customers/broadcast.py)
    app.add_exception_handler(DeskUnavailable, desk_unavailable)
    app.include_router(events_router)
    app.include_router(pages_router)
    app.add_exception_handler(StarletteHTTPException, _http_error)

    @app.get("/static/console/{name}", include_in_schema=False)
    async def console_asset(name: str) -> Response:
        path = ASSETS / name
        if "/" in name or path.suffix not in _ASSET_TYPES or not path.is_file():
            return Response("not found", 404, media_type="text/plain")
        return FileResponse(
            path, media_type=_ASSET_TYPES[path.suffix], headers={"Cache-Control": "no-cache"}
        )

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if (
            request.method != "GET"
            or target.startswith("/agent/partials")
            or target == "/agent/events"
        ):
            target = "/agent"
        query = f"?next={quote(target, safe='')}" + ("&expired=1" if exc.expired else "")
        if request.url.path.startswith(("/agent/partials", "/agent/events")):
            # Scripts cannot follow a redirect into a page usefully: tell them to reload.
            return JSONResponse(
                {"error": "login_required"}, 401, headers={"X-Login": "/agent/login" + query}
            )
        return RedirectResponse("/agent/login" + query, status_code=303)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        # The console API answers every error in its documented shape, malformed JSON included;
        # other routes keep FastAPI's.
        if not request.url.path.startswith("/agent/api"):
            return await request_validation_exception_handler(request, exc)
        problems = []
        for error in exc.errors()[:5]:
            where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
            kind = "not JSON" if error.get("type") == "json_invalid" else error.get("msg", "")
            problems.append(f"{where}: {kind}")
        return JSONResponse(
            {"error": "bad_request", "detail": "; ".join(problems) or "a bad request"}, 422
        )

    @app.exception_handler(ApiUnauthorized)
    async def unauthorized(request: Request, exc: ApiUnauthorized) -> Response:
        return api_unauthorized(exc)

    @app.exception_handler(CrossSiteRefused)
    async def cross_site(request: Request, exc: CrossSiteRefused) -> Response:
        return TEMPLATES.TemplateResponse(
            request,
            "refused.html",
            {
                "reason": exc.reason,
                "viewer": None,
                "flash": None,
                "shop": app.state.project.shop.name,
            },
            status_code=403,
        )


API = "/agent/api/"


async def _http_error(request: Request, exc: Exception) -> Response:
    """FastAPI's own refusals (a body that is not JSON, or nested too deep: 400) under the API."""
    assert isinstance(exc, StarletteHTTPException)
    if not request.url.path.startswith(API):
        return await http_exception_handler(request, exc)
    kind = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}.get(
        exc.status_code, "refused"
    )
    return JSONResponse(
        {"error": kind, "detail": str(exc.detail)}, exc.status_code, headers=exc.headers
    )


__all__ = [
    "AccountError",
    "Agent",
    "AgentStore",
    "CannedResponse",
    "DuplicateAgent",
    "InvalidName",
    "UnknownAgent",
    "WeakPassword",
    "api_gate",
    "mount_console",
]

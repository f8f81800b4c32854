"""The FastAPI application: webhooks in, health checks, the web chat.

``create_app`` is the one composition root: it opens the project, the store and the channels
in the lifespan and keeps them on ``app.state``; nothing is a module-level singleton.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.telemetry import TelemetryConfig

from adapters.base import WebhookRejected
from checkout import Checkout
from customers import CustomerBook, CustomerHook
from customers.funnel import funnel, funnel_metrics
from understanding.model import interpreter_from_shop

from . import orders_api, webchat, webhooks
from .bodies import BodyLimits, BodyRule
from .channels import build_channels, channel_metrics
from .checkout_hook import CheckoutHook
from .comments import CommentHook, CommentRules, CommentsConfigError
from .console import AgentStore, api_gate, mount_console
from .contacts import Contacts, PayloadTokens
from .conversation_tokens import ConversationTokens
from .conversations import Conversations
from .handoff import (
    ContextProvider,
    DeskEvents,
    HandoffConfig,
    HandoffConfigError,
    HandoffDesk,
    HandoffHook,
    Notifier,
    NotifyTargets,
    prometheus,
)
from .inbox import Journal
from .instance import Instance
from .interpreter import Interpreter
from .logsafe import install_log_redaction
from .privacy import privacy_registry
from .project import FeedRefused, open_project
from .proxies import TrustedProxies
from .retention import Pruner, Retention, RetentionConfigError
from .service import ChatService, TurnHook
from .settings import Settings
from .storage import SessionStore
from .webhooks import WebhookFastPath

log = logging.getLogger("shopchat.app")

RETRY_INTERVAL = 30.0


class ProjectUnusable(Exception):
    """The bot project has errors; the message lists them."""


def create_app(
    project_dir: Path | str,
    settings: Settings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    typing_delay: float = 1.0,
    handoff_context: ContextProvider | None = None,
    agent_names: Callable[[str], str | None] | None = None,
    interpreter: Interpreter | None = None,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    """The app. ``handoff_context`` adds orders/cart to the agents' view of a shopper;
    ``agent_names`` turns an agent id into the name that signs their replies;
    ``interpreter`` reads typed messages before the engine (bot/interpreter.py); ``clock``
    (aware UTC) is the chat service's and the console accounts' time, for tests."""
    settings = settings or Settings()
    install_log_redaction()  # also when run by uvicorn or gunicorn directly (bot/logsafe.py)
    opened = open_project(project_dir, settings)
    if opened.project is None:
        errors = [d.format(Path.cwd()) for d in opened.diagnostics if d.severity == "error"]
        raise ProjectUnusable("the bot project has errors:\n" + "\n".join(errors))
    project = opened.project
    for problem in opened.diagnostics:
        # The configured feed's refusal and rejected rows: serving goes on with the catalog
        # as it was, and says so where the operator looks.
        if problem.severity == "warning" or isinstance(problem, FeedRefused):
            log.warning("%s", problem.format(Path.cwd()))
    try:
        handoff_config = HandoffConfig.parse(
            project.shop.handoff,
            default_timezone=project.shop.timezone,
            source=project.root / "shop.yaml",
        )
        comment_rules = CommentRules.parse(
            project.shop.comments, project, project.root / "shop.yaml"
        )
        retention = Retention.parse(project.shop.retention, source=project.root / "shop.yaml")
    except (HandoffConfigError, CommentsConfigError, RetentionConfigError) as exc:
        raise ProjectUnusable(f"the bot project has errors:\n{exc}") from None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = SessionStore(
            settings.database_url_for(project.root),
            statement_timeout=settings.database_statement_timeout,
            lock_timeout=settings.database_lock_timeout,
        )
        await asyncio.to_thread(store.migrate)
        tokens = PayloadTokens(store)
        conversation_tokens = ConversationTokens(store)
        channels = build_channels(
            settings, tokens, transport=transport, conversation_tokens=conversation_tokens
        )
        checkout = opened.checkout
        if checkout is not None:
            await asyncio.to_thread(_use_store, checkout, store)
        # shop.yaml's optional language model (understanding.model), unless one is given.
        model = None
        if interpreter is None:
            model = interpreter_from_shop(project, transport=transport)
        notify_client = httpx.AsyncClient(transport=transport, timeout=settings.http_timeout)
        notifier = Notifier(
            NotifyTargets(
                settings.slack_webhook_url,
                settings.handoff_webhook_url,
                settings.handoff_webhook_secret,
            ),
            notify_client,
            shop_name=project.shop.name,
            console_url=settings.console_url,
        )
        hook = HandoffHook(project, handoff_config, notifier, DeskEvents())
        conversations = Conversations(project, opened.actions, store)
        contacts = Contacts(store)
        comments = CommentHook(comment_rules, conversations, hook, contacts)
        region = checkout.book.region if checkout is not None else None
        customer_hook = CustomerHook(
            CustomerBook(region=region), link_secret=settings.customer_link_secret
        )  # customers/, docs/customers.md
        first: list[TurnHook] = [conversation_tokens, comments, customer_hook]
        # Named by host and slot (the same after a restart), or SHOPCHAT_INSTANCE_NAME.
        instance = Instance.claim(project.root / "data" / "instances", settings.instance_name)
        service = ChatService(
            conversations,
            Journal(store, instance.name),
            contacts,
            channels.links,
            tokens=tokens,
            typing_delay=typing_delay,
            max_concurrency=settings.max_concurrency,
            hooks=[*first, *([CheckoutHook(checkout)] if checkout is not None else []), hook],
            interpreter=interpreter or model,
            reorder_window=settings.reorder_window,
            database_threads=settings.database_threads,
            turn_lease=timedelta(seconds=settings.turn_lease),
            **({"clock": clock} if clock is not None else {}),
        )
        desk = HandoffDesk(
            service,
            hook,
            notifier,
            engine=conversations.engine,
            actions=opened.actions,
            context=handoff_context or checkout,
            display_name=agent_names or (lambda agent: _display_name(app, agent)),
        )
        app.state.store, app.state.service, app.state.channels = store, service, channels
        app.state.checkout = checkout
        # The console's accounts (bot/console); their sessions and login limits keep ``clock``.
        app.state.agents = AgentStore(store, **({"clock": clock} if clock is not None else {}))
        app.state.handoff = desk
        app.state.comments = comments
        # Erasing a shopper (bot/privacy.py): every package's data, and what these remember.
        app.state.privacy = privacy_registry(
            region=checkout.book.region if checkout is not None else None
        )
        app.state.privacy_caches = (contacts, conversation_tokens, hook, customer_hook)
        app.state.customers = customer_hook.book
        await desk.start()
        await service.recover()
        retry = asyncio.create_task(_retry_forever(service))
        sweeper = asyncio.create_task(desk.run_sweeper())
        # shop.yaml's retention (bot/retention.py), hourly, in a thread of its own.
        pruner = asyncio.create_task(Pruner(store, retention).sweep_forever())
        try:
            yield
        finally:
            for task in (retry, sweeper, pruner):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await desk.close()
            await service.close()
            await channels.aclose()
            await notify_client.aclose()
            if model is not None:
                await model.aclose()
            if checkout is not None and checkout.stripe is not None:
                checkout.stripe.close()
            store.close()
            instance.close()

    app = FastAPI(title=f"shopchat: {project.shop.name}", lifespan=lifespan, telemetry=_telemetry())
    app.state.settings = settings
    app.state.project = project
    app.add_middleware(WebhookFastPath)  # innermost: inside the body caps and proxies
    app.add_middleware(BodyLimits, rules=_body_rules(settings))
    app.add_middleware(TrustedProxies, settings=settings)
    app.state.checkout = None
    app.state.webhook_counts = {}  # (channel, HTTP status) -> requests, for /metrics
    orders_api.install(app)
    webhooks.install(app)
    mount_console(app)
    webchat.install(app, opened.catalog)  # /, /chat, /chat/ws, /site (bot/webchat.py)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        # Ready means a webhook's write would go through now: the database takes a write
        # lock within SHOPCHAT_READY_TIMEOUT, not merely answers SELECT 1.
        wait = request.app.state.settings.ready_timeout
        try:
            ok = await asyncio.wait_for(
                asyncio.to_thread(request.app.state.store.can_write, wait), wait + 1.0
            )
        except TimeoutError:
            ok = False
        return JSONResponse(
            {"status": "ready" if ok else "storage unavailable"}, 200 if ok else 503
        )

    async def handshake(request: Request, name: str) -> Response:
        service: ChatService = request.app.state.service
        link = service.links.get(name)
        if link is None or link.handshake is None:
            return JSONResponse({"detail": f"the {name} channel is not configured"}, 404)
        try:
            return PlainTextResponse(link.handshake(request.query_params))
        except WebhookRejected as exc:
            return JSONResponse({"detail": exc.reason}, exc.status)

    @app.get("/webhooks/whatsapp")
    async def whatsapp_handshake(request: Request) -> Response:
        return await handshake(request, "whatsapp")

    @app.get("/webhooks/messenger")
    async def messenger_handshake(request: Request) -> Response:
        return await handshake(request, "messenger")

    @app.get("/webhooks/instagram")
    async def instagram_handshake(request: Request) -> Response:
        return await handshake(request, "instagram")

    @app.get("/metrics")
    async def metrics(request: Request) -> PlainTextResponse:
        """Prometheus text format: the hand-off desk's figures and a few runtime gauges."""
        service: ChatService = request.app.state.service
        desk: HandoffDesk = request.app.state.handoff
        runtime = {
            "db_batches": float(service.db.batches),
            "db_jobs": float(service.db.jobs),
            # A reply's sent-mark, from its HTTP call returning to the commit (the part of the
            # duplicate window after a crash that is shopchat's own).
            "sent_mark_p50_seconds": service.db.urgent_wait(0.5),
            "sent_mark_p99_seconds": service.db.urgent_wait(0.99),
            "handoff_subscribers": float(desk.events.subscribers),
        }
        channels = channel_metrics(
            list(service.links),
            request.app.state.webhook_counts,
            request.app.state.comments.counters,
        )
        sales = await asyncio.to_thread(_funnel_metrics, request.app.state.store)
        return PlainTextResponse(
            prometheus(await desk.metrics(), runtime) + channels + sales,
            media_type="text/plain; version=0.0.4; charset=utf-8",
        )

    return app


def warm_up(app: FastAPI) -> None:
    """Load now what a shopper's first message would otherwise load: the understanding's
    dictionaries, language models and number words for the shop's locales (a few seconds
    for five locales; 30 ms for the first name or age a shopper types in English alone).
    Serving processes call it before they serve; tests that build many apps do not."""
    understander = app.state.project.understander
    if understander is not None:
        understander.warm()


def _telemetry() -> TelemetryConfig | None:
    """FastAPI's own OpenTelemetry instrumentation: as FastAPI sets it (None) when OpenTelemetry
    is set up as the app is built (``opentelemetry-instrument``, providers set by the code that
    builds the app, or named by ``OTEL_PYTHON_*_PROVIDER``), else off. Left on, FastAPI asks
    the global providers on every request whether anyone listens: three environment look-ups
    per webhook POST, for nothing."""
    if any(k.startswith("OTEL_PYTHON_") and k.endswith("_PROVIDER") for k in os.environ):
        return None
    try:
        from opentelemetry import _logs, metrics, trace
    except ImportError:  # pragma: no cover - FastAPI's telemetry needs it; nothing to turn off
        return None
    providers = (
        trace.get_tracer_provider(),
        metrics.get_meter_provider(),
        _logs.get_logger_provider(),
    )
    # Unset, each is its API's proxy (ProxyTracerProvider...) waiting for a real one.
    if any("Proxy" not in type(p).__name__ for p in providers):
        return None
    return {"tracing": False, "metrics": False, "logs": False}


def _funnel_metrics(store: SessionStore) -> str:
    """The last 7 days' sales funnel per channel (customers/funnel.py)."""
    with store.connection() as conn:
        found = funnel(conn, datetime.now(UTC) - timedelta(days=7), by="channel")
    return funnel_metrics(found)


def _body_rules(settings: Settings) -> list[BodyRule]:
    """Each route's body cap and credentials, checked before its body is read (bot/bodies.py);
    anything else (console forms, the web chat page) gets bodies.DEFAULT_LIMIT."""
    return [
        BodyRule("/webhooks/", lambda: settings.max_body_bytes),
        BodyRule("/webhooks/stripe", orders_api.MAX_STRIPE_BODY),
        BodyRule("/api/", gate=orders_api.merchant_gate),
        BodyRule("/agent/api/", gate=api_gate),
    ]


def _use_store(checkout: Checkout, store: SessionStore) -> None:
    """Checkout writes to the app's database from now on; demo orders are imported once."""
    checkout.db.use(store.engine)
    with store.transaction() as conn:
        checkout.book.seed(conn, checkout.seeds, checkout.clock())


async def _retry_forever(service: ChatService) -> None:
    """Replies that could not be sent (platform down, browser away) are tried again."""
    while True:
        await asyncio.sleep(RETRY_INTERVAL)
        try:
            await service.flush()
        except Exception as exc:  # keep retrying: a bad minute must not end the loop
            log.warning("retrying unsent replies failed: %s", exc)


def _display_name(app: FastAPI, agent: str) -> str | None:
    """The agent's display name from the console's accounts (``app.state.agents``), if any."""
    accounts = getattr(app.state, "agents", None)
    lookup = getattr(accounts, "display_name", None)
    return lookup(agent) if callable(lookup) else None


__all__ = ["ProjectUnusable", "create_app", "warm_up"]

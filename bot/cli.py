"""The ``shopchat`` command line: chat, check, test, demo, schema, actions."""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import os
import sys
import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from flows import (
    Diagnostic,
    ImageReply,
    ProductCards,
    Project,
    Reply,
    SessionState,
    StartInput,
    TextInput,
    TextReply,
    flow_json_schema,
)
from flows.system_texts import RTL_LOCALES
from flows.testing import collect, describe, run_all
from understanding.model import interpreter_from_shop

from . import broadcast_cli, catalog_cli, customer_cli, customers_cli, report_cli
from .agent_cli import agent_app, demo_agent
from .conversations import Conversations
from .logsafe import install_log_redaction
from .project import OpenedProject, open_project
from .settings import Settings
from .storage import SessionStore, StorageError

app = typer.Typer(
    name="shopchat",
    help="Conversational commerce: YAML shopping flows for Messenger, WhatsApp, Telegram, web.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(agent_app, name="agent")
app.add_typer(catalog_cli.app, name="catalog")
app.add_typer(customer_cli.app, name="customer")
app.add_typer(report_cli.app, name="report")
app.add_typer(broadcast_cli.app, name="broadcast")
app.add_typer(customers_cli.app, name="customers")
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

ProjectArg = Annotated[Path, typer.Argument(help="The bot project folder (with shop.yaml).")]


def _print_diagnostics(opened: OpenedProject, diags: list[Diagnostic]) -> None:
    for d in diags:
        err.print(d.format(Path.cwd()), markup=False)


def _open(project_dir: Path) -> OpenedProject:
    opened = open_project(project_dir, Settings())
    if opened.project is None:
        _print_diagnostics(opened, opened.diagnostics)
        errors = sum(1 for d in opened.diagnostics if d.severity == "error")
        err.print(f"{errors} error(s): fix them and try again (shopchat check {project_dir}).")
        raise typer.Exit(1)
    return opened


@app.command()
def check(project_dir: ProjectArg) -> None:
    """Load and lint a bot project; print problems as path:line:col: message."""
    opened = open_project(project_dir, Settings())
    _print_diagnostics(opened, opened.diagnostics)
    cases, test_diags = collect(opened.root) if opened.root.is_dir() else ([], [])
    _print_diagnostics(opened, test_diags)
    errors = sum(1 for d in [*opened.diagnostics, *test_diags] if d.severity == "error")
    if opened.project is not None:
        from .comments import CommentRules, CommentsConfigError

        try:
            CommentRules.parse(
                opened.project.shop.comments, opened.project, opened.root / "shop.yaml"
            )
        except CommentsConfigError as exc:
            err.print(str(exc), markup=False, highlight=False)
            errors += 1
        from .retention import Retention, RetentionConfigError

        try:
            Retention.parse(opened.project.shop.retention, source=opened.root / "shop.yaml")
        except RetentionConfigError as exc:
            err.print(str(exc), markup=False, highlight=False)
            errors += 1

        from customers.templates import load_templates

        _templates, problems = load_templates(opened.root, opened.project.locales)
        _print_diagnostics(opened, problems)
        errors += sum(1 for d in problems if d.severity == "error")
    if errors or opened.project is None:
        err.print(f"{errors} error(s).")
        raise typer.Exit(1)
    p = opened.project
    steps = sum(len(f.steps) for f in p.flows.values())
    out.print(
        f"OK: {len(p.flows)} flows, {steps} steps, {len(p.locales)} locales "
        f"({', '.join(p.locales)}), {len(opened.actions.names())} actions, "
        f"{len(cases)} conversation tests."
    )


@app.command("test")
def test_cmd(
    project_dir: ProjectArg,
    keyword: Annotated[
        str | None, typer.Option("-k", help="Run only tests whose name contains this.")
    ] = None,
    verbose: Annotated[
        bool, typer.Option("-v", "--verbose", help="Print every test's name.")
    ] = False,
) -> None:
    """Run the project's YAML conversation tests (tests/*.yaml)."""
    opened = _open(project_dir)
    assert opened.project is not None
    cases, diags = collect(opened.root)
    if diags:
        _print_diagnostics(opened, diags)
        raise typer.Exit(1)
    if keyword:
        cases = [c for c in cases if keyword.lower() in c.name.lower()]
    if not cases:
        err.print(f"no conversation tests found in {opened.root / 'tests'}")
        raise typer.Exit(1)

    def report(case, failure) -> None:  # type: ignore[no-untyped-def]
        if verbose:
            mark = "[red]FAIL[/]" if failure else "[green]ok[/]"
            out.print(f"{mark} {case.id}")

    failures = run_all(opened.project, opened.actions, cases, report)
    for failure in failures:
        out.print(failure.format(), markup=False)
        out.print()
    passed = len(cases) - len(failures)
    out.print(f"{passed} passed, {len(failures)} failed")
    if failures:
        raise typer.Exit(1)


def _render_rich(replies: list[Reply], locale: str) -> None:
    # Bot texts are shop data, not rich markup: escape them so "[sale]" prints as it is.
    justify = "right" if locale.split("-")[0] in RTL_LOCALES else "left"
    for reply in replies:
        if isinstance(reply, TextReply):
            lines = [escape(reply.text)]
            lines += [
                f"[bold cyan]{i}.[/] {escape(c.label)}" for i, c in enumerate(reply.choices, 1)
            ]
            out.print(Panel("\n".join(lines), border_style="green", expand=False), justify=justify)  # type: ignore[arg-type]
        elif isinstance(reply, ProductCards):
            table = Table(show_header=False, border_style="magenta")
            for i, card in enumerate(reply.cards, 1):
                table.add_row(
                    f"[bold cyan]{i}.[/]",
                    f"[bold]{escape(card.title)}[/]\n{escape(card.subtitle)}",
                    escape(card.price),
                )
            out.print(table, justify=justify)  # type: ignore[arg-type]
        elif isinstance(reply, ImageReply):
            out.print(f"[dim]🖼  {escape(reply.url)}[/] {escape(reply.caption)}")


def _conversations(opened: OpenedProject) -> Conversations:
    assert opened.project is not None
    url = Settings().database_url_for(opened.root)
    try:
        store = SessionStore(url)
        store.migrate()
        if opened.checkout is not None:  # carts and orders live beside the sessions
            opened.checkout.db.use(store.engine)
            with store.transaction() as conn:
                opened.checkout.book.seed(conn, opened.checkout.seeds, opened.checkout.clock())
    except StorageError as exc:
        err.print(f"cannot open the session database: {exc}")
        raise typer.Exit(1) from None
    return Conversations(opened.project, opened.actions, store)


class _Reader:
    """Typed lines as TextInputs, read by the shop's language model first when shop.yaml
    names one (``understanding: {provider: openai, ...}``); otherwise the engine reads them.
    The model runs here, before the turn, like the server's interpreter."""

    def __init__(self, project: Project, locale: str | None) -> None:
        self.interpreter = interpreter_from_shop(project)
        self.runner = asyncio.Runner() if self.interpreter is not None else None
        self.locale = project.pick_locale(locale)
        self.pinned = False

    def event(self, text: str) -> TextInput:
        if self.interpreter is None or self.runner is None:
            return TextInput(text=text)
        detect = self.interpreter.detect_language and not self.pinned
        meaning = self.runner.run(self.interpreter.read(text, self.locale, detect=detect))
        return TextInput(text=text, meaning=meaning.to_dict() if meaning else None)

    def follow(self, state: SessionState) -> None:
        self.locale, self.pinned = state.locale, state.locale_pinned

    def close(self) -> None:
        if self.interpreter is not None and self.runner is not None:
            self.runner.run(self.interpreter.aclose())
            self.runner.close()


@app.command()
def chat(
    project_dir: ProjectArg,
    locale: Annotated[
        str | None,
        typer.Option(help="The shopper's language, as a channel would report it (e.g. pl)."),
    ] = None,
    name: Annotated[str | None, typer.Option(help="The shopper's first name.")] = None,
    session: Annotated[
        str | None, typer.Option(help="Continue this conversation id instead of a new one.")
    ] = None,
) -> None:
    """Talk to the bot in the terminal. With piped stdin: one message per line, plain output."""
    opened = _open(project_dir)
    convos = _conversations(opened)
    cid = session or f"terminal:{uuid.uuid4().hex[:12]}"
    user = {"id": cid, "first_name": name, "name": name}
    interactive = sys.stdin.isatty()
    assert opened.project is not None
    reader = _Reader(opened.project, locale)
    try:
        if interactive:
            _chat_interactive(opened.project, convos, reader, cid, locale, user)
            return
        first = True
        for line in sys.stdin:
            text = line.rstrip("\n")
            if not text.strip():
                continue
            result = convos.handle(
                cid, reader.event(text), locale=locale, user=user, channel="terminal"
            )
            reader.follow(result.state)
            if not first:
                print()
            first = False
            print(describe(result.replies), flush=True)
    finally:
        reader.close()


def _chat_interactive(
    project: Project,
    convos: Conversations,
    reader: _Reader,
    cid: str,
    locale: str | None,
    user: dict[str, str | None],
) -> None:
    out.print(f"[bold]{project.shop.name}[/] — type your message; Ctrl-D or /quit to leave.\n")
    result = convos.handle(cid, StartInput(), locale=locale, user=user, channel="terminal")
    reader.follow(result.state)
    _render_rich(result.replies, result.state.locale)
    while True:
        try:
            text = out.input("[bold yellow]you>[/] ")
        except (EOFError, KeyboardInterrupt):
            out.print()
            return
        if text.strip() in ("/quit", "/exit"):
            return
        if not text.strip():
            continue
        result = convos.handle(
            cid, reader.event(text), locale=locale, user=user, channel="terminal"
        )
        reader.follow(result.state)
        _render_rich(result.replies, result.state.locale)


def _example_shop() -> Path:
    here = Path(__file__).resolve().parent.parent / "examples" / "shop"
    if (here / "shop.yaml").exists():
        return here
    local = Path.cwd() / "examples" / "shop"
    if (local / "shop.yaml").exists():
        return local
    err.print(
        "the example shop was not found: run shopchat demo from a checkout of shopchat "
        "(pip install -e .), or use shopchat chat PROJECT"
    )
    raise typer.Exit(1)


@app.command()
def serve(
    project_dir: ProjectArg,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Processes sharing the port (PostgreSQL only).")] = 1,
) -> None:
    """Serve a bot project: channel webhooks, health checks and the web chat at /chat."""
    import uvicorn

    from flows import start_action_threads

    from .app import ProjectUnusable, create_app, warm_up
    from .heap import settle_heap
    from .workers import PROJECT_ENV, workers_problem

    problem = workers_problem(Settings().database_url_for(project_dir.resolve()), workers)
    if problem:
        err.print(problem, markup=False)
        raise typer.Exit(2)
    try:
        web = create_app(project_dir, Settings())
    except ProjectUnusable as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(1) from None
    except StorageError as exc:
        err.print(f"cannot open the session database: {exc}", markup=False)
        raise typer.Exit(1) from None
    problem = _port_taken(host, port)
    if problem:
        err.print(
            f"cannot serve on {host}:{port}: {problem}; pick another with --port",
            markup=False,
        )
        raise typer.Exit(1)
    settings = Settings()
    channels = ["web chat"]
    channels += [
        n
        for n, on in (
            ("telegram", settings.telegram_enabled),
            ("whatsapp", settings.whatsapp_enabled),
            ("messenger", settings.messenger_enabled),
        )
        if on
    ]
    err.print(
        f"serving on http://{host}:{port} — channels: {', '.join(channels)}; "
        f"web chat: http://{host}:{port}/chat; agent console: http://{host}:{port}/agent"
    )
    # proxy_headers off: uvicorn would trust X-Forwarded-For from 127.0.0.1; the app honours
    # it from SHOPCHAT_TRUSTED_PROXIES only (bot/proxies.py).
    level = settings.log_level.lower()
    # Access lines are INFO: above that uvicorn would format each request's for nothing.
    access_log = level in ("info", "debug", "trace")
    if workers == 1:
        warm_up(web)  # not on the first shoppers' messages
        settle_heap()  # bot/heap.py
        start_action_threads()  # a burst of slow actions must not wait for new threads
        uvicorn.run(
            web,
            host=host,
            port=port,
            log_level=level,
            access_log=access_log,
            proxy_headers=False,
        )
        return
    # Migrate once here, not in N workers at once; each worker then builds its own app.
    store = SessionStore(settings.database_url_for(project_dir.resolve()))
    try:
        store.migrate()
    finally:
        store.close()
    os.environ[PROJECT_ENV] = str(project_dir.resolve())
    uvicorn.run(
        "bot.workers:app_from_environment",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level=level,
        access_log=access_log,
        proxy_headers=False,
    )


@app.command()
def prune(project_dir: ProjectArg) -> None:
    """Apply shop.yaml's retention now: clear old inbox bodies, remove old inbox and outbox
    rows and transcript lines (the server also does it every hour)."""
    from .retention import Pruner, Retention, RetentionConfigError

    opened = _open(project_dir)
    assert opened.project is not None
    settings = Settings()
    try:
        retention = Retention.parse(opened.project.shop.retention, source=opened.root / "shop.yaml")
        store = SessionStore(settings.database_url_for(opened.root))
        store.migrate()
    except RetentionConfigError as exc:
        err.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(1) from None
    except StorageError as exc:
        err.print(f"cannot open the session database: {exc}", markup=False)
        raise typer.Exit(1) from None
    try:
        done = Pruner(store, retention).prune()
    except StorageError as exc:
        err.print(f"pruning failed: {exc}", markup=False)
        raise typer.Exit(1) from None
    finally:
        store.close()
    out.print(f"Pruned: {done}.")


@app.command()
def demo(
    terminal: Annotated[
        bool, typer.Option("--terminal", help="Chat in this terminal instead of the browser.")
    ] = False,
    locale: Annotated[
        str | None, typer.Option(help="Start in this language (en, pl, es, ru, fa); terminal only.")
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(help="Your first name, as a channel would report it; terminal only."),
    ] = None,
    port: Annotated[int, typer.Option(help="Port for the web chat.")] = 8000,
) -> None:
    """Run the example toy-and-gift shop: the web chat at http://127.0.0.1:8000/chat.

    It serves whatever stdin is (in the background, under nohup, in a container); only
    ``--terminal`` chats in the terminal instead."""
    shop = _example_shop()
    if terminal:
        chat(shop, locale=locale, name=name, session=None)
        return
    problem = _port_taken("127.0.0.1", port)
    if problem:
        err.print(
            f"cannot serve the demo on 127.0.0.1:{port}: {problem}. Stop what uses it, or "
            f"pick another port: shopchat demo --port {port + 1}",
            markup=False,
        )
        raise typer.Exit(1)
    demo_agent(shop, f"http://127.0.0.1:{port}/agent")
    serve(shop, host="127.0.0.1", port=port)


def _port_taken(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on (in use, not allowed), or None when it can."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As uvicorn binds: SO_REUSEADDR, so a port in TIME_WAIT is not reported as busy.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            return "the port is already in use" if exc.errno == errno.EADDRINUSE else str(exc)
    return None


@app.command()
def webhook(
    action: Annotated[str, typer.Argument(help="'set' (register) or 'delete'.")],
    channel: Annotated[str, typer.Argument(help="The channel: telegram.")],
    url: Annotated[
        str | None, typer.Argument(help="The public https URL of /webhooks/telegram.")
    ] = None,
) -> None:
    """Register the Telegram webhook (with the secret token) or remove it."""
    import asyncio

    import httpx

    settings = Settings()
    if channel != "telegram":
        err.print(
            "only Telegram webhooks are registered through the API; WhatsApp and Messenger "
            "webhooks are set in the Meta app dashboard (callback URL + SHOPCHAT_META_VERIFY_TOKEN)"
        )
        raise typer.Exit(2)
    if not settings.telegram_enabled:
        err.print("set SHOPCHAT_TELEGRAM_TOKEN and SHOPCHAT_TELEGRAM_SECRET_TOKEN first")
        raise typer.Exit(2)
    if action not in ("set", "delete") or (action == "set" and not url):
        err.print(
            "usage: shopchat webhook set telegram https://your.host/webhooks/telegram\n"
            "       shopchat webhook delete telegram"
        )
        raise typer.Exit(2)
    from adapters.base import OutboundCall
    from adapters.telegram import TelegramSender

    async def run() -> None:
        async with httpx.AsyncClient(timeout=settings.http_timeout) as client:
            assert settings.telegram_token is not None
            sender = TelegramSender(
                client, settings.telegram_token, api_base=settings.telegram_api_base, max_attempts=3
            )
            if action == "set":
                assert url is not None and settings.telegram_secret_token is not None
                payload = {
                    "url": url,
                    "secret_token": settings.telegram_secret_token,
                    "allowed_updates": [
                        "message",
                        "callback_query",
                        "pre_checkout_query",
                        "my_chat_member",
                    ],
                }
                result = await sender.send(OutboundCall("setWebhook", payload))
            else:
                result = await sender.send(OutboundCall("deleteWebhook", {}))
            if not result.ok:
                err.print(f"Telegram refused: {result.error}")
                raise typer.Exit(1)
            out.print(
                f"Telegram webhook set to {url}."
                if action == "set"
                else "Telegram webhook deleted."
            )

    asyncio.run(run())


@app.command()
def schema(
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Print the JSON Schema of flow files, for editor completion."""
    text = json.dumps(flow_json_schema(), indent=2, ensure_ascii=False)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
        err.print(f"wrote {output}")
    else:
        print(text)


@app.command()
def actions(project_dir: ProjectArg) -> None:
    """List the actions a project's flows can call, with their parameters."""
    opened = open_project(project_dir, Settings())
    table = Table("action", "parameters", "description")
    for spec in opened.actions:
        params = ", ".join(
            f"{p.name}: {p.annotation}" + ("" if p.required else " (optional)")
            for p in spec.params.values()
        )
        table.add_row(spec.name, params, spec.description)
    out.print(table)


def main() -> None:
    # Every command (serve, demo, chat...) logs without shoppers' personal data.
    install_log_redaction()
    logging.basicConfig(
        level=Settings().log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    app()


__all__ = ["app", "main"]

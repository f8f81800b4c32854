"""``shopchat customers``: look a customer up, merge or split customers, remind abandoned carts.

The database is ``SHOPCHAT_DATABASE_URL`` or the project's own (``--project``, default ".").
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy import Connection

from customers import CustomerBook, CustomersError
from customers.reminders import DEFAULT_AFTER, plan_reminders, send_reminders
from customers.templates import load_templates
from flows import parse_duration

from .cli_store import open_store
from .settings import Settings
from .storage import SessionStore

app = typer.Typer(
    name="customers",
    help="Customers across channels: show, merge, split; abandoned-cart reminders.",
    no_args_is_help=True,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
ProjectOpt = Annotated[Path, typer.Option("--project", "-p", help="The bot project.")]
ActorOpt = Annotated[str, typer.Option(help="Who does it (kept in the audit line).")]


def _store(project: Path) -> SessionStore:
    return open_store(project)


def _book(project: Path) -> CustomerBook:
    from .customer_cli import shop_region

    return CustomerBook(region=shop_region(project))


@app.command("show")
def show(
    ref: Annotated[str, typer.Argument(help="Her number, a conversation id, an email or phone.")],
    project: ProjectOpt = Path("."),
) -> None:
    """A customer's conversations on every channel, her facts, identities and audit lines."""
    store, book = _store(project), _book(project)
    try:
        with store.connection() as conn:
            c = book.customer(conn, book.find(conn, ref))
    except CustomersError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(2) from None
    finally:
        store.close()
    data: dict[str, Any] = {
        "customer": c.id,
        "conversations": [
            {"id": i, "channel": ch, "linked": how} for i, ch, how in c.conversations
        ],
        "facts": c.facts,
        "identities": c.identities,
        "audit": [
            {"id": a.id, "at": a.at.isoformat(), "by": a.actor, "action": a.action, **a.detail}
            for a in c.audit
        ],
    }
    out.print(json.dumps(data, indent=2, ensure_ascii=False, default=str), markup=False)


def _change(project: Path, job: Any) -> Any:
    store = _store(project)
    try:
        with store.transaction() as conn:
            return job(conn)
    except CustomersError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(2) from None
    finally:
        store.close()


@app.command("merge")
def merge(
    keep: Annotated[str, typer.Argument(help="The customer who stays (a reference).")],
    gone: Annotated[str, typer.Argument(help="The customer who joins her (a reference).")],
    actor: ActorOpt = "cli",
    project: ProjectOpt = Path("."),
) -> None:
    """Two customers are one person: the second joins the first (undo with undo-merge)."""
    book = _book(project)

    def job(conn: Connection) -> int:
        return book.merge(conn, book.find(conn, keep), book.find(conn, gone), actor=actor)

    line = _change(project, job)
    out.print(f"merged; undo with: shopchat customers undo-merge {line}")


@app.command("undo-merge")
def undo_merge(
    audit_id: Annotated[int, typer.Argument(help="The merge's audit line (shown by merge).")],
    actor: ActorOpt = "cli",
    project: ProjectOpt = Path("."),
) -> None:
    """Give back what a merge brought in, as a customer of its own."""
    book = _book(project)
    new = _change(project, lambda conn: book.undo_merge(conn, audit_id, actor=actor))
    out.print(f"undone: customer {new} again")


@app.command("split")
def split(
    conversation: Annotated[str, typer.Argument(help="The conversation that is someone else.")],
    actor: ActorOpt = "cli",
    project: ProjectOpt = Path("."),
) -> None:
    """One conversation is someone else: it becomes a customer of its own."""
    book = _book(project)
    new = _change(project, lambda conn: book.split(conn, conversation, actor=actor))
    out.print(f"{conversation} is customer {new} now")


@app.command("remind-carts")
def remind_carts(
    after: Annotated[str, typer.Option(help="A cart left alone this long is abandoned.")] = "2h",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print, send nothing.")] = False,
    project: ProjectOpt = Path("."),
) -> None:
    """One reminder per abandoned cart (run it from cron every few minutes)."""
    from .channels import build_channels
    from .contacts import PayloadTokens
    from .project import open_project

    try:
        left = parse_duration(after) if after else DEFAULT_AFTER
    except ValueError:
        err.print(f"--after {after!r} is not a duration: write 2h or 90m", markup=False)
        raise typer.Exit(2) from None
    settings = Settings()
    opened = open_project(project, settings)
    if opened.project is None or opened.checkout is None:
        err.print("the bot project has errors or no checkout: run shopchat check", markup=False)
        raise typer.Exit(1)
    templates, _problems = load_templates(opened.project.root, opened.project.locales)
    store = _store(project)
    checkout = opened.checkout
    checkout.db.use(store.engine)
    now = datetime.now(UTC)

    def titles(conn: Connection, cid: str, locale: str, at: datetime) -> list[str]:
        cart = checkout.book.cart(conn, cid, locale=locale, now=at)
        return [f"{line.quantity} × {line.offer.title}" for line in cart.lines if line.offer]

    with store.connection() as conn:
        reminders = plan_reminders(conn, now, templates, titles, after=left)
    counts: dict[str, int] = {}
    for r in reminders:
        counts[r.planned.outcome] = counts.get(r.planned.outcome, 0) + 1
    out.print(
        f"{len(reminders)} abandoned carts: "
        + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none")
    )
    if dry_run or not reminders:
        store.close()
        return

    async def run() -> Any:
        channels = build_channels(settings, PayloadTokens(store))
        try:
            return await send_reminders(store.engine, reminders, channels.links, now)
        finally:
            await channels.aclose()

    done = asyncio.run(run())
    store.close()
    out.print(", ".join(f"{k} {v}" for k, v in sorted(done.items())))


@app.command("link-code")
def link_code_command(
    ref: Annotated[str, typer.Argument(help="Her number, a conversation id, an email or phone.")],
    days: Annotated[int, typer.Option(min=1, max=365, help="How long the code works.")] = 30,
    project: ProjectOpt = Path("."),
) -> None:
    """A signed code for a link in an email: a chat opened with it joins this customer.

    Telegram: https://t.me/YOUR_BOT?start=CODE. Needs SHOPCHAT_CUSTOMER_LINK_SECRET.
    """
    from datetime import timedelta

    from customers.links import link_code

    secret = Settings().customer_link_secret
    if not secret:
        err.print("set SHOPCHAT_CUSTOMER_LINK_SECRET first (the app must have the same)")
        raise typer.Exit(2)
    store, book = _store(project), _book(project)
    try:
        with store.connection() as conn:
            customer = book.find(conn, ref)
    except CustomersError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(2) from None
    finally:
        store.close()
    out.print(link_code(secret, customer, datetime.now(UTC) + timedelta(days=days)), markup=False)

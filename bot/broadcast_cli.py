"""``shopchat broadcast send``: one message to many customers, within each platform's rules.

The plan (counts by outcome) is printed before anything is sent; ``--dry-run`` stops there.
Running the same broadcast again (same message, purpose and segment, or the same ``--name``)
continues it and sends nothing twice. See customers/broadcast.py and docs/customers.md.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from customers.broadcast import (
    Message,
    Segment,
    default_name,
    load_message,
    make_plan,
    open_broadcast,
    outcomes,
    send_plan,
)
from customers.errors import BroadcastError
from customers.planner import OUTCOMES
from customers.templates import load_templates

from .settings import Settings
from .storage import SessionStore, StorageError

app = typer.Typer(
    name="broadcast", help="Send one message to many customers.", no_args_is_help=True
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


@app.command("send")
def send(
    purpose: Annotated[
        str, typer.Option(help="service (an outage: everyone allowed) or marketing (opted in).")
    ],
    message: Annotated[
        Path | None, typer.Option(help="A text file, or YAML with one text per locale.")
    ] = None,
    template: Annotated[
        str | None, typer.Option(help="A WhatsApp template from templates.yaml instead.")
    ] = None,
    segment: Annotated[
        str | None,
        typer.Option(help="Who: 'channel=whatsapp; locale=pl; interest=lego; ordered_within=30d'."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan, send nothing.")
    ] = False,
    rate: Annotated[
        float | None, typer.Option(help="At most this many messages a second overall.")
    ] = None,
    name: Annotated[str | None, typer.Option(help="The broadcast's name (to continue it).")] = None,
    project: Annotated[Path, typer.Option("--project", "-p", help="The bot project.")] = Path("."),
) -> None:
    """Plan, print the plan, then send (unless --dry-run)."""
    from .project import open_project

    if not (project / "shop.yaml").exists():
        err.print(f"{project.resolve()} is not a bot project (no shop.yaml)", markup=False)
        raise typer.Exit(2)
    if purpose not in ("service", "marketing"):
        err.print(f"--purpose {purpose!r}: use service or marketing", markup=False)
        raise typer.Exit(2)
    if (message is None) == (template is None):
        err.print("give either --message FILE or --template NAME", markup=False)
        raise typer.Exit(2)
    if rate is not None and rate <= 0:
        err.print("--rate must be more than 0 messages a second", markup=False)
        raise typer.Exit(2)
    settings = Settings()
    opened = open_project(project, settings)
    if opened.project is None:
        err.print("the bot project has errors: run shopchat check", markup=False)
        raise typer.Exit(1)
    shop = opened.project
    templates, problems = load_templates(shop.root, shop.locales)
    for problem in problems:
        err.print(problem.format(Path.cwd()), markup=False)
    if any(p.severity == "error" for p in problems):
        raise typer.Exit(1)
    try:
        msg = load_message(message, shop.default_locale) if message else Message(template=template)
        seg = Segment.parse(segment)
        store = SessionStore(settings.database_url_for(shop.root))
        store.migrate()
        now = datetime.now(UTC)
        label = name or default_name(purpose, msg, segment)
        with store.transaction() as conn:
            broadcast = open_broadcast(conn, label, purpose, msg, actor="cli", now=now)  # type: ignore[arg-type]
            plan = make_plan(conn, broadcast, purpose, msg, seg, templates, now)  # type: ignore[arg-type]
    except BroadcastError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(2) from None
    except StorageError as exc:
        err.print(f"cannot open the database: {exc}", markup=False)
        raise typer.Exit(1) from None
    counts = plan.counts()
    out.print(f"broadcast {label} ({purpose}), {len(plan.planned)} recipients:")
    for outcome in (*OUTCOMES, "already sent"):
        if counts.get(outcome):
            out.print(f"  {outcome:<14} {counts[outcome]}")
    todo = plan.to_send()
    out.print(f"  to send now    {len(todo)}")
    if dry_run or not todo:
        store.close()
        return
    sent = asyncio.run(_send(store, settings, plan, msg, rate))
    with store.connection() as conn:
        totals = outcomes(conn, broadcast)
    store.close()
    out.print(f"sent {sent.sent}, failed {sent.failed}")
    for error, n in sent.errors.most_common(5):
        out.print(f"  {n} x {error}")
    out.print("so far: " + ", ".join(f"{k} {v}" for k, v in sorted(totals.items())))
    if sent.failed:
        raise typer.Exit(1)


async def _send(store, settings, plan, msg, rate):  # type: ignore[no-untyped-def]
    from .channels import build_channels
    from .contacts import PayloadTokens

    channels = build_channels(settings, PayloadTokens(store))
    try:
        return await send_plan(
            store.engine, plan, msg, channels.links, now=lambda: datetime.now(UTC), rate=rate
        )
    finally:
        await channels.aclose()

"""``shopchat report funnel``: how many chats became carts, orders and paid orders.

The database is ``SHOPCHAT_DATABASE_URL`` or the project's own (``--project``, default ".").
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from customers.funnel import STAGES, Funnel, funnel
from flows import parse_duration
from flows.money import format_money

from .cli_store import open_store
from .storage import StorageError

app = typer.Typer(name="report", help="Reports on what the bot sells.", no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


@app.command("funnel")
def funnel_command(
    since: Annotated[str, typer.Option(help="The period: 7d, 24h, 30m (chats since then).")] = "7d",
    by: Annotated[str | None, typer.Option(help="Group by channel or locale.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    project: Annotated[
        Path, typer.Option("--project", "-p", help="The bot project whose database to read.")
    ] = Path("."),
) -> None:
    """The funnel chat -> cart -> order -> paid, with conversion rates and paid revenue."""
    if by not in (None, "channel", "locale"):
        err.print(f"--by {by!r}: choose channel or locale", markup=False)
        raise typer.Exit(2)
    try:
        period = parse_duration(since)
    except ValueError:
        err.print(f"--since {since!r} is not a duration: write 7d, 24h or 30m", markup=False)
        raise typer.Exit(2) from None
    store = open_store(project)
    try:
        with store.connection() as conn:
            found = funnel(conn, datetime.now(UTC) - period, by=by)  # type: ignore[arg-type]
        store.close()
    except StorageError as exc:
        err.print(f"cannot open the database: {exc}", markup=False)
        raise typer.Exit(1) from None
    if as_json:
        out.print(json.dumps({g: f.as_json() for g, f in found.items()}, indent=2), markup=False)
        return
    _table(found, by or "", since)


def _table(found: dict[str, Funnel], by: str, since: str) -> None:
    table = Table(title=f"Funnel, chats in the last {since}")
    if by:
        table.add_column(by)
    for stage in STAGES:
        table.add_column(stage, justify="right")
    table.add_column("revenue", justify="right")
    if not found:
        out.print(f"No chats in the last {since}.")
        return
    for group, f in found.items():
        cells = [group] if by else []
        for stage in STAGES:
            rate = f.rate(stage)
            shown = str(f.counts[stage])
            if stage != "chats" and rate is not None:
                shown += f" ({rate:.0%})"
            cells.append(shown)
        cells.append(
            ", ".join(format_money(v, cur, "en") for cur, v in sorted(f.revenue.items())) or "-"
        )
        table.add_row(*cells)
    out.print(table)

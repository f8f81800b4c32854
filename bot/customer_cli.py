"""``shopchat customer``: erase a shopper's data (right to erasure) or export it (right of access).

The database is ``SHOPCHAT_DATABASE_URL`` or the project's own (``--project``, default ".");
the project's shop.yaml also gives the country for phone numbers typed without one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from .cli_store import open_store
from .privacy import PrivacyRegistry, Shopper, UnknownReference, held, privacy_registry
from .settings import Settings
from .storage import SessionStore, StorageError

app = typer.Typer(
    name="customer",
    help="A shopper's data: erase it (right to erasure) or export it as JSON (right of access).",
    no_args_is_help=True,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

RefArg = Annotated[
    list[str],
    typer.Argument(
        help="A conversation id (whatsapp:48600123456, telegram:123), an email or a phone "
        "number (with its country code, or in the shop's country); several for one person "
        "(her email and her phone).",
        show_default=False,
    ),
]
ProjectOpt = Annotated[
    Path,
    typer.Option(
        "--project",
        "-p",
        help="The bot project whose database to use (ignored when SHOPCHAT_DATABASE_URL is set).",
    ),
]


def shop_region(project: Path) -> str | None:
    """The shop's country (checkout.yaml's phone_region, else shop.yaml's time zone)."""
    from .project import open_project

    if not (project / "shop.yaml").exists():
        return None
    opened = open_project(project, Settings())
    return opened.checkout.book.region if opened.checkout is not None else None


def _open(project: Path) -> tuple[SessionStore, PrivacyRegistry]:
    return open_store(project), privacy_registry(region=shop_region(project))


def _resolve(
    store: SessionStore, registry: PrivacyRegistry, refs: list[str]
) -> tuple[Shopper, Any]:
    try:
        with store.connection() as conn:
            shopper = registry.resolve(conn, *refs)
            return shopper, registry.export(conn, shopper)
    except UnknownReference as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(2) from None
    except StorageError as exc:
        err.print(f"cannot read the database: {exc}", markup=False)
        raise typer.Exit(1) from None


def _summary(export: dict[str, Any]) -> str:
    """What was found, for the operator to check it is the right person before erasing."""
    rows = [
        (f"{package}.{table}", row)
        for package, tables in export["data"].items()
        for table, found in tables.items()
        for row in found
    ]
    conversations = sorted(
        {str(row["conversation_id"]) for _t, row in rows if row.get("conversation_id")}
    )
    lines = [f"conversations: {', '.join(conversations) or 'none'}"]
    for _table, row in rows:
        if _table == "checkout.orders":
            contact = ", ".join(str(row[k]) for k in ("name", "email", "phone") if row.get(k))
            lines.append(f"order {row['number']}: {contact}")
    counts: dict[str, int] = {}
    for table, _row in rows:
        counts[table] = counts.get(table, 0) + 1
    lines.append("rows: " + ", ".join(f"{table} {n}" for table, n in counts.items()))
    return "\n".join(lines)


@app.command("erase")
def erase(
    refs: RefArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Erase without asking.")] = False,
    project: ProjectOpt = Path("."),
) -> None:
    """Erase everything about a shopper; her orders stay, anonymised, for the accounts.

    The erase runs in one transaction; a shopper writing at that moment starts afresh.
    """
    store, registry = _open(project)
    shopper, export = _resolve(store, registry, refs)
    if not held(export):
        out.print("nothing is held about that shopper; nothing to erase", markup=False)
        return
    err.print(_summary(export), markup=False)
    if not yes:
        try:
            sure = typer.confirm("Erase all of it? Orders are kept, anonymised.", default=False)
        except typer.Abort:  # no answer (stdin closed)
            sure = False
        if not sure:
            err.print("not erased (answer y, or pass --yes)", markup=False)
            raise typer.Exit(1)
    try:
        with store.transaction() as conn:
            counts = registry.erase(conn, shopper)
    except StorageError as exc:
        err.print(f"nothing was erased: {exc}", markup=False)
        raise typer.Exit(1) from None
    changed = {table: n for table, n in counts.items() if n}
    out.print(
        "erased: " + ", ".join(f"{table} {n}" for table, n in sorted(changed.items())),
        markup=False,
    )


@app.command("export")
def export_cmd(
    refs: RefArg,
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the JSON here instead of stdout.")
    ] = None,
    project: ProjectOpt = Path("."),
) -> None:
    """Write everything held about a shopper as JSON (the right of access)."""
    store, registry = _open(project)
    _shopper, export = _resolve(store, registry, refs)
    text = json.dumps(export, ensure_ascii=False, indent=2, default=str) + "\n"
    if out_file is None:
        sys.stdout.write(text)
    else:
        out_file.write_text(text, encoding="utf-8")
        err.print(f"wrote {held(export)} row(s) to {out_file}", markup=False)

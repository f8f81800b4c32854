"""The project's database for a CLI command: found, opened and migrated, or a clear exit."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from .settings import Settings
from .storage import SessionStore, StorageError

err = Console(stderr=True, highlight=False, soft_wrap=True)


def open_store(project: Path) -> SessionStore:
    """The store of ``project``'s database (or SHOPCHAT_DATABASE_URL's), migrated.

    Exits 2 when ``project`` is no bot project and no database URL is set, 1 when the
    database cannot be opened.
    """
    settings = Settings()
    if not settings.database_url and not (project / "shop.yaml").exists():
        err.print(
            f"{project.resolve()} is not a bot project (no shop.yaml): run this in the project "
            "folder, pass --project PATH, or set SHOPCHAT_DATABASE_URL",
            markup=False,
        )
        raise typer.Exit(2)
    try:
        store = SessionStore(settings.database_url_for(project))
        store.migrate()
    except StorageError as exc:
        err.print(f"cannot open the database: {exc}", markup=False)
        raise typer.Exit(1) from None
    return store


__all__ = ["open_store"]

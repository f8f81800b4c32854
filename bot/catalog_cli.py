"""``shopchat catalog``: import a product feed, search the catalog.

    shopchat catalog import feed.xml [--format google-xml] [--currency PLN] [--json]
    shopchat catalog import https://shop.example/feed.xml      # conditional GET
    shopchat catalog search "lego" --max-price 20000 --in-stock

The database is ``SHOPCHAT_DATABASE_URL`` or the project's own (``--project``, default ".").
Exit codes: 0 done (or nothing to do), 1 the feed could not be imported, 2 a usage error.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from catalog import AgeGroup, Catalog, CatalogError, ImportReport, format_price

from .settings import Settings
from .storage import SessionStore, StorageError

app = typer.Typer(
    help="Import product feeds and search the catalog.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

ProjectOpt = Annotated[
    Path, typer.Option("--project", help="The bot project whose database to use.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout.")]


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"error: {message}", markup=False)
    return typer.Exit(code)


def _catalog(project: Path) -> Catalog:
    url = Settings().database_url_for(project.resolve())
    try:
        store = SessionStore(url)
        store.migrate()
    except StorageError as exc:
        raise _fail(f"cannot open the catalog database: {exc}") from None
    return Catalog(store.engine)


def _feeds_error() -> type[BaseException]:
    """``catalog.feeds.FeedError`` when the feed parsers are installed."""
    try:
        from catalog import feeds  # type: ignore[attr-defined]
    except ImportError:
        return CatalogError
    error: type[BaseException] = getattr(feeds, "FeedError", CatalogError)
    return error


def _run_import(catalog: Catalog, feed: str, fmt: str | None, currency: str | None, progress):  # type: ignore[no-untyped-def]
    if feed.startswith(("http://", "https://")):
        import httpx

        async def fetch() -> ImportReport:
            dest = Path(tempfile.mkdtemp(prefix="shopchat-feed-")) / "feed"
            async with httpx.AsyncClient(follow_redirects=True, timeout=60) as client:
                return await catalog.import_url(
                    feed, dest, client=client, format=fmt, currency=currency, progress=progress
                )

        return asyncio.run(fetch())
    path = Path(feed)
    if not path.is_file():
        raise _fail(f"{feed}: no such feed file", 2)
    return catalog.import_path(path, format=fmt, currency=currency, progress=progress)


@app.command("import")
def import_feed(
    feed: Annotated[str, typer.Argument(help="A feed file or an http(s) URL.")],
    format: Annotated[
        str | None,
        typer.Option(
            "--format", help="google_xml, google_tsv, meta_csv, meta_tsv, shopify_csv, jsonl."
        ),
    ] = None,
    currency: Annotated[
        str | None, typer.Option("--currency", help="Currency of prices written without one.")
    ] = None,
    as_json: JsonOpt = False,
    force: Annotated[
        bool, typer.Option("--force", help="Import even if the feed has not changed.")
    ] = False,
    project: ProjectOpt = Path("."),
) -> None:
    """Import a feed as the new catalog: all or nothing, bad rows reported and skipped."""
    catalog = _catalog(project)
    feed_error = _feeds_error()
    started = time.perf_counter()
    show_progress = not as_json and sys.stderr.isatty()
    progress_bar: Any = None
    task: Any = None
    if show_progress:
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        progress_bar = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.fields[rows]:,} rows · {task.fields[rate]:,.0f} rows/s"),
            TextColumn("· {task.fields[rejected]:,} rejected"),
            TimeElapsedColumn(),
            console=err,
        )
        task = progress_bar.add_task("importing", rows=0, rate=0.0, rejected=0)
        progress_bar.start()

    def progress(rows: int, rejected: int) -> None:
        if progress_bar is not None:
            rate = rows / max(time.perf_counter() - started, 1e-6)
            progress_bar.update(task, rows=rows, rate=rate, rejected=rejected)

    try:
        if force and not feed.startswith(("http://", "https://")):
            path = Path(feed)
            if not path.is_file():
                raise _fail(f"{feed}: no such feed file", 2)
            report = catalog.import_path(
                path, format=format, currency=currency, force=True, progress=progress
            )
        else:
            report = _run_import(catalog, feed, format, currency, progress)
    except typer.Exit:
        raise
    except ImportError as exc:
        raise _fail(
            f"{feed}: this format needs the feed parsers (catalog.feeds), not installed: {exc}", 2
        ) from None
    except FileNotFoundError as exc:
        raise _fail(f"{feed}: {exc.strerror or exc}", 2) from None
    except (feed_error, CatalogError, StorageError, OSError) as exc:
        raise _fail(f"{exc}; the catalog was not changed") from None
    except ValueError as exc:  # an unknown --format, from the feed parsers
        raise _fail(str(exc), 2) from None
    finally:
        if progress_bar is not None:
            progress_bar.stop()
    if as_json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    if report.unchanged:
        out.print(f"{feed} has not changed since the last import; the catalog is as it was.")
        return
    out.print(
        f"Imported {report.products:,} products ({report.variants:,} variants) from "
        f"{escape(report.format or 'the feed')} in {report.seconds:.1f} s; "
        f"{len(report.rejected):,} rows rejected, {len(report.warnings):,} warnings."
    )
    for problem in report.rejected[:20]:
        where = f"line {problem.line}" + (f" ({problem.id})" if problem.id else "")
        err.print(f"  rejected {where}: {problem.reason}", markup=False)
    if len(report.rejected) > 20:
        err.print(f"  … and {len(report.rejected) - 20} more (see --json)")


@app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="Words to look for (may be empty).")] = "",
    min_price: Annotated[int | None, typer.Option(help="In minor units (grosz, cents).")] = None,
    max_price: Annotated[int | None, typer.Option(help="In minor units (grosz, cents).")] = None,
    age_group: Annotated[
        str | None, typer.Option(help="newborn, infant, toddler, kids, teen, adult, all_ages.")
    ] = None,
    in_stock: Annotated[bool, typer.Option("--in-stock", help="Only buyable variants.")] = False,
    limit: Annotated[int, typer.Option(help="How many hits to show.")] = 10,
    locale: Annotated[str, typer.Option(help="Language of titles and prices.")] = "en",
    as_json: JsonOpt = False,
    project: ProjectOpt = Path("."),
) -> None:
    """Search the catalog as a shopper would; prints ids, titles, prices and availability."""
    if age_group is not None and age_group not in {g.value for g in AgeGroup}:
        raise _fail(
            f"unknown age group {age_group!r}; use one of {', '.join(g.value for g in AgeGroup)}",
            2,
        )
    catalog = _catalog(project)
    started = time.perf_counter()
    result = catalog.search(
        query,
        min_price=min_price,
        max_price=max_price,
        age_group=age_group,
        in_stock=in_stock,
        limit=limit,
    )
    took = (time.perf_counter() - started) * 1000
    now = catalog.now()
    rows: list[dict[str, Any]] = []
    for hit in result.hits:
        product = hit.product
        prices = [v.price_at(now) for v in hit.variants] or [0]
        rows.append(
            {
                "id": product.id,
                "title": product.title_for(locale),
                "price": min(prices),
                "currency": product.currency,
                "availability": sorted({v.availability.value for v in hit.variants}),
                "variants": [v.id for v in hit.variants],
            }
        )
    if as_json:
        print(json.dumps({"total": result.total, "hits": rows}, ensure_ascii=False))
        return
    table = Table("id", "title", "price", "availability", "variants")
    for row in rows:
        table.add_row(
            escape(row["id"]),
            escape(row["title"]),
            format_price(row["price"], row["currency"], locale),
            ", ".join(row["availability"]),
            str(len(row["variants"])),
        )
    out.print(table)
    out.print(f"{result.total:,} products match ({took:.1f} ms).")


__all__ = ["app"]

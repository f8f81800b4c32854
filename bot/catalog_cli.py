"""``shopchat catalog``: import a product feed, search the catalog.

    shopchat catalog import feed.xml [--format google_xml] [--max-rejected 20%] [--allow-empty]
                                     [--replace-configured] [--json]
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
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from catalog import (
    AgeGroup,
    Catalog,
    CatalogError,
    ImportRefused,
    ImportReport,
    ImportRules,
    format_money,
    parse_share,
)
from catalog.actions import rating_text

from .project import ShopCatalog, shop_catalog
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


def _is_url(feed: str) -> bool:
    return feed.startswith(("http://", "https://"))


def _rules(
    setup: ShopCatalog | None,
    currency: str | None,
    max_rejected: str | None,
    allow_empty: bool,
) -> ImportRules:
    """The project's rules (its currency, locale, time zone, limits), with the options'."""
    rules = setup.rules if setup is not None else ImportRules()
    if currency is not None:
        code = currency.strip().upper()
        if setup is not None and rules.currency and code != rules.currency:
            raise _fail(
                f"--currency {code}: this shop sells in {rules.currency} (shop.yaml currency); "
                "a catalog in another currency would be shown and charged in the wrong one",
                2,
            )
        rules = replace(rules, currency=code)
    if max_rejected is not None:
        try:
            rules = replace(rules, max_rejected=parse_share(max_rejected))
        except ValueError as exc:
            raise _fail(f"--max-rejected: {exc}", 2) from None
    if allow_empty:
        rules = replace(rules, allow_empty=True)
    return rules


def _run_import(
    catalog: Catalog, feed: str, fmt: str | None, rules: ImportRules, force: bool, progress
):  # type: ignore[no-untyped-def]
    if _is_url(feed):
        import httpx

        async def fetch() -> ImportReport:
            dest = Path(tempfile.mkdtemp(prefix="shopchat-feed-")) / "feed"
            async with httpx.AsyncClient(follow_redirects=True, timeout=60) as client:
                return await catalog.import_url(
                    feed, dest, client=client, format=fmt, rules=rules, progress=progress
                )

        return asyncio.run(fetch())
    path = Path(feed)
    if not path.is_file():
        raise _fail(f"{feed}: no such feed file", 2)
    return catalog.import_path(path, format=fmt, rules=rules, force=force, progress=progress)


def _print_rejected(report: ImportReport) -> None:
    for problem in report.rejected[:20]:
        where = f"line {problem.line}" + (f" ({problem.id})" if problem.id else "")
        err.print(f"  rejected {where}: {problem.reason}", markup=False)
    if report.rejected_count > 20:
        err.print(f"  … and {report.rejected_count - 20:,} more (see --json)")


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
        str | None,
        typer.Option(
            "--currency",
            help="Currency of prices written without one (default: the shop's, from shop.yaml).",
        ),
    ] = None,
    max_rejected: Annotated[
        str | None,
        typer.Option(
            "--max-rejected",
            help="Change nothing if more than this share of rows is rejected (default 20%).",
        ),
    ] = None,
    allow_empty: Annotated[
        bool,
        typer.Option("--allow-empty", help="Import even a feed that leaves nothing to sell."),
    ] = False,
    replace_configured: Annotated[
        bool,
        typer.Option(
            "--replace-configured",
            help="Replace the catalog of shop.yaml's feed until that file changes.",
        ),
    ] = False,
    as_json: JsonOpt = False,
    force: Annotated[
        bool, typer.Option("--force", help="Import even if the feed has not changed.")
    ] = False,
    project: ProjectOpt = Path("."),
) -> None:
    """Import a feed as the new catalog: all or nothing, bad rows reported and skipped.

    Nothing changes (exit 1) when the feed is broken, when more than --max-rejected of its
    rows are rejected, or when it leaves no product to sell (unless --allow-empty).
    """
    root = project.resolve()
    setup = shop_catalog(root) if (root / "shop.yaml").is_file() else None
    rules = _rules(setup, currency, max_rejected, allow_empty)
    configured = (root / setup.feed).resolve() if setup is not None and setup.feed else None
    by_hand = configured is not None and (_is_url(feed) or Path(feed).resolve() != configured)
    if by_hand and not replace_configured:
        raise _fail(
            f"this shop imports {setup.feed} (shop.yaml catalog.feed) at start; importing "  # type: ignore[union-attr]
            f"{feed} by hand would replace that catalog until {setup.feed} changes. Pass "  # type: ignore[union-attr]
            "--replace-configured to do so, or point shop.yaml's catalog.feed at this feed",
            2,
        )
    catalog = _catalog(project)
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
        report = _run_import(catalog, feed, format, rules, force, progress)
    except typer.Exit:
        raise
    except ImportRefused as exc:
        if progress_bar is not None:
            progress_bar.stop()
            progress_bar = None
        if as_json:
            print(json.dumps({**exc.report.as_dict(), "refused": exc.reasons}, ensure_ascii=False))
        else:
            err.print(f"error: {feed}: not imported: {exc}", markup=False)
            _print_rejected(exc.report)
            err.print("The catalog was not changed.")
        raise typer.Exit(1) from None
    except ImportError as exc:
        raise _fail(
            f"{feed}: this format needs the feed parsers (catalog.feeds), not installed: {exc}", 2
        ) from None
    except FileNotFoundError as exc:
        raise _fail(f"{feed}: {exc.strerror or exc}", 2) from None
    except (CatalogError, StorageError, OSError) as exc:
        raise _fail(f"{exc}; the catalog was not changed") from None
    except ValueError as exc:  # an unknown --format, from the feed parsers
        raise _fail(str(exc), 2) from None
    finally:
        if progress_bar is not None:
            progress_bar.stop()
    if by_hand and configured is not None and configured.is_file() and not report.unchanged:
        catalog.set_aside(configured, rules)
    if as_json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    if report.unchanged:
        out.print(f"{feed} has not changed since the last import; the catalog is as it was.")
        return
    out.print(
        f"Imported {report.products:,} products ({report.variants:,} variants, "
        f"{report.sellable:,} products for sale) from {escape(report.format or 'the feed')} in "
        f"{report.seconds:.1f} s; {report.rejected_count:,} of {report.rows:,} rows rejected, "
        f"{len(report.warnings):,} warnings."
    )
    _print_rejected(report)
    if by_hand:
        out.print(
            f"shop.yaml's feed {setup.feed} is imported again only when it changes; until then "  # type: ignore[union-attr]
            "shoppers see this import."
        )


@app.command("export")
def export(
    dest: Annotated[Path, typer.Argument(help="The file to write.")],
    format: Annotated[
        str, typer.Option("--format", help="meta_csv: a Meta (Commerce Manager) catalog feed.")
    ] = "meta_csv",
    locale: Annotated[str, typer.Option(help="Language of titles and descriptions.")] = "",
    project: ProjectOpt = Path("."),
) -> None:
    """Write the catalog as a feed another platform reads, with shopchat's ids.

    Loaded into Commerce Manager, the WhatsApp catalog's orders name shopchat's product and
    variant ids, so shopchat re-prices them without any mapping.
    """
    if format != "meta_csv":
        raise _fail(f"--format {format!r}: only meta_csv can be exported", 2)
    from catalog.export import export_meta_csv

    catalog = _catalog(project)
    with dest.open("w", encoding="utf-8", newline="") as handle:
        rows = export_meta_csv(catalog.engine, handle, locale=locale)
    out.print(f"Wrote {rows:,} rows to {escape(str(dest))} (Meta catalog CSV).")


reviews_app = typer.Typer(
    help="Import shoppers' reviews (Google Product Ratings XML or CSV).", no_args_is_help=True
)
app.add_typer(reviews_app, name="reviews")


@reviews_app.command("import")
def import_reviews(
    file: Annotated[Path, typer.Argument(help="Google Product Ratings XML, or a CSV.")],
    max_rejected: Annotated[
        str | None,
        typer.Option(
            "--max-rejected",
            help="Change nothing if more than this share of reviews is rejected (default 20%).",
        ),
    ] = None,
    as_json: JsonOpt = False,
    project: ProjectOpt = Path("."),
) -> None:
    """Replace the reviews this file brought before: all or nothing, bad rows reported.

    Reviews name products by a product or variant id (SKU), a GTIN or the product's URL.
    """
    root = project.resolve()
    setup = shop_catalog(root) if (root / "shop.yaml").is_file() else None
    rules = _rules(setup, None, max_rejected, False)
    if not file.is_file():
        raise _fail(f"{file}: no such reviews file", 2)
    catalog = _catalog(project)
    try:
        report = catalog.import_reviews(file, rules=rules)
    except ImportRefused as exc:
        if as_json:
            print(json.dumps({**_reviews_dict(exc.report), "refused": exc.reasons}))
        else:
            err.print(f"error: {file}: not imported: {exc}", markup=False)
            _print_rejected(exc.report)
            err.print("The reviews were not changed.")
        raise typer.Exit(1) from None
    except (CatalogError, StorageError, OSError) as exc:
        raise _fail(f"{exc}; the reviews were not changed") from None
    if as_json:
        print(json.dumps(_reviews_dict(report), ensure_ascii=False))
        return
    out.print(
        f"Imported {report.variants:,} reviews of {report.products:,} products from "
        f"{report.format}; {report.rejected_count:,} of {report.rows:,} rows rejected."
    )
    _print_rejected(report)


def _reviews_dict(report: ImportReport) -> dict[str, Any]:
    return {
        "format": report.format,
        "rows": report.rows,
        "reviews": report.variants,
        "products": report.products,
        "rejected": [p.as_dict() for p in report.rejected],
    }


@app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="Words to look for (may be empty).")] = "",
    min_price: Annotated[int | None, typer.Option(help="In minor units (grosz, cents).")] = None,
    max_price: Annotated[int | None, typer.Option(help="In minor units (grosz, cents).")] = None,
    age_group: Annotated[
        str | None, typer.Option(help="newborn, infant, toddler, kids, teen, adult, all_ages.")
    ] = None,
    in_stock: Annotated[bool, typer.Option("--in-stock", help="Only buyable variants.")] = False,
    min_rating: Annotated[
        float | None, typer.Option("--min-rating", help="Only products rated this or better.")
    ] = None,
    sort: Annotated[str, typer.Option(help="relevance or rating.")] = "relevance",
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
    if sort not in ("relevance", "rating"):
        raise _fail(f"--sort: use relevance or rating, not {sort!r}", 2)
    catalog = _catalog(project)
    started = time.perf_counter()
    result = catalog.search(
        query,
        min_price=min_price,
        max_price=max_price,
        age_group=age_group,
        in_stock=in_stock,
        min_rating=min_rating,
        sort=sort,
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
                "rating": product.rating,
                "reviews": product.reviews,
            }
        )
    if as_json:
        print(json.dumps({"total": result.total, "hits": rows}, ensure_ascii=False))
        return
    table = Table("id", "title", "price", "rating", "availability", "variants")
    for row in rows:
        table.add_row(
            escape(row["id"]),
            escape(row["title"]),
            format_money(row["price"], row["currency"], locale),
            rating_text(row["rating"], row["reviews"], locale),
            ", ".join(row["availability"]),
            str(len(row["variants"])),
        )
    out.print(table)
    out.print(f"{result.total:,} products match ({took:.1f} ms).")


__all__ = ["app"]

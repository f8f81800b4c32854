"""Opening a bot project: its actions, its compiled flows and its session store, wired once."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalog import (
    Catalog,
    CatalogError,
    ImportRefused,
    ImportReport,
    ImportRules,
    Problem,
    parse_share,
    register_catalog_actions,
)
from catalog.importer import DEFAULT_MAX_REJECTED
from catalog.lexicon import CatalogLexicon
from checkout import (
    Checkout,
    CheckoutConfig,
    CheckoutError,
    Database,
    OrderBook,
    SampleOrders,
    StripeCheckout,
    register_checkout_actions,
)
from checkout.identity import region_for_timezone
from flows import ActionRegistry, Diagnostic, Project, load_project
from flows.yamlpos import YamlDoc, YamlSyntaxError, load_yaml

from .settings import Settings
from .storage import SessionStore, StorageError


@dataclass(frozen=True)
class FeedRefused(Diagnostic):
    """``shop.yaml``'s feed or reviews file could not be imported: an error for ``check``, but
    the catalog as it was still serves, so ``serve`` and ``chat`` start and report it."""


@dataclass
class OpenedProject:
    root: Path
    project: Project | None
    actions: ActionRegistry
    diagnostics: list[Diagnostic]
    checkout: Checkout | None = None
    catalog: Catalog | None = None


def build_actions(root: Path, settings: Settings) -> tuple[ActionRegistry, list[Diagnostic]]:
    """The built-in actions over the project's data, plus the project's own ``actions.py``."""
    registry, diags, _checkout, _catalog = build_services(root, settings)
    return registry, diags


def build_services(
    root: Path, settings: Settings
) -> tuple[ActionRegistry, list[Diagnostic], Checkout | None, Catalog]:
    """The actions, the diagnostics, and the checkout and catalog the actions use."""
    registry = ActionRegistry()
    diags: list[Diagnostic] = []
    setup = shop_catalog(root, settings)
    catalog, problems = _open_catalog(root, settings, setup)
    diags.extend(problems)
    register_catalog_actions(registry, catalog)
    checkout = _checkout(root, settings, setup.shop, catalog, diags)
    if checkout is not None:
        register_checkout_actions(registry, checkout)
    diags.extend(_project_actions(root, registry))
    return registry, diags, checkout, catalog


@dataclass(frozen=True)
class ShopCatalog:
    """How a project's catalog is fed: ``shop.yaml``'s feed and reviews file and the rules
    every import of the project follows (its currency, default locale and time zone; the
    feed's limits)."""

    feed: str | None
    reviews: str | None
    rules: ImportRules
    shop: dict[str, Any]  # shop.yaml as written (with the environment's overrides)
    doc: YamlDoc | None  # for line numbers


def shop_catalog(root: Path, settings: Settings | None = None) -> ShopCatalog:
    """The project's catalog setup from ``shop.yaml`` and the environment (``SHOPCHAT_*``)."""
    settings = settings or Settings()
    doc: YamlDoc | None
    try:
        doc = load_yaml(root / "shop.yaml")
        shop = doc.data if isinstance(doc.data, dict) else {}
    except (YamlSyntaxError, OSError):
        doc, shop = None, {}  # load_project reports it
    overrides = settings.shop_overrides()
    catalog_override = overrides.pop("catalog", None) or {}
    shop = {**shop, **overrides}
    written = shop.get("catalog")
    section: dict[str, Any] = written if isinstance(written, dict) else {}
    if catalog_override:
        section = shop["catalog"] = {**section, **catalog_override}
    feed = section.get("feed") if isinstance(section.get("feed"), str) else None
    currency = shop.get("currency") if isinstance(shop.get("currency"), str) else None
    locale = shop.get("default_locale")
    timezone = shop.get("timezone")
    try:
        max_rejected = parse_share(section.get("max_rejected", DEFAULT_MAX_REJECTED))
    except ValueError:
        max_rejected = DEFAULT_MAX_REJECTED  # load_project reports it
    rules = ImportRules(
        currency=currency.strip().upper() if currency else (None if doc is None else "USD"),
        locale=locale if isinstance(locale, str) else ("en" if doc else ""),
        timezone=timezone if isinstance(timezone, str) else None,
        max_rejected=max_rejected,
        allow_empty=section.get("allow_empty") is True,
    )
    reviews = section.get("reviews") if isinstance(section.get("reviews"), str) else None
    return ShopCatalog(feed, reviews, rules, shop, doc)


def _checkout(
    root: Path, settings: Settings, shop: dict[str, Any], catalog: Catalog, diags: list[Diagnostic]
) -> Checkout | None:
    """The order book on a private database until the app binds the real one."""
    try:
        config = CheckoutConfig.load(root / "checkout.yaml")
    except CheckoutError as exc:
        diags.append(Diagnostic(root / "checkout.yaml", 1, 1, str(exc)))
        return None
    currency = shop.get("currency")
    zone = shop.get("timezone")
    region = config.phone_region or region_for_timezone(str(zone or ""))
    book = OrderBook(catalog, config, shop_currency=str(currency or "EUR"), region=region)
    stripe = (
        StripeCheckout(settings.stripe_secret_key, api_base=settings.stripe_api_base)
        if settings.stripe_secret_key
        else None
    )
    checkout = Checkout(
        book,
        Database.in_memory(),
        stripe=stripe,
        telegram_provider_token=settings.telegram_payment_provider_token,
    )
    # Demo orders (the example shop's orders.jsonl) so tracking has something to find.
    orders_path = root / "orders.jsonl"
    if orders_path.exists():
        checkout.seeds = list(SampleOrders.from_jsonl(orders_path))
        with checkout.db.transaction() as conn:
            book.seed(conn, checkout.seeds, checkout.clock())
    return checkout


def _open_catalog(
    root: Path, settings: Settings, setup: ShopCatalog
) -> tuple[Catalog, list[Diagnostic]]:
    """The project's catalog database, re-importing ``shop.yaml``'s feed only when the file
    changed since it was last imported (a hand import stays until then)."""
    store = SessionStore(settings.database_url_for(root))
    shop_yaml = root / "shop.yaml"
    try:
        store.migrate()
    except StorageError as exc:
        return Catalog(store.engine), [Diagnostic(shop_yaml, 1, 1, f"catalog: {exc}")]
    catalog = Catalog(store.engine)
    diags = _import_feed(root, catalog, setup)
    if setup.reviews and not any(d.severity == "error" for d in diags):
        diags.extend(_import_reviews(root, catalog, setup))
    return catalog, diags


def _import_reviews(root: Path, catalog: Catalog, setup: ShopCatalog) -> list[Diagnostic]:
    shop_yaml = root / "shop.yaml"
    line, col = setup.doc.pos(("catalog", "reviews")) if setup.doc else (1, 1)
    path = (root / str(setup.reviews)).resolve()
    if not path.is_file():
        return [Diagnostic(shop_yaml, line, col, f"reviews file {setup.reviews!r} not found")]
    try:
        report = catalog.import_reviews(path, rules=setup.rules, changed_only=True)
    except ImportRefused as exc:
        return [
            FeedRefused(shop_yaml, line, col, f"reviews {setup.reviews!r} not imported: {exc}"),
            *_rejects(path, exc.report.rejected),
        ]
    except (CatalogError, StorageError, OSError) as exc:
        return [Diagnostic(shop_yaml, line, col, f"reviews {setup.reviews!r} not imported: {exc}")]
    if not report.rejected_count:
        return []
    message = f"reviews {setup.reviews!r}: {report.rejected_count:,} of {report.rows:,} rejected"
    return [Diagnostic(shop_yaml, line, col, message, "warning"), *_rejects(path, report.rejected)]


def _import_feed(root: Path, catalog: Catalog, setup: ShopCatalog) -> list[Diagnostic]:
    shop_yaml = root / "shop.yaml"
    feed = setup.feed
    if not feed:
        return []
    line, col = setup.doc.pos(("catalog", "feed")) if setup.doc else (1, 1)
    feed_path = (root / feed).resolve()
    if not feed_path.exists():
        return [FeedRefused(shop_yaml, line, col, f"catalog feed {feed!r} not found")]
    try:
        report = catalog.import_path(feed_path, rules=setup.rules, changed_only=True)
    except ImportRefused as exc:
        message = f"catalog feed {feed!r} cannot be used: {exc}; shoppers see the catalog as it was"
        return [
            FeedRefused(shop_yaml, line, col, message),
            *_rejects(feed_path, exc.report.rejected),
        ]
    except (CatalogError, ImportError, OSError) as exc:  # a broken file changes nothing
        message = f"catalog feed {feed!r} not imported: {exc}; shoppers see the catalog as it was"
        return [FeedRefused(shop_yaml, line, col, message)]
    except StorageError as exc:
        return [Diagnostic(shop_yaml, line, col, f"catalog feed {feed!r} not imported: {exc}")]
    diags = []
    if report.unchanged:
        source = catalog.store.current_source()
        if source is not None and source != str(feed_path):
            diags.append(
                Diagnostic(
                    shop_yaml,
                    line,
                    col,
                    f"shoppers see the catalog imported by hand from {source}; {feed!r} is "
                    "imported again when it changes",
                    "warning",
                )
            )
        stored = catalog.store.feed_report(str(feed_path))
        report = ImportReport.from_summary(stored) if stored else report
    if report.rejected_count:
        shown = "; ".join(f"line {p.line}: {p.reason}" for p in report.rejected[:3])
        diags.append(
            Diagnostic(
                shop_yaml,
                line,
                col,
                f"catalog feed {feed!r}: {report.rejected_count:,} of {report.rows:,} rows "
                f"rejected ({shown})",
                "warning",
            )
        )
        diags.extend(_rejects(feed_path, report.rejected))
    return diags


_REJECTS_SHOWN = 5


def _rejects(feed_path: Path, rejected: list[Problem]) -> list[Diagnostic]:
    """The first rejected rows, where an editor can jump to them."""
    return [
        Diagnostic(feed_path, max(p.line, 1), 1, f"row rejected: {p.reason}", "warning")
        for p in rejected[:_REJECTS_SHOWN]
    ]


def _project_actions(root: Path, registry: ActionRegistry) -> list[Diagnostic]:
    path = root / "actions.py"
    if not path.exists():
        return []
    # The same name in every process (not hash(), which PYTHONHASHSEED changes): a result
    # of the project's types recorded by one process is read back by another (bot/turnwork.py).
    digest = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
    name = f"shopchat_project_actions_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        return [Diagnostic(path, 1, 1, "cannot import actions.py")]
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        register = getattr(module, "register", None)
        if register is None:
            return [Diagnostic(path, 1, 1, "actions.py must define register(registry)")]
        register(registry)
    except Exception as exc:  # the project's code: report, don't crash the CLI
        line = _error_line(exc, path)
        return [Diagnostic(path, line, 1, f"actions.py failed: {type(exc).__name__}: {exc}")]
    return []


def _error_line(exc: BaseException, path: Path) -> int:
    if isinstance(exc, SyntaxError) and exc.lineno:
        return exc.lineno
    tb = exc.__traceback__
    line = 1
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename) == path:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def open_project(root: Path | str, settings: Settings | None = None) -> OpenedProject:
    settings = settings or Settings()
    path = Path(root).resolve()
    checkout: Checkout | None = None
    catalog: Catalog | None = None
    if path.is_dir():
        actions, diags, checkout, catalog = build_services(path, settings)
    else:
        actions, diags = ActionRegistry(), []
    project, more = load_project(path, actions, shop_overrides=settings.shop_overrides())
    if any(d.severity == "error" and not isinstance(d, FeedRefused) for d in diags):
        project = None
    if project is not None and catalog is not None:
        # The understanding reads the catalog's tags, categories and title words.
        project.catalog_vocabulary = CatalogLexicon(catalog)
    ordered = sorted(set(diags + more), key=lambda d: (d.path, d.line, d.col, d.message))
    return OpenedProject(path, project, actions, ordered, checkout, catalog)


__all__ = [
    "FeedRefused",
    "OpenedProject",
    "ShopCatalog",
    "build_actions",
    "build_services",
    "open_project",
    "shop_catalog",
]

"""Opening a bot project: its actions, its compiled flows and its session store, wired once."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path

from catalog import Catalog, CatalogError, register_catalog_actions
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
from flows.yamlpos import YamlSyntaxError, load_yaml

from .settings import Settings
from .storage import SessionStore, StorageError


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
    feed = settings.catalog.feed if settings.catalog and settings.catalog.feed else None
    try:
        shop = load_yaml(root / "shop.yaml").data
    except (YamlSyntaxError, OSError):
        shop = {}  # load_project reports it
    if feed is None and isinstance(shop, dict) and isinstance(shop.get("catalog"), dict):
        feed = shop["catalog"].get("feed")
    currency = settings.currency or (shop.get("currency") if isinstance(shop, dict) else None)
    catalog, problems = _open_catalog(root, settings, feed, currency)
    diags.extend(problems)
    register_catalog_actions(registry, catalog)
    checkout = _checkout(root, settings, shop, catalog, diags)
    if checkout is not None:
        register_checkout_actions(registry, checkout)
    diags.extend(_project_actions(root, registry))
    return registry, diags, checkout, catalog


def _checkout(
    root: Path, settings: Settings, shop: object, catalog: Catalog, diags: list[Diagnostic]
) -> Checkout | None:
    """The order book on a private database until the app binds the real one."""
    try:
        config = CheckoutConfig.load(root / "checkout.yaml")
    except CheckoutError as exc:
        diags.append(Diagnostic(root / "checkout.yaml", 1, 1, str(exc)))
        return None
    currency = settings.currency or (shop.get("currency") if isinstance(shop, dict) else None)
    zone = settings.timezone or (shop.get("timezone") if isinstance(shop, dict) else None)
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
    root: Path, settings: Settings, feed: str | None, currency: object = None
) -> tuple[Catalog, list[Diagnostic]]:
    """The project's catalog database, re-importing the feed only when the file changed."""
    store = SessionStore(settings.database_url_for(root))
    try:
        store.migrate()
    except StorageError as exc:
        return Catalog(store.engine), [Diagnostic(root / "shop.yaml", 1, 1, f"catalog: {exc}")]
    catalog = Catalog(store.engine)
    if not feed:
        return catalog, []
    feed_path = (root / feed).resolve()
    if not feed_path.exists():
        return catalog, [Diagnostic(root / "shop.yaml", 1, 1, f"catalog feed {feed!r} not found")]
    try:
        report = catalog.import_path(
            feed_path, currency=currency if isinstance(currency, str) else None
        )
    except (CatalogError, ImportError, StorageError) as exc:
        message = f"catalog feed {feed!r} not imported: {exc}"
        return catalog, [Diagnostic(root / "shop.yaml", 1, 1, message)]
    except Exception as exc:  # a fatal feed error from catalog.feeds: keep the old catalog
        message = f"catalog feed {feed!r} not imported: {exc}"
        return catalog, [Diagnostic(root / "shop.yaml", 1, 1, message)]
    return catalog, [
        Diagnostic(feed_path, p.line, 1, f"catalog row skipped: {p.reason}", "warning")
        for p in report.rejected
    ]


def _project_actions(root: Path, registry: ActionRegistry) -> list[Diagnostic]:
    path = root / "actions.py"
    if not path.exists():
        return []
    name = f"shopchat_project_actions_{abs(hash(root))}"
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
    if any(d.severity == "error" for d in diags):
        project = None
    if project is not None and catalog is not None:
        # The understanding reads the catalog's tags, categories and title words.
        project.catalog_vocabulary = CatalogLexicon(catalog)
    return OpenedProject(path, project, actions, sorted(set(diags + more)), checkout, catalog)


__all__ = ["OpenedProject", "build_actions", "build_services", "open_project"]

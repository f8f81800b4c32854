"""The demo shop with the hand-off desk on, a fake clock, and recorded notifications."""

from __future__ import annotations

import contextlib
import json
import shutil
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.handoff import HandoffDesk
from tests.support.channels import Platform, Shop, shop_settings

SHOP = Path(__file__).resolve().parents[1] / "examples" / "shop"
SLACK_URL = "https://hooks.slack.test/services/T0/B0/x"
WEBHOOK_URL = "https://desk.test/handoff"
WEBHOOK_SECRET = "hook-secret"
MONDAY_NOON = datetime(2026, 1, 5, 11, 0, tzinfo=UTC)  # 12:00 in Warsaw


class Clock:
    def __init__(self, now: datetime = MONDAY_NOON) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Hooks:
    """Records the notification webhooks; ``fail`` makes them answer 500 meanwhile."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        self.fail = False
        self.lock = threading.Lock()

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.fail:
            return httpx.Response(500)
        with self.lock:
            self.received.append(
                (request.url.host, dict(request.headers), json.loads(request.content))
            )
        return httpx.Response(200, text="ok")

    def hosts(self) -> list[str]:
        return [h for h, _headers, _body in self.received]


def make_shop(tmp_path: Path, handoff: str = "") -> Path:
    root = tmp_path / "shop"
    if not root.exists():
        shutil.copytree(SHOP, root, ignore=shutil.ignore_patterns("data", "tests"))
    text = (root / "shop.yaml").read_text(encoding="utf-8")
    text = text.split("\nhandoff:", 1)[0].rstrip() + "\n"
    settings = "handoff:\n  sweep_interval: 1h\n" + handoff
    (root / "shop.yaml").write_text(text + settings, encoding="utf-8")
    return root


@contextlib.contextmanager
def running_shop(
    tmp_path: Path,
    handoff: str = "",
    *,
    clock: Clock | None = None,
    hooks: Hooks | None = None,
    **app_kw: Any,
) -> Iterator[Shop]:
    platform = Platform()
    hooks = hooks or Hooks()
    clock = clock or Clock()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host in ("hooks.slack.test", "desk.test"):
            return hooks.handle(request)
        return platform.handler(request)

    settings = shop_settings(tmp_path)
    settings.slack_webhook_url = SLACK_URL
    settings.handoff_webhook_url = WEBHOOK_URL
    settings.handoff_webhook_secret = WEBHOOK_SECRET
    app = create_app(
        make_shop(tmp_path, handoff),
        settings,
        transport=httpx.MockTransport(handler),
        clock=clock,
        **({"typing_delay": 60} | app_kw),
    )
    with TestClient(app) as client, contextlib.ExitStack() as sockets:
        shop = Shop(client, platform, sockets)
        shop.clock = clock  # type: ignore[attr-defined]
        shop.hooks = hooks  # type: ignore[attr-defined]
        yield shop


def desk(shop: Shop) -> HandoffDesk:
    return shop.client.app.state.handoff  # type: ignore[no-any-return]


def call(shop: Shop, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    """Run a desk coroutine on the app's loop."""
    return shop.client.portal.call(lambda: fn(*args, **kw))

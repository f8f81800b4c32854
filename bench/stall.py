"""Does one slow shopper stall the others? Two scenarios, in one process, on SQLite.

``--mode stripe`` (default): the example shop with a Stripe double that takes 10 s to answer
(a local HTTP server; shopchat's Stripe client gives up after its 5 s timeout). One shopper
goes to checkout on WhatsApp and picks the card payment link; while Stripe thinks, 50 other
Telegram chats say "hi". Prints the others' POST->200 and reply latency (p50/p99), and the
card shopper's own wait.

``--mode action``: a small project whose "slow" flow runs a project action that takes 2 s
(a plain function sleeping, like a slow HTTP call); 200 chats write at once, one in ten
"slow", the rest "hi". Prints the fast chats' POST->200 and reply latency.

    python bench/stall.py [--mode stripe|action] [--others 50] [--stripe-delay 10]

The shopper's way to checkout reuses the end-to-end test helpers (tests/support/channels.py).
Quote the figures with the machine's load (``uptime``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from bot.app import create_app  # noqa: E402
from bot.heap import settle_heap  # noqa: E402
from flows import start_action_threads  # noqa: E402
from tests.support.channels import (  # noqa: E402
    TELEGRAM_SECRET,
    Platform,
    Shop,
    settle,
    shop_settings,
)


class Timed(Platform):
    """The platform fake, noting when each Telegram chat got its first message."""

    def __init__(self) -> None:
        super().__init__()
        self.first: dict[int, float] = {}

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/sendMessage"):
            chat = int(json.loads(request.content)["chat_id"])
            self.first.setdefault(chat, time.perf_counter())
        return super().handler(request)


def slow_stripe(delay: float) -> tuple[ThreadingHTTPServer, str]:
    class Slow(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("content-length") or 0))
            time.sleep(delay)
            body = json.dumps({"id": "cs_bench", "url": "https://pay.example/cs_bench"}).encode()
            try:
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the client gave up first

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def hi(update_id: int, chat: int, text: str = "hi") -> bytes:
    message = {
        "message_id": update_id,
        "from": {"id": chat, "is_bot": False, "first_name": "Ana", "language_code": "en"},
        "chat": {"id": chat, "type": "private"},
        "date": int(time.time()),
        "text": text,
    }
    return json.dumps({"update_id": update_id, "message": message}).encode()


def serving() -> None:
    """What ``shopchat serve`` does to its process before it serves (bot/heap.py, the action
    threads), so that this process measures the same runtime."""
    settle_heap()
    start_action_threads()


def post(client: TestClient, body: bytes) -> tuple[float, float]:
    start = time.perf_counter()
    response = client.post(
        "/webhooks/telegram",
        content=body,
        headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
    )
    assert response.status_code == 200, response.text
    return start, time.perf_counter()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def report(label: str, posts: dict[int, tuple[float, float]], first: dict[int, float]) -> None:
    acked = [(end - start) * 1000 for start, end in posts.values()]
    replied = [(first[c] - posts[c][0]) * 1000 for c in posts if c in first]
    missing = len(posts) - len(replied)
    print(
        f"{label}: {len(posts)} chats; POST->200 p50 {pct(acked, 0.5):.0f} ms, "
        f"p99 {pct(acked, 0.99):.0f} ms; reply p50 {pct(replied, 0.5):.0f} ms, "
        f"p99 {pct(replied, 0.99):.0f} ms" + (f"; {missing} unanswered" if missing else "")
    )


def run_stripe(others: int, delay: float) -> None:
    from tests.checkout.test_checkout_channels import to_payment

    server, base = slow_stripe(delay)
    platform = Timed()
    with tempfile.TemporaryDirectory() as tmp:
        settings = shop_settings(Path(tmp)).model_copy(
            update={
                "stripe_secret_key": "sk_test_bench",
                "stripe_api_base": base,
                "send_rate_limits": False,
            }
        )
        app = create_app(
            ROOT / "examples" / "shop",
            settings,
            transport=httpx.MockTransport(platform.handler),
            typing_delay=60,
        )
        serving()
        with TestClient(app) as client:
            shop = Shop(client, platform, None)  # type: ignore[arg-type]
            zofia = shop.whatsapp()
            to_payment(zofia)
            option = zofia.last.option("Card (payment link)")
            card_start = time.perf_counter()
            before = platform.count()
            zofia.send_press(option)  # Stripe is asked now and takes its time
            time.sleep(0.2)
            posts: dict[int, tuple[float, float]] = {}
            # Like Telegram, up to 40 webhook requests in flight at once.
            with ThreadPoolExecutor(min(others, 40)) as pool:
                chats = range(5000, 5000 + others)
                for chat, timing in zip(
                    chats, pool.map(lambda c: post(client, hi(c, c)), chats), strict=True
                ):
                    posts[chat] = timing
            deadline = time.monotonic() + delay + 30
            while len([c for c in posts if c in platform.first]) < others:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.01)
            settle(client)
            card_done = next(
                (
                    time.perf_counter()
                    for _h, p, body in platform.since(before)
                    if p.endswith("/messages") and "pay" in json.dumps(body)
                ),
                None,
            )
        report(f"others while Stripe takes {delay:.0f} s", posts, platform.first)
        waited = time.perf_counter() - card_start if card_done is None else card_done - card_start
        print(f"the card shopper waited {waited:.1f} s (Stripe client timeout 5 s)")
    server.shutdown()


SLOW = """\
triggers:
  keywords: {en: [slow]}
steps:
  - action: bench.slow
    result: done
  - say: "Slow answer."
"""
MENU = """\
triggers:
  keywords: {en: [hi]}
steps:
  - say: "Hello!"
"""


def run_action(chats: int, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "bot"
        (root / "flows").mkdir(parents=True)
        (root / "shop.yaml").write_text("name: Stall\nlocales: [en]\nstart_flow: menu\n")
        (root / "flows" / "menu.yaml").write_text(textwrap.dedent(MENU))
        (root / "flows" / "slow.yaml").write_text(textwrap.dedent(SLOW))
        (root / "actions.py").write_text(
            "import time\n\ndef register(registry):\n"
            f"    registry.register('bench.slow', lambda ctx: time.sleep({seconds}) or 'ok')\n"
        )
        platform = Timed()
        # The platforms' rate limits off: this measures the runtime, not Telegram's 30 msg/s.
        settings = shop_settings(Path(tmp)).model_copy(update={"send_rate_limits": False})
        app = create_app(
            root, settings, transport=httpx.MockTransport(platform.handler), typing_delay=60
        )
        serving()
        with TestClient(app) as client:
            timings: dict[int, tuple[float, float]] = {}
            with ThreadPoolExecutor(16) as pool:
                ids = range(7000, 7000 + chats)
                texts = {c: "slow" if c % 10 == 0 else "hi" for c in ids}
                for chat, timing in zip(
                    ids, pool.map(lambda c: post(client, hi(c, c, texts[c])), ids), strict=True
                ):
                    timings[chat] = timing
            settle(client)
        fast = {c: t for c, t in timings.items() if texts[c] == "hi"}
        slow = {c: t for c, t in timings.items() if texts[c] == "slow"}
        report(f"fast chats (one in ten runs a {seconds:.0f} s action)", fast, platform.first)
        report("slow chats", slow, platform.first)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--mode", choices=["stripe", "action"], default="stripe")
    parser.add_argument("--others", type=int, default=50, help="other chats (stripe mode)")
    parser.add_argument("--stripe-delay", type=float, default=10.0)
    parser.add_argument("--chats", type=int, default=200, help="chats (action mode)")
    parser.add_argument("--action-seconds", type=float, default=2.0)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    if args.mode == "stripe":
        run_stripe(args.others, args.stripe_delay)
    else:
        run_action(args.chats, args.action_seconds)


if __name__ == "__main__":
    main()

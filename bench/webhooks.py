"""Webhook throughput: shopchat vs python-telegram-bot, side by side, on this machine.

2,000 shoppers each walk a three-step dialogue (/start -> name -> age) by Telegram webhook
against a local fake Bot API. An update counts as handled when its reply reached the fake
API. The same load goes to python-telegram-bot's own webhook server running the same
dialogue as a ConversationHandler. Like Telegram (max_connections 40), at most 40 webhook
requests are in flight at once, over 40 keep-alive connections. Prints updates/s and p50/p99
from POST to 200, and the CPU seconds each server process used.

    pip install -e '.[bench]' && python bench/webhooks.py [--shoppers 2000] [--only shopchat]
    python bench/webhooks.py --only shopchat --db postgresql://postgres@127.0.0.1/shopchat_bench
    python bench/webhooks.py --sigkill   # kill mid-burst, restart: lost and double replies
    python bench/webhooks.py --shoppers 200 --slow-action 2   # one chat in ten waits 2 s
    python bench/webhooks.py --only shopchat --db postgresql://... --runs 4 --explain
    python bench/webhooks.py --db postgresql://... --workers 2   # one process vs two, and ptb

``--db`` runs shopchat on that database (migrated on start; give it one of its own, not a
database other things use).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret"
STEPS = ["/start", "Ana", "30"]
IN_FLIGHT = 40


class FakeBotApi(asyncio.Protocol):
    """A minimal HTTP/1.1 keep-alive server answering like the Bot API; counts replies."""

    replies: dict[int, int] = defaultdict(int)
    methods: dict[str, int] = defaultdict(int)
    waiters: dict[tuple[int, int], asyncio.Future[float]] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buffer[:head_end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            if len(self.buffer) < head_end + 4 + length:
                return
            body = self.buffer[head_end + 4 : head_end + 4 + length]
            self.buffer = self.buffer[head_end + 4 + length :]
            path = head.split(" ", 2)[1]
            self.respond(path.rsplit("/", 1)[-1].split("?")[0], body)

    def respond(self, method: str, body: bytes) -> None:
        try:
            payload = json.loads(body) if body else {}
        except ValueError:
            # python-telegram-bot posts form-encoded parameters.
            from urllib.parse import parse_qsl

            payload = dict(parse_qsl(body.decode()))
        result: object = True
        FakeBotApi.methods[method] += 1
        if method == "getMe":
            result = {"id": 1, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}
        elif method == "sendMessage":
            chat = int(payload.get("chat_id", 0))
            FakeBotApi.replies[chat] += 1
            waiter = FakeBotApi.waiters.pop((chat, FakeBotApi.replies[chat]), None)
            if waiter is not None and not waiter.done():
                waiter.set_result(time.perf_counter())
            result = {
                "message_id": FakeBotApi.replies[chat],
                "date": int(time.time()),
                "chat": {"id": chat, "type": "private"},
                "text": payload.get("text", ""),
            }
        data = json.dumps({"ok": True, "result": result}).encode()
        self.transport.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(data)).encode()
            + b"\r\n\r\n"
            + data
        )


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process and its children (workers) have used so far."""
    total, family = 0.0, {pid}
    stats = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            stats.append((int(stat.parent.name), stat.read_text().rsplit(")", 1)[1].split()))
        except (OSError, ValueError):
            continue
    for _ in range(3):  # uvicorn's supervisor, its workers, their helpers
        family |= {p for p, fields in stats if int(fields[1]) in family}
    for p, fields in stats:
        if p in family:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def postgres_cpu_seconds() -> float:
    """CPU seconds used so far by every ``postgres`` process on this machine (0 without one):
    the database's own cost per update, which machine load does not blur."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if "(postgres)" in text:
            fields = text.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def update(update_id: int, chat: int, text: str) -> dict[str, object]:
    message: dict[str, object] = {
        "message_id": update_id,
        "from": {"id": chat, "is_bot": False, "first_name": "Ana", "language_code": "en"},
        "chat": {"id": chat, "first_name": "Ana", "type": "private"},
        "date": int(time.time()),
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return {"update_id": update_id, "message": message}


async def wait_up(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.2)
    raise RuntimeError(f"nothing listens on port {port}")


class Connections:
    """The load generator's side: ``IN_FLIGHT`` keep-alive connections to the webhook.

    Raw asyncio streams rather than an HTTP client library, so that the generator, which
    shares the two cores with the server under test, spends as little CPU as it can.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.free: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None] = (
            asyncio.Queue()
        )
        for _ in range(IN_FLIGHT):
            self.free.put_nowait(None)  # opened on first use

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, float]:
        """POST ``body``: the status, and seconds from sending to the response.

        Raises OSError when the connection breaks."""
        conn = await self.free.get()
        started = time.perf_counter()
        try:
            if conn is None:
                conn = await asyncio.open_connection("127.0.0.1", self.port)
            reader, writer = conn
            head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
            head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
            writer.write(head.encode() + body)
            status_line = await reader.readuntil(b"\r\n")
            rest = await reader.readuntil(b"\r\n\r\n")
            length, close = 0, False
            for line in rest.split(b"\r\n"):
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            await reader.readexactly(length)
            if close:
                writer.close()
                conn = None
            return int(status_line.split()[1]), time.perf_counter() - started
        except (OSError, asyncio.IncompleteReadError, ValueError):
            if conn is not None:
                conn[1].close()
            conn = None
            raise OSError("the webhook connection broke") from None
        finally:
            self.free.put_nowait(conn)


async def drive(port: int, shoppers: int, chat_base: int) -> dict[str, float]:
    """Run the load; return handled updates/s and POST latencies."""
    path = "/webhooks/telegram"
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    connections = Connections(port)
    latencies: list[float] = []
    # Fresh update ids each run, so a reused database (--db) does not deduplicate them away.
    first = random.randrange(1, 2**40)
    counter = iter(range(first, first + 10**9))
    failures = 0
    loop = asyncio.get_running_loop()

    async def shopper(chat: int) -> int:
        nonlocal failures
        handled = 0
        for step, text in enumerate(STEPS, 1):
            reply = loop.create_future()
            FakeBotApi.waiters[(chat, step)] = reply
            body = json.dumps(update(next(counter), chat, text)).encode()
            status = None
            for _attempt in range(3):  # as Telegram does, deliver again on a broken connection
                try:
                    status, seconds = await connections.post(path, body, headers)
                except OSError:
                    continue
                latencies.append(seconds)
                break
            if status != 200:
                failures += 1
                return handled
            try:
                await asyncio.wait_for(reply, timeout=60)
            except TimeoutError:
                failures += 1
                return handled
            handled += 1
        return handled

    started = time.perf_counter()
    handled = sum(await asyncio.gather(*(shopper(chat_base + i) for i in range(shoppers))))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "handled": handled,
        "failures": failures,
        "rate": handled / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "elapsed": elapsed,
    }


def start_shopchat(
    port: int,
    api: str,
    tmp: str,
    db: str | None,
    workers: int = 1,
    project: Path = ROOT / "bench" / "project",
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SHOPCHAT_DATABASE_URL": db or f"sqlite:///{tmp}/bench.db",
        "SHOPCHAT_TELEGRAM_TOKEN": "123456:BENCH",
        "SHOPCHAT_TELEGRAM_SECRET_TOKEN": SECRET,
        "SHOPCHAT_TELEGRAM_API_BASE": api,
        "SHOPCHAT_LOG_LEVEL": "WARNING",
        # The fake Bot API has no rate limits to respect; Telegram's 30/s would be the figure.
        "SHOPCHAT_SEND_RATE_LIMITS": "false",
    }
    cmd = [
        sys.executable,
        "-c",
        "from bot.cli import main; main()",
        "serve",
        str(project),
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    if os.environ.get("BENCH_PROFILE"):
        cmd = [sys.executable, os.environ["BENCH_PROFILE"], str(port)]
    return subprocess.Popen(
        cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def start_ptb(port: int, api: str) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, str(ROOT / "bench" / "ptb_bot.py"), str(port), api, SECRET]
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


async def sigkill(api: str, tmp: str, db: str | None, shoppers: int) -> None:
    """SIGKILL shopchat mid-burst, restart it, and count the chats answered twice: replies
    that went out but were not yet recorded as sent when the process died."""
    port = free_port()
    proc = start_shopchat(port, api, tmp, db)
    await wait_up(port)
    await asyncio.sleep(1.0)
    connections = Connections(port)
    path = "/webhooks/telegram"
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    acknowledged: set[int] = set()
    kill_at = shoppers // 2
    first = random.randrange(1, 2**40)
    base = 5_000_000

    async def one(n: int) -> None:
        if proc.poll() is not None:
            return
        body = json.dumps(update(first + n, base + n, "/start")).encode()
        try:
            status, _ = await connections.post(path, body, headers)
        except OSError:
            return  # the server is dead: Telegram would deliver this one again later
        if status == 200:
            acknowledged.add(base + n)
            if len(acknowledged) >= kill_at and proc.poll() is None:
                proc.kill()

    started = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(shoppers)))
    proc.wait(timeout=10)
    burst = time.perf_counter() - started
    answered_before = sum(1 for chat in acknowledged if FakeBotApi.replies[chat])
    proc = start_shopchat(port, api, tmp, db)
    try:
        await wait_up(port)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if all(FakeBotApi.replies[chat] for chat in acknowledged):
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # anything sent twice has gone by now
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    lost = sum(1 for chat in acknowledged if not FakeBotApi.replies[chat])
    twice = sum(1 for chat in acknowledged if FakeBotApi.replies[chat] > 1)
    rate = answered_before / burst if burst else 0.0
    print(f"load average {os.getloadavg()[0]:.2f}")
    print(
        f"SIGKILL after {len(acknowledged)} acknowledged updates ({answered_before} answered "
        f"before the kill, ~{rate:,.0f} replies/s): {lost} lost, {twice} answered twice"
    )
    if rate:
        print(f"duplicate window: about {twice / rate * 1000:.1f} ms of replies")


SLOW_FLOW = """\
triggers:
  keywords: {en: [slow]}
steps:
  - action: bench.slow
    result: done
  - say: "Slow answer."
"""


def slow_project(tmp: str, seconds: float) -> Path:
    """The bench project plus a flow whose project action takes ``seconds`` (a plain function
    sleeping, like a slow HTTP call; plain actions run in a worker thread)."""
    project = Path(tmp) / "slow-project"
    shutil.copytree(ROOT / "bench" / "project", project)
    (project / "flows" / "slow.yaml").write_text(SLOW_FLOW)
    (project / "actions.py").write_text(
        "import time\n\ndef register(registry):\n"
        f"    registry.register('bench.slow', lambda ctx: time.sleep({seconds}) or 'ok')\n"
    )
    return project


async def stall(api: str, tmp: str, db: str | None, chats: int, seconds: float) -> None:
    """``chats`` chats write at once, one in ten "slow" (its action takes ``seconds``), the
    others "/start": do the others wait for the slow ones? POST->200 and reply latency."""
    port = free_port()
    proc = start_shopchat(port, api, tmp, db, project=slow_project(tmp, seconds))
    try:
        await wait_up(port)
        await asyncio.sleep(1.0)
        connections = Connections(port)
        path = "/webhooks/telegram"
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
        first = random.randrange(1, 2**40)
        base = 20_000_000
        loop = asyncio.get_running_loop()
        acked: dict[int, float] = {}
        replied: dict[int, float] = {}

        async def one(n: int) -> None:
            chat = base + n
            reply = loop.create_future()
            FakeBotApi.waiters[(chat, 1)] = reply
            text = "slow" if n % 10 == 0 else "/start"
            body = json.dumps(update(first + n, chat, text)).encode()
            started = time.perf_counter()
            status, seconds = await connections.post(path, body, headers)
            if status != 200:
                return
            acked[n] = seconds
            with contextlib.suppress(TimeoutError):
                replied[n] = await asyncio.wait_for(reply, timeout=60) - started

        await asyncio.gather(*(one(n) for n in range(chats)))
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    def line(label: str, picked: list[int]) -> str:
        posts = sorted(acked[n] * 1000 for n in picked if n in acked)
        replies = sorted(replied[n] * 1000 for n in picked if n in replied)
        missing = len(picked) - len(replies)
        return (
            f"{label}: {len(picked)} chats; POST->200 p50 {pct(posts, 0.5):.0f} ms, "
            f"p99 {pct(posts, 0.99):.0f} ms; reply p50 {pct(replies, 0.5):.0f} ms, "
            f"p99 {pct(replies, 0.99):.0f} ms" + (f"; {missing} unanswered" if missing else "")
        )

    print(f"load average {os.getloadavg()[0]:.2f}, {IN_FLIGHT} in flight")
    fast = [n for n in range(chats) if n % 10]
    print(line(f"other chats (one in ten runs a {seconds:g} s action)", fast))
    print(line("slow chats", [n for n in range(chats) if n % 10 == 0]))


def pct(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shoppers", type=int, default=2000)
    ap.add_argument("--only", choices=["shopchat", "ptb"])
    ap.add_argument(
        "--db", help="shopchat's database URL (default: a new SQLite file), e.g. postgresql://..."
    )
    ap.add_argument("--runs", type=int, default=1, help="consecutive runs on one database")
    ap.add_argument("--explain", action="store_true", help="print the hot statements' plans")
    ap.add_argument(
        "--workers", type=int, default=1, help="also run shopchat serve --workers N (PostgreSQL)"
    )
    ap.add_argument(
        "--sigkill", action="store_true", help="kill shopchat mid-burst; count double replies"
    )
    ap.add_argument(
        "--slow-action",
        type=float,
        metavar="SECONDS",
        help="--shoppers chats write at once, one in ten runs an action this long (try 2 with "
        "--shoppers 200): the others' POST->200 and reply latency",
    )
    args = ap.parse_args()
    loop = asyncio.get_running_loop()
    api_port = free_port()
    server = await loop.create_server(FakeBotApi, "127.0.0.1", api_port)
    api = f"http://127.0.0.1:{api_port}"
    if args.sigkill:
        with tempfile.TemporaryDirectory() as tmp:
            await sigkill(api, tmp, args.db, args.shoppers)
        server.close()
        return
    if args.slow_action is not None:
        with tempfile.TemporaryDirectory() as tmp:
            await stall(api, tmp, args.db, args.shoppers, args.slow_action)
        server.close()
        return
    targets = [args.only] if args.only else ["shopchat", "python-telegram-bot"]
    if args.workers > 1 and "shopchat" in targets:
        targets.insert(targets.index("shopchat") + 1, f"shopchat --workers {args.workers}")
    rows: list[tuple[str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(1, args.runs + 1):
            for n, name in enumerate(targets):
                port = free_port()
                if name.startswith("shopchat"):
                    workers = args.workers if "--workers" in name else 1
                    proc = start_shopchat(port, api, tmp, args.db, workers)
                else:
                    proc = start_ptb(port, api)
                try:
                    await wait_up(port)
                    await asyncio.sleep(1.0)
                    cpu_before = cpu_seconds(proc.pid)
                    pg_before = postgres_cpu_seconds()
                    # New chats each run: the fake API counts replies per chat.
                    base = 10_000_000 * (n + 1) + 100_000 * run
                    result = await drive(port, args.shoppers, chat_base=base)
                    result["cpu"] = cpu_seconds(proc.pid) - cpu_before
                    result["pg_cpu"] = postgres_cpu_seconds() - pg_before
                    if name.startswith("shopchat"):
                        result.update(await sent_marks(port))
                finally:
                    proc.terminate()
                    try:
                        proc.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                label = f"{name} #{run}" if args.runs > 1 else name
                rows.append((label, result))
                if args.runs > 1:
                    print(f"run {run} {name}: {result['rate']:,.0f} handled/s", flush=True)
        if args.explain:
            explain(args.db or f"sqlite:///{tmp}/bench.db")
    server.close()
    print("Bot API calls:", dict(FakeBotApi.methods))
    on_pg = bool(args.db and args.db.startswith("postgres"))
    total = args.shoppers * len(STEPS)
    print(
        f"{args.shoppers} shoppers x {len(STEPS)} updates = {total} updates, {IN_FLIGHT} in flight"
        f", load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'server':<26}{'handled/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'handled':>9}{'failed':>8}"
        f"{'CPU ms/update':>15}{'PostgreSQL CPU ms/update' if on_pg else '':>26}"
    )
    for label, r in rows:
        per_update = r["cpu"] * 1000 / max(1, r["handled"])
        pg = f"{r['pg_cpu'] * 1000 / max(1, r['handled']):>26.2f}" if on_pg else ""
        print(
            f"{label:<26}{r['rate']:>10,.0f}{r['p50']:>9.1f}{r['p99']:>9.1f}"
            f"{int(r['handled']):>9}{int(r['failures']):>8}{per_update:>15.2f}{pg}"
        )
    for label, r in rows:
        if "mark_p99" in r:
            print(
                f"{label}: a reply recorded as sent p50 {r['mark_p50']:.1f} / p99 "
                f"{r['mark_p99']:.1f} ms after its HTTP call returned (one process's /metrics)"
            )
        if r.get("db_batches"):
            print(
                f"{label}: {r['db_jobs'] / r['db_batches']:.1f} database jobs per transaction, "
                f"{r['db_batches'] / max(1, r['handled']):.2f} transactions per update"
            )
    rates: dict[str, list[float]] = defaultdict(list)
    for label, r in rows:
        rates[label.split(" #")[0]].append(r["rate"])
    ours, ptb = rates.get("shopchat"), rates.get("python-telegram-bot")
    if ours and ptb and statistics.median(ptb):
        ratio = statistics.median(ours) / statistics.median(ptb)
        print(f"shopchat / python-telegram-bot (medians): {ratio:.2f}x")
    several = rates.get(f"shopchat --workers {args.workers}")
    if ours and several and statistics.median(ours):
        ratio = statistics.median(several) / statistics.median(ours)
        print(f"shopchat --workers {args.workers} / one process (medians): {ratio:.2f}x")
    if ours and len(ours) > 1 and ours[0]:
        print(f"last run / first run (shopchat): {ours[-1] / ours[0]:.0%}  (target: >= 90%)")


async def sent_marks(port: int) -> dict[str, float]:
    """The server's sent-mark latency (shopchat_sent_mark_p50/p99_seconds on /metrics), ms."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    text = (await reader.read()).decode()
    writer.close()
    found: dict[str, float] = {}
    for line in text.splitlines():
        for q in ("p50", "p99"):
            if line.startswith(f"shopchat_sent_mark_{q}_seconds "):
                found[f"mark_{q}"] = float(line.split()[1]) * 1000
        for name in ("db_batches", "db_jobs"):
            if line.startswith(f"shopchat_{name} "):
                found[name] = float(line.split()[1])
    return found


def explain(url: str) -> None:
    """Print the plan of every hot statement (bot/plans.py) on the benchmark's database."""
    sys.path.insert(0, str(ROOT))
    from bot.plans import explain_all
    from bot.storage import SessionStore

    store = SessionStore(url)
    try:
        with store.connection() as conn:
            plans = explain_all(conn)
    finally:
        store.close()
    for plan in plans:
        print(plan, end="\n\n")
    missing = [p.statement.name for p in plans if not p.uses_index]
    print("every hot statement uses an index" if not missing else f"NO INDEX: {missing}")


if __name__ == "__main__":
    asyncio.run(main())

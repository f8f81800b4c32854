"""Killing the server with SIGKILL mid-burst loses no acknowledged update."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.support.fake_telegram import FakeTelegram, text_update

SECRET = "burst-secret_1"
FLOW = """\
triggers:
  keywords: {en: [hi]}
steps:
  - say: "Hello {{ user.first_name }}, welcome!"
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(project: Path, port: int, env: dict[str, str]) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from bot.cli import main; main()",
            "serve",
            str(project),
            "--port",
            str(port),
        ],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_mid_burst_loses_no_acknowledged_update(tmp_path):
    project = tmp_path / "bot"
    (project / "flows").mkdir(parents=True)
    (project / "shop.yaml").write_text("name: Burst\nlocales: [en]\n", encoding="utf-8")
    (project / "flows" / "hi.yaml").write_text(textwrap.dedent(FLOW), encoding="utf-8")
    port = free_port()
    with FakeTelegram() as api:
        env = {
            "SHOPCHAT_DATABASE_URL": f"sqlite:///{tmp_path}/burst.db",
            "SHOPCHAT_TELEGRAM_TOKEN": "123456:TEST",
            "SHOPCHAT_TELEGRAM_SECRET_TOKEN": SECRET,
            "SHOPCHAT_TELEGRAM_API_BASE": api.url,
        }
        server = start_server(project, port, env)
        acknowledged: set[int] = set()
        lock = threading.Lock()
        killed = threading.Event()

        def fire(chat_ids: list[int]) -> None:
            with httpx.Client(timeout=5) as client:
                for chat in chat_ids:
                    try:
                        response = client.post(
                            f"http://127.0.0.1:{port}/webhooks/telegram",
                            json=text_update(chat, chat),
                            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                        )
                    except httpx.HTTPError:
                        continue  # the server is dead: Telegram would retry this one later
                    if response.status_code == 200:
                        with lock:
                            acknowledged.add(chat)
                            if len(acknowledged) >= 150 and not killed.is_set():
                                killed.set()
                                server.send_signal(signal.SIGKILL)

        chats = list(range(1, 601))
        threads = [threading.Thread(target=fire, args=(chats[i::6],)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        server.wait(timeout=10)
        assert killed.is_set(), "the burst ended before the server was killed"
        answered_before = api.chats_answered()
        assert acknowledged - answered_before, "the kill came too late to test recovery"

        server = start_server(project, port, env)
        try:
            done = api.wait_for(lambda: acknowledged <= api.chats_answered(), timeout=60)
            missing = acknowledged - api.chats_answered()
            assert done and not missing, f"{len(missing)} acknowledged updates never answered"
        finally:
            server.terminate()
            server.wait(timeout=10)

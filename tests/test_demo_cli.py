"""`shopchat demo` serves the web chat whatever stdin is, and says so when its port is busy."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def demo(port: int, tmp_path: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "SHOPCHAT_DATABASE_URL": f"sqlite:///{tmp_path}/demo.db"}
    return subprocess.Popen(
        [sys.executable, "-c", "from bot.cli import main; main()", "demo", "--port", str(port)],
        stdin=subprocess.PIPE,  # not a terminal: as under nohup, in CI or in a container
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )


def test_the_demo_serves_the_web_chat_when_stdin_is_not_a_terminal(tmp_path):
    port = free_port()
    process = demo(port, tmp_path)
    try:
        deadline = time.monotonic() + 120
        page = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", follow_redirects=True, timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.5)
        assert process.poll() is None, process.communicate()[1]
        assert page is not None and page.status_code == 200
        assert str(page.url).endswith("/chat") and "Toy &amp; Gift Shop" in page.text
        # The demo's product pictures are the app's own: they load without the internet.
        picture = httpx.get(f"http://127.0.0.1:{port}/site/img/bw-fire-station.svg", timeout=5)
        assert picture.status_code == 200 and picture.text.startswith("<svg")
        product = httpx.get(f"http://127.0.0.1:{port}/site/p/bw-fire-station", timeout=5)
        assert product.status_code == 200 and "Fire Station Building Bricks Set" in product.text
    finally:
        process.terminate()
        process.communicate(timeout=30)


def test_a_busy_port_is_reported_first_with_the_flag_to_change_it(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        process = demo(port, tmp_path)
        out, errors = process.communicate(timeout=120)
    assert process.returncode == 1
    assert errors.startswith(f"cannot serve the demo on 127.0.0.1:{port}")
    assert "already in use" in errors and f"shopchat demo --port {port + 1}" in errors
    assert "serving on" not in errors + out

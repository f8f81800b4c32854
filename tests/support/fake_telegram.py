"""A fake Telegram Bot API on localhost: records every call, answers like Telegram.

Used by the crash test and by ``bench/webhooks.py``; real HTTP over a real socket, so the
server under test uses its production HTTP client unchanged.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeTelegram:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.calls: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.lock = threading.RLock()  # wait_for predicates read the calls under it
        self.replied = threading.Condition(self.lock)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                method = self.path.rsplit("/", 1)[-1]
                try:
                    payload = json.loads(body or b"{}")
                except ValueError:
                    payload = {"_raw": body.decode(errors="replace")}
                with fake.replied:
                    fake.calls[method].append(payload)
                    fake.replied.notify_all()
                answer = json.dumps({"ok": True, "result": True}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeTelegram:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def chats_answered(self) -> set[int]:
        with self.lock:
            return {int(c["chat_id"]) for c in self.calls["sendMessage"] if "chat_id" in c}

    def wait_for(self, predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
        with self.replied:
            return self.replied.wait_for(predicate, timeout)


def text_update(update_id: int, chat_id: int, text: str = "hi") -> dict[str, Any]:
    """A real-format Telegram Update carrying a private text message."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "from": {"id": chat_id, "is_bot": False, "first_name": "Ana", "language_code": "en"},
            "chat": {"id": chat_id, "first_name": "Ana", "type": "private"},
            "date": 1767607200,
            "text": text,
        },
    }

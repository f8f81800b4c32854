"""A recording fake of every channel for broadcast tests and bench/broadcast.py: each send is
appended (with the monotonic time) to a list and, optionally, a file that survives a SIGKILL."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

from adapters.base import OutboundCall, RenderContext, SendResult
from flows import TextReply


class FakeAdapter:
    def render(self, recipient: str, replies: list[Any], ctx: RenderContext) -> list[OutboundCall]:
        return [
            OutboundCall("send", {"to": recipient, "text": r.text})
            for r in replies
            if isinstance(r, TextReply)
        ]


@dataclass
class FakeSender:
    sent: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)
    record: str | None = None  # a file: one line per send, written before answering
    kill_after: int | None = None  # SIGKILL this process after so many sends

    async def send(self, call: OutboundCall) -> SendResult:
        self.sent.append((time.monotonic(), call.conversation_id, call.payload))
        if self.record:
            with open(self.record, "a", encoding="utf-8") as f:
                f.write(call.conversation_id + "\n")
                f.flush()
                os.fsync(f.fileno())
        if self.kill_after is not None and len(self.sent) >= self.kill_after:
            os.kill(os.getpid(), 9)
        return SendResult(ok=True, response={"messages": [{"id": f"m{len(self.sent)}"}]})


@dataclass
class FakeLink:
    adapter: FakeAdapter
    sender: FakeSender


def fake_links(sender: FakeSender) -> dict[str, FakeLink]:
    return {
        name: FakeLink(FakeAdapter(), sender)
        for name in ("telegram", "whatsapp", "messenger", "web")
    }

"""Events acknowledged before an upgrade are still answered after it, from their stored rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import insert

from bot.app import create_app
from bot.inbox import inbox_table
from bot.storage import SessionStore
from tests.test_webhooks import Platform, channel_settings, make_project, settle

LEGACY = Path(__file__).parent.parent / "data" / "inbox" / "legacy-rows.jsonl"


def test_pending_rows_stored_before_the_inbound_union_are_answered_after_a_restart(
    tmp_path: Path,
) -> None:
    settings = channel_settings(tmp_path)
    store = SessionStore(settings.database_url)
    store.migrate()
    rows = [json.loads(line) for line in LEGACY.read_text(encoding="utf-8").splitlines()]
    # A button press and a pre-checkout query, acknowledged, then the old server stopped.
    pending = [r for r in rows if r["event_id"] in ("851203118", "851203123")]
    with store.transaction() as conn:
        for row in pending:
            conn.execute(
                insert(inbox_table),
                {
                    "channel": row["channel"],
                    "event_id": row["event_id"],
                    "conversation_id": row["conversation_id"],
                    "kind": row["kind"],
                    "body": json.dumps(row),
                    "status": "pending",
                    "received_at": datetime(2026, 6, 9, 10, 14, tzinfo=UTC),
                },
            )
    store.close()

    platform = Platform()
    app = create_app(
        make_project(tmp_path), settings, transport=httpx.MockTransport(platform.handler)
    )
    with TestClient(app) as client:
        settle(client)
    # The ids the old rows kept in meta still reach Telegram.
    assert platform.calls("/answerCallbackQuery") == [{"callback_query_id": "530209584313337025"}]
    [refusal] = platform.calls("/answerPreCheckoutQuery")
    assert refusal["pre_checkout_query_id"] == "530209586120904177"
    assert refusal["ok"] is False

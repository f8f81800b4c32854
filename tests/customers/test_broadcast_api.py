"""An admin announces an outage from the console: planned counts, then every chat gets it once."""

from __future__ import annotations

import asyncio

from .test_customer_record import running

PASSWORD = "correct horse battery"


def test_an_admin_broadcasts_an_outage_and_a_second_post_sends_nothing(tmp_path):
    with running(tmp_path) as shop:
        client = shop.client
        agents = client.app.state.agents
        agents.add("alice", PASSWORD, "Alice Smith", admin=True)
        agents.add("bob", PASSWORD, "Bob Jones")
        alice = {"Authorization": f"Bearer {agents.new_token('alice')}"}
        bob = {"Authorization": f"Bearer {agents.new_token('bob')}"}
        shop.telegram(first_name="Ana", chat_id=51).say("hi")
        shop.telegram(first_name="Ola", chat_id=52, language_code="pl").say("cześć")
        shop.whatsapp(wa_id="48600000053").say("hi")
        body = {
            "purpose": "service",
            "texts": {
                "en": "Card payments are down until 14:00.",
                "pl": "Płatności kartą nie działają do 14:00.",
            },
        }
        assert client.post("/agent/api/broadcasts", json=body, headers=bob).status_code == 403
        assert client.post("/agent/api/broadcasts", json=body).status_code == 401

        plan = client.post("/agent/api/broadcasts", json={**body, "dry_run": True}, headers=alice)
        assert plan.status_code == 200, plan.text
        assert plan.json()["planned"] == {"free-form": 3} and plan.json()["to_send"] == 3

        start = shop.platform.count()
        sent = client.post("/agent/api/broadcasts", json=body, headers=alice)
        assert sent.status_code == 202, sent.text

        async def finish() -> None:
            await asyncio.gather(*client.app.state._broadcasts)

        client.portal.call(finish)
        calls = [b for _h, _p, b in shop.platform.since(start) if "text" in b]
        texts = [b["text"] if isinstance(b["text"], str) else b["text"]["body"] for b in calls]
        assert texts.count("Card payments are down until 14:00.") == 2  # Ana and WhatsApp
        assert texts.count("Płatności kartą nie działają do 14:00.") == 1
        bodies = [b for _h, _p, b in shop.platform.since(start) if b.get("type") == "text"]
        assert [b["text"]["body"] for b in bodies] == ["Card payments are down until 14:00."]
        status = client.get(f"/agent/api/broadcasts/{sent.json()['broadcast']}", headers=alice)
        assert status.json()["outcomes"] == {"sent": 3}

        again = client.post("/agent/api/broadcasts", json=body, headers=alice)
        assert again.status_code == 200 and again.json()["to_send"] == 0
        assert again.json()["planned"] == {"already sent": 3}

        bad = client.post("/agent/api/broadcasts", json={**body, "segment": "lego"}, headers=alice)
        assert bad.status_code == 422 and "key=value" in bad.json()["detail"]

"""The webhook fast path is middleware inside the app's stack, not a bypass of it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from bot.app import create_app
from tests.test_app import make_project, settings


def test_middleware_added_to_the_app_sees_webhook_requests(tmp_path):
    app = create_app(make_project(tmp_path), settings(tmp_path), typing_delay=60)
    seen: list[str] = []

    class Recording:
        def __init__(self, inner):
            self.inner = inner

        async def __call__(self, scope, receive, send):
            if scope["type"] == "http":
                seen.append(f"{scope['method']} {scope['path']}")
            await self.inner(scope, receive, send)

    app.add_middleware(Recording)
    with TestClient(app) as client:
        assert client.post("/webhooks/telegram", content=b"{}").status_code == 404
    assert seen == ["POST /webhooks/telegram"]


def test_the_webhook_routes_are_documented(tmp_path):
    app = create_app(make_project(tmp_path), settings(tmp_path), typing_delay=60)
    with TestClient(app) as client:
        paths = client.get("/openapi.json").json()["paths"]
    for name in ("telegram", "whatsapp", "messenger", "instagram", "line", "wire"):
        assert "post" in paths[f"/webhooks/{name}"], name

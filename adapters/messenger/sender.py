"""Sending to the Messenger Send API, with its error codes mapped to retry decisions."""

from __future__ import annotations

from typing import Any

import httpx

from ..base import OutboundCall
from ..meta import MetaSender


class MessengerSender(MetaSender):
    """POSTs calls to ``{graph_base}/{version}/me/messages`` with the Page access token.

    The token travels as an ``Authorization: Bearer`` header, not the ``access_token`` query
    parameter Meta's samples use: a URL ends up in access logs and httpx error messages.
    Retries 613, 4 and 32 (rate limits), 1, 2 and 1200 (temporary) and 5xx; code 10 subcode
    2018278 (outside the window) is permanent with ``response["window_closed"]``; 551 (person
    unavailable) marks the shopper unreachable; 190 (bad token) and other 4xx are permanent.
    """

    name = "messenger"
    retry_codes = frozenset({1, 2, 4, 32, 613, 1200})
    window_closed_codes = frozenset({(10, 2018278)})
    unreachable_codes = frozenset({551})

    def __init__(
        self,
        client: httpx.AsyncClient,
        page_token: str,
        *,
        graph_base: str = "https://graph.facebook.com",
        version: str = "v23.0",
        **retry: Any,
    ) -> None:
        super().__init__(client, page_token, graph_base=graph_base, version=version, **retry)

    def endpoint(self, call: OutboundCall) -> str:
        if call.method == "comment_reply":
            return f"{self.graph_base}/{self.version}/{call.payload['comment_id']}/comments"
        return f"{self.graph_base}/{self.version}/me/messages"

    def request(self, call: OutboundCall) -> httpx.Request:
        if call.method == "comment_reply":
            return self.json_request(
                self.endpoint(call),
                {"message": call.payload["message"]},
                {"Authorization": f"Bearer {self._token}"},
            )
        return super().request(call)

"""Sending to the Instagram messaging API, with Meta's error codes mapped to retry decisions."""

from __future__ import annotations

from typing import Any

import httpx

from ..base import OutboundCall
from ..meta import MetaSender


class InstagramSender(MetaSender):
    """POSTs messages to ``{graph_base}/{version}/{account_id}/messages`` and comment replies to
    ``/{comment-id}/replies``, with the account's token as a ``Bearer`` header.

    Retries 4, 613 and 32 (rate limits), 1, 2 and 1200 (temporary) and 5xx; code 10 subcode
    2018278 or 2534022 (outside the messaging window) is permanent with
    ``response["window_closed"]``; 551 (person unavailable) marks the shopper unreachable.
    """

    name = "instagram"
    retry_codes = frozenset({1, 2, 4, 32, 613, 1200})
    window_closed_codes = frozenset({(10, 2018278), (10, 2534022)})
    unreachable_codes = frozenset({551})

    def __init__(
        self,
        client: httpx.AsyncClient,
        token: str,
        account_id: str,
        *,
        graph_base: str = "https://graph.facebook.com",
        version: str = "v23.0",
        **retry: Any,
    ) -> None:
        super().__init__(client, token, graph_base=graph_base, version=version, **retry)
        if not account_id:
            raise ValueError("InstagramSender needs the Instagram account id")
        self.account_id = account_id

    def endpoint(self, call: OutboundCall) -> str:
        if call.method == "comment_reply":
            return f"{self.graph_base}/{self.version}/{call.payload['comment_id']}/replies"
        return f"{self.graph_base}/{self.version}/{self.account_id}/messages"

    def request(self, call: OutboundCall) -> httpx.Request:
        if call.method == "comment_reply":
            return self.json_request(
                self.endpoint(call),
                {"message": call.payload["message"]},
                {"Authorization": f"Bearer {self._token}"},
            )
        return super().request(call)

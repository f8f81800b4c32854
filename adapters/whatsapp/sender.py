"""Sending to the WhatsApp Cloud API, with its error codes mapped to retry decisions."""

from __future__ import annotations

from typing import Any

import httpx

from ..base import OutboundCall
from ..meta import MetaSender
from ..pace import PaceLimits, Rate


class WhatsAppSender(MetaSender):
    """POSTs calls to ``{graph_base}/{version}/{phone_number_id}/messages``, ``Bearer`` token.

    Retries 130429 (throughput), 131056 (pair rate: waits 6 s unless told otherwise), 4 and
    80007 (app / account rate limits), 1, 2 and 131016 (temporary) and 5xx. 131047 (outside the
    24-hour window) is permanent with ``response["window_closed"]``; 131026 (undeliverable) and
    131051 (unsupported message type) mark the shopper unreachable.
    """

    name = "whatsapp"
    retry_codes = frozenset({1, 2, 4, 80007, 130429, 131056, 131016})
    window_closed_codes = frozenset({(131047, None)})
    unreachable_codes = frozenset({131026, 131051})
    code_delays = {131056: 6.0}
    # 80 messages a second per business number by default (Meta raises it on request).
    limits = PaceLimits(overall=Rate(80.0, burst=80))

    def __init__(
        self,
        client: httpx.AsyncClient,
        token: str,
        phone_number_id: str,
        *,
        graph_base: str = "https://graph.facebook.com",
        version: str = "v23.0",
        **retry: Any,
    ) -> None:
        super().__init__(client, token, graph_base=graph_base, version=version, **retry)
        if not phone_number_id:
            raise ValueError("WhatsAppSender needs the business phone_number_id")
        self.phone_number_id = phone_number_id

    def endpoint(self, call: OutboundCall) -> str:
        return f"{self.graph_base}/{self.version}/{self.phone_number_id}/messages"

"""Errors of the Telegram adapter.

Beside the shared ones in :mod:`adapters.base`::

    AdapterError
     +-- WebhookRejected        (adapters.base) wrong or missing secret token: 401/403
     +-- BadPayload             (adapters.base) not an Update: 400
     +-- CallbackDataTooLong    a button payload over 64 bytes and no PayloadMap to keep it
"""

from __future__ import annotations

from adapters.base import AdapterError

CALLBACK_DATA_LIMIT = 64  # bytes of UTF-8, not characters


class CallbackDataTooLong(AdapterError, ValueError):
    """A choice's payload does not fit Telegram's ``callback_data`` and cannot be shortened."""

    def __init__(self, label: str, payload: str, detail: str) -> None:
        size = len(payload.encode("utf-8"))
        super().__init__(
            f"the choice {label!r} carries a payload of {size} bytes; Telegram's callback_data "
            f"holds 1-{CALLBACK_DATA_LIMIT} bytes. {detail}"
        )
        self.label = label
        self.payload = payload


__all__ = ["CALLBACK_DATA_LIMIT", "CallbackDataTooLong"]

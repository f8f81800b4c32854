"""Ids in paths: ``{ticket_id:id}`` matches 1-18 ASCII digits, anything else is a 404.

FastAPI's ``int`` path parameter takes ``99999999999999999999`` (and answers 500 when the
database cannot hold it) or a 422 for ``abc``; a ticket or canned response that cannot exist
is simply not found. Eighteen digits stay inside every database's 64-bit integer.
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor

MAX_ID = 10**18 - 1  # the largest id a path or query may name


class IdConvertor(Convertor[int]):
    regex = "[0-9]{1,18}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        if not 0 <= value <= MAX_ID:
            raise ValueError(f"{value} is not an id")
        return str(value)


register_url_convertor("id", IdConvertor())

__all__ = ["MAX_ID", "IdConvertor"]

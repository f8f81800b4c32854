"""Numbers from untrusted text: ASCII digits only, within bounds.

``str.isdigit`` says yes to ``²`` and ``٣``, which ``int()`` then refuses or reads as a
number nobody typed; ``int()`` accepts ``+1``, `` 1 ``, ``1_000`` and digits of any script,
and a 20-digit id overflows SQLite. Every number that comes from a request (a signature's
timestamp, a platform's timestamp, an id in a path, a Content-Length) is read here instead.
"""

from __future__ import annotations

import re

_DIGITS = re.compile(r"[0-9]{1,19}", re.ASCII)
INT64_MAX = (1 << 63) - 1


def parse_ascii_int(text: object, *, low: int = 0, high: int = INT64_MAX) -> int | None:
    """``text`` as an integer when it is 1-19 ASCII digits between ``low`` and ``high``
    (inclusive); None for anything else, never an exception."""
    if not isinstance(text, str) or not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if low <= number <= high else None


__all__ = ["INT64_MAX", "parse_ascii_int"]

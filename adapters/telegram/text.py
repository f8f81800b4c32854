"""Measuring and cutting text to Telegram's limits.

Lengths are counted in UTF-16 code units, the unit Telegram uses for entity offsets. Reports
disagree on whether the 4096/1024 limits count code units or code points; an emoji is one code
point but two code units, so counting units is the reading that is never refused.
"""

from __future__ import annotations

import codecs

# The codec's module loads with this one (at start) rather than with a server's first reply.
codecs.lookup("utf-16-le")

MESSAGE_LIMIT = 4096  # sendMessage text, after entity parsing
CAPTION_LIMIT = 1024  # sendPhoto caption, after entity parsing
ELLIPSIS = "…"


def utf16_len(text: str) -> int:
    """Length of ``text`` as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


def _fit(text: str, limit: int) -> int:
    """How many leading characters of ``text`` fit in ``limit`` code units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def _last_space(text: str, end: int) -> int:
    """Index of the last whitespace character at or before ``end``, or -1."""
    for index in range(min(end, len(text) - 1), -1, -1):
        if text[index].isspace():
            return index
    return -1


def _cut_point(text: str, fit: int) -> int:
    """Where to end a chunk of at most ``fit`` characters: paragraph, line, word, else ``fit``.

    A boundary in the first half of the window is skipped in favour of a finer one further on,
    so one early blank line does not leave a three-word message.
    """
    window = text[: fit + 1]  # a separator right after the window is still a clean cut
    half = fit // 2
    for separator in ("\n\n", "\n"):
        index = window.rfind(separator)
        if index > half:
            return index
    space = _last_space(text, fit)
    if space > 0:
        return space
    return fit  # a single word longer than the limit: no choice but to break it


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """``text`` in chunks of at most ``limit`` code units, cut at the best boundary."""
    if limit < 2:
        raise ValueError("limit must be at least 2 code units, the size of one emoji")
    chunks: list[str] = []
    rest = text.strip()
    while utf16_len(rest) > limit:
        cut = _cut_point(rest, _fit(rest, limit))
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks


def truncate(text: str, limit: int) -> str:
    """``text`` shortened to ``limit`` code units, ending with an ellipsis at a word if it can."""
    if utf16_len(text) <= limit:
        return text
    if limit < 1:
        return ""
    fit = _fit(text, limit - utf16_len(ELLIPSIS))
    space = _last_space(text, fit)
    cut = space if space > fit // 2 else fit
    return text[:cut].rstrip() + ELLIPSIS


__all__ = ["CAPTION_LIMIT", "ELLIPSIS", "MESSAGE_LIMIT", "split_text", "truncate", "utf16_len"]

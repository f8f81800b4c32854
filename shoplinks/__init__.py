"""Which URLs may become a link or an image in front of a shopper (a neutral package: feeds,
flows and adapters all use it, and the feed parser process imports it without the rest).

Feeds, flows and actions hand us URLs that end up as ``href`` and ``src`` in the web chat and
as buttons on the platforms. Only ``http`` and ``https`` addresses with a host qualify for
pages and images (``tel:`` and ``mailto:`` for contact links where a caller asks for them); a
``javascript:``, ``data:`` or ``file:`` URL, one with spaces or control characters, or one
with a user name and password in it never does.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

WEB = frozenset({"http", "https"})
CONTACT = frozenset({"tel", "mailto"})
MAX_URL = 2048
# The plain shape nearly every feed's links and images have: an http(s) scheme, a host name
# (no user, no IPv6 brackets), maybe a port, then printable ASCII. Such a URL passes every
# check below, and one regular expression decides it 10 times faster than urlsplit (a
# million-item feed has two or three URLs an item). Anything else takes the full path.
_PLAIN_WEB = re.compile(r"(?:https?|HTTPS?)://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:[/?#][!-~]*)?")


def safe_url(value: object, schemes: frozenset[str] = WEB) -> str | None:
    """``value`` stripped, if it is a URL of one of ``schemes`` fit to show; else None."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or len(url) > MAX_URL or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. a malformed IPv6 host
        return None
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        return None
    if scheme in WEB:
        try:
            host = parts.hostname
        except ValueError:
            return None
        if not host or parts.username is not None or parts.password is not None:
            return None
    elif not (parts.path or parts.netloc):
        return None
    return url


def web_url(value: object) -> str | None:
    """An http(s) page or image address, or None."""
    if isinstance(value, str) and len(value) <= MAX_URL and _PLAIN_WEB.fullmatch(value):
        return value
    return safe_url(value, WEB)


__all__ = ["CONTACT", "WEB", "safe_url", "web_url"]

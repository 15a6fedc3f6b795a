"""The one rule for URLs a server hands us (Link headers, `next`/`self`/`url` fields): the
account's credential may only travel to the account's own API.

A URL passes when it is relative (resolved under the base URL by the client), or when it has
the base URL's scheme, host and port and lies under its path. Anything else is refused before
a request is built, so an `Authorization` header can never reach another origin.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import SplitResult, urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
UNKNOWN_ORIGIN = "an unknown host"


def _origin(parts: SplitResult) -> tuple[str, str, int | None]:
    scheme = parts.scheme.lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:  # a port that is not a number: no origin matches it
        return (scheme, "", -1)
    return (scheme, (parts.hostname or "").lower(), port)


def _has_dot_segment(path: str) -> bool:
    return any(seg in (".", "..") for seg in path.split("/"))


# Remembered: a pure function of two strings, asked before every request (the gateway's
# check), and polls ask about the same few paths again and again.
@lru_cache(maxsize=1024)
def within_base(base_url: str, url: str) -> bool:
    """True when sending the account's credential to `url` stays inside `base_url`."""
    parts = urlsplit(url.strip())
    if _has_dot_segment(parts.path) or "\\" in url:
        return False  # "/api/../../elsewhere" and backslash tricks escape the prefix
    if not parts.scheme and not parts.netloc:
        return True  # relative: the client joins it under the base URL itself
    base = urlsplit(base_url)
    if _origin(parts) != _origin(base) or parts.username or parts.password:
        return False
    prefix = base.path.rstrip("/")
    return parts.path == prefix or parts.path.startswith(prefix + "/") or not prefix


def origin_of(url: str) -> str:
    """`scheme://host:port` of a URL, for messages (never its path or query)."""
    scheme, host, port = _origin(urlsplit(url.strip()))
    return f"{scheme}://{host}:{port}" if host else UNKNOWN_ORIGIN

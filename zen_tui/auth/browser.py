"""Opening the system browser, optionally: a machine without one still gets the URL shown."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

Browser = Callable[[str], bool]


async def try_open(open_browser: Browser | None, url: str) -> bool:
    """True if a browser was opened on `url` (run off the event loop: it can block)."""
    if open_browser is None:
        return False
    try:
        return bool(await asyncio.to_thread(open_browser, url))
    except Exception:  # no browser, no display: the caller shows the URL anyway
        return False

"""Hidden idempotency markers, so verify() can find an action that already landed.

GitHub renders Markdown, so an HTML comment is invisible there. Slack and Jira (ADF) have no
hidden text, so the key is spelled in zero-width characters after the visible text: it
survives the round trip as plain text, shows nothing, and needs no extra API feature.
"""

from __future__ import annotations

import re

_ZERO, _ONE, _EDGE = "\u200b", "\u200c", "\u2060"
_ZW_RE = re.compile(f"{_EDGE}([{_ZERO}{_ONE}]+){_EDGE}")
# The marker as html_marker() writes it, with the blank line the writers put before it.
_HTML_RE = re.compile(r"\s*<!-- zen-tui:[^\s<>]+ -->")


def html_marker(key: str) -> str:
    return f"<!-- zen-tui:{key} -->"


def has_html_marker(text: str, key: str) -> bool:
    return html_marker(key) in text


def strip_html(text: str) -> str:
    """GitHub text as its page shows it: zen-tui's markers (HTML comments, which GitHub
    renders as nothing) removed; any other text, a user's own HTML comment included, kept."""
    return _HTML_RE.sub("", text)


def zw_marker(key: str) -> str:
    bits = "".join(f"{byte:08b}" for byte in key.encode())
    return _EDGE + bits.replace("0", _ZERO).replace("1", _ONE) + _EDGE


def zw_keys(text: str) -> list[str]:
    """Every key hidden in `text` (normally zero or one)."""
    keys = []
    for match in _ZW_RE.finditer(text):
        bits = match.group(1).replace(_ZERO, "0").replace(_ONE, "1")
        if len(bits) % 8:
            continue
        raw = bytes(int(bits[i : i + 8], 2) for i in range(0, len(bits), 8))
        keys.append(raw.decode(errors="replace"))
    return keys


def strip_zw(text: str) -> str:
    """The text as a user should see it (markers removed)."""
    return _ZW_RE.sub("", text)

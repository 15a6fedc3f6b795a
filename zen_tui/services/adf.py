"""Atlassian Document Format <-> plain text, as much as a triage list needs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

_BLOCKS = {
    "paragraph",
    "heading",
    "blockquote",
    "codeBlock",
    "listItem",
    "rule",
    "panel",
    "blockCard",
}


def to_text(node: Any) -> str:
    """Plain text of an ADF document (or of a v2-style plain string)."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node
    parts: list[str] = []
    _walk(node, parts)
    return "".join(parts).strip()


_BLOCK_END = object()  # on the stack after a block's content: end the block's line there


def _walk(root: Any, out: list[str]) -> None:
    """Depth first, on a stack of its own rather than Python's: a description nested as deep
    as json.loads still reads (~1000 levels) would otherwise overflow a few frames further
    down, here, and fail the whole page with RecursionError."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node is _BLOCK_END:
            if out and not out[-1].endswith("\n"):
                out.append("\n")
        elif isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, dict):
            kind = node.get("type")
            _inline(node, kind, out)
            if kind in _BLOCKS:
                stack.append(_BLOCK_END)
            stack.append(node.get("content"))


def _inline(node: dict[str, Any], kind: Any, out: list[str]) -> None:
    """The text a node holds itself (its children are walked after it)."""
    if kind == "text" and isinstance(node.get("text"), str):
        out.append(node["text"])
    elif kind == "hardBreak":
        out.append("\n")
    elif kind == "mention":
        attrs = node.get("attrs") or {}
        out.append(str(attrs.get("text") or "@" + str(attrs.get("id", ""))))
    elif kind in _ATOMS:
        attrs = node.get("attrs")
        out.append(_ATOMS[kind](attrs) if isinstance(attrs, dict) else "")


def _date(attrs: dict[str, Any]) -> str:
    """A date node's `timestamp`: epoch milliseconds as a string, shown as the UTC day."""
    try:
        when = datetime.fromtimestamp(int(str(attrs.get("timestamp"))) / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return ""
    return when.strftime("%Y-%m-%d")


# Inline nodes that hold their content in attrs, not in text children: Jira's editor turns a
# pasted link into an inlineCard (or a blockCard), and has emoji, status lozenges and dates.
_ATOMS: dict[str, Callable[[dict[str, Any]], str]] = {
    "inlineCard": lambda a: str(a.get("url") or ""),
    "blockCard": lambda a: str(a.get("url") or ""),
    "emoji": lambda a: str(a.get("text") or a.get("shortName") or ""),
    "status": lambda a: f"[{a['text']}]" if a.get("text") else "",
    "date": _date,
}


def from_text(text: str) -> dict[str, Any]:
    """An ADF doc with one paragraph per line of `text`."""
    paragraphs = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}] if line else []}
        for line in text.split("\n")
    ]
    return {"type": "doc", "version": 1, "content": paragraphs}

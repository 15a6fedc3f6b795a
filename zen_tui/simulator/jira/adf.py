"""Atlassian Document Format (ADF) helpers for the Jira simulator.

Jira v3 carries descriptions and comment bodies as ADF documents; the simulator builds them
from plain text, checks what clients send, and flattens them for search and rendering.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

ADF_ERROR = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"


def from_text(text: str) -> dict[str, Any]:
    """One paragraph per line of `text` (empty lines dropped), as Jira stores plain input."""
    paragraphs = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}]}
        for line in text.splitlines()
        if line.strip()
    ]
    return {"type": "doc", "version": 1, "content": paragraphs}


def is_document(value: Any) -> bool:
    """A top-level ADF doc: type doc, version 1, a content list of typed nodes."""
    if not isinstance(value, dict) or value.get("type") != "doc" or value.get("version") != 1:
        return False
    content = value.get("content")
    return isinstance(content, list) and all(_is_node(node) for node in content)


def _is_node(node: Any) -> bool:
    if not isinstance(node, dict) or not isinstance(node.get("type"), str):
        return False
    if node["type"] == "text" and not isinstance(node.get("text"), str):
        return False
    children = node.get("content", [])
    return isinstance(children, list) and all(_is_node(child) for child in children)


def to_text(doc: dict[str, Any] | None) -> str:
    """Plain text of a document: text nodes joined, one line per block."""
    if not doc:
        return ""
    return "\n".join(_block_text(block) for block in doc.get("content", []))


def _block_text(node: dict[str, Any]) -> str:
    kind, attrs = node.get("type"), node.get("attrs") or {}
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "mention":
        return "@" + str(attrs.get("text", "").lstrip("@"))
    if kind in _INLINE_ATOMS:
        return _INLINE_ATOMS[kind](attrs)
    return "".join(_block_text(child) for child in node.get("content", []))


def _date(attrs: dict[str, Any]) -> str:
    try:
        stamp = int(str(attrs.get("timestamp", ""))) / 1000  # epoch milliseconds, as a string
    except ValueError:
        return ""
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d")


# Inline nodes without text children (developer.atlassian.com/cloud/jira/platform/apis/
# document/nodes/): a pasted link becomes an inlineCard (or a blockCard) holding only its url,
# an emoji has `text` (or only `shortName`), a status lozenge `text`, a date `timestamp` (ms).
_INLINE_ATOMS: dict[str, Callable[[dict[str, Any]], str]] = {
    "inlineCard": lambda a: str(a.get("url", "")),
    "blockCard": lambda a: str(a.get("url", "")),
    "emoji": lambda a: str(a.get("text") or a.get("shortName", "")),
    "status": lambda a: str(a.get("text", "")),
    "date": _date,
}


def related(url: str, status: str) -> dict[str, Any]:
    """A paragraph as Jira's editor stores a pasted link, an emoji and a status lozenge."""
    return {
        "type": "paragraph",
        "content": [
            {"type": "text", "text": "Related: "},
            {"type": "inlineCard", "attrs": {"url": url}},
            {"type": "text", "text": " "},
            {
                "type": "emoji",
                "attrs": {"shortName": ":eyes:", "id": "1f440", "text": "\U0001f440"},
            },
            {"type": "text", "text": " "},
            {"type": "status", "attrs": {"text": status, "color": "blue", "localId": "s1"}},
        ],
    }


def mentioned(doc: dict[str, Any] | None) -> set[str]:
    """The account ids of the `mention` nodes in a document (`@Name` in Jira's editor)."""
    found: set[str] = set()
    stack = list((doc or {}).get("content", []))
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        if node.get("type") == "mention" and isinstance(node.get("attrs"), dict):
            found.add(str(node["attrs"].get("id", "")))
        stack.extend(node.get("content", []) if isinstance(node.get("content"), list) else [])
    return found


def to_html(doc: dict[str, Any] | None) -> str:
    """The `renderedFields` form: each block as an HTML paragraph."""
    return "".join(f"<p>{html.escape(line)}</p>" for line in to_text(doc).splitlines())

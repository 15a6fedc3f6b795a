"""Data into widgets: a string from a server, a config or a file is shown, never run.

Textual parses a plain `str` given to Static, Label, notify, border titles, tooltips, option
prompts and DataTable cells as content markup: `[@click=screen.triage('approve')]` in an error
message becomes a link that approves the PR under the cursor, and an unbalanced `[/]` raises
MarkupError and ends the app. So every such string goes in as `Content` (never parsed), with its
control and bidi characters made visible (zen_tui.text_safety).
"""

from __future__ import annotations

from rich.text import Text
from textual.content import Content
from textual.widgets import Static

from zen_tui.text_safety import clean


def plain(text: str, *, multiline: bool = False) -> Content:
    """`text` as content that is never parsed as markup and cannot drive the terminal."""
    return Content(clean(text, multiline=multiline))


def with_markup(data: str, markup: str) -> Content:
    """Data followed by our own markup (a key hint, say): only `markup` is parsed."""
    return plain(data, multiline=True) + Content.from_markup(markup)


def show(widget: Static, content: Content | Text) -> None:
    """`widget.update(content)` unless the widget shows that already (same text, same styles).
    Each update lays the whole screen out again and repaints it; the dashboard's tick, once a
    second, mostly repeats what its cards, tabs and status line show."""
    if not _same(widget.content, content):
        widget.update(content)


def _same(shown: object, new: Content | Text) -> bool:
    if isinstance(new, Content):  # Content's == compares the text alone, not its styles
        return isinstance(shown, Content) and (shown.plain, shown.spans) == (new.plain, new.spans)
    looks = ("style", "justify", "overflow", "no_wrap", "end", "tab_size")
    return (  # Text's == compares the text and its spans, not the whole text's own settings
        isinstance(shown, Text)
        and shown == new
        and all(getattr(shown, a) == getattr(new, a) for a in looks)
    )

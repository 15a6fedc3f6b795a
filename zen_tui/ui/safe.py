"""Data into widgets: a string from a server, a config or a file is shown, never run.

Textual parses a plain `str` given to Static, Label, notify, border titles, tooltips, option
prompts and DataTable cells as content markup: `[@click=screen.triage('approve')]` in an error
message becomes a link that approves the PR under the cursor, and an unbalanced `[/]` raises
MarkupError and ends the app. So every such string goes in as `Content` (never parsed), with its
control and bidi characters made visible (zen_tui.text_safety).
"""

from __future__ import annotations

from textual.content import Content

from zen_tui.text_safety import clean


def plain(text: str, *, multiline: bool = False) -> Content:
    """`text` as content that is never parsed as markup and cannot drive the terminal."""
    return Content(clean(text, multiline=multiline))


def with_markup(data: str, markup: str) -> Content:
    """Data followed by our own markup (a key hint, say): only `markup` is parsed."""
    return plain(data, multiline=True) + Content.from_markup(markup)

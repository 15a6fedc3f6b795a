"""A pull request's diff as the preview draws it: each file's name, status and counts, then
its patch with added, removed and hunk lines in the theme's colours.

Every filename and patch line is server data: appended as plain Text (never markup) and
cleaned of terminal controls. A long patch is cut with a note, so one generated file cannot
make the preview build a million-line Text.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.style import Style
from rich.text import Text

from zen_tui.models import FileDiff, Item, PullDiff
from zen_tui.text_safety import clean

ADD, DEL, HUNK, META = "diff--add", "diff--del", "diff--hunk", "diff--meta"
DIFF_CLASSES = {ADD, DEL, HUNK, META}
FILE_LINES = 400  # patch lines shown per file before "… N more lines"
TOTAL_LINES = 3000  # patch lines shown in all, before the remaining files are only listed

DiffStyles = Mapping[str, Style]
NO_DIFF_STYLES: DiffStyles = {name: Style() for name in DIFF_CLASSES}


def diff_css(widget_type: str) -> str:
    """Theme colours for the diff lines; a user's TCSS may restyle `.diff--add` & co."""
    return (
        f"{widget_type} > .{ADD} {{ color: $success; }}\n"
        f"{widget_type} > .{DEL} {{ color: $error; }}\n"
        f"{widget_type} > .{HUNK} {{ color: $accent; }}\n"
        f"{widget_type} > .{META} {{ color: $text-muted; text-style: bold; }}\n"
    )


def render_diff(item: Item, diff: PullDiff | None, styles: DiffStyles = NO_DIFF_STYLES) -> Text:
    text = Text()
    text.append(f"{clean(item.key)}  diff (D: back to the preview)\n", style="bold")
    text.append(f"{clean(item.title)}\n\n", style="bold underline")
    if diff is None:
        text.append("loading the changed files…\n", style="italic dim")
        return text
    if diff.error:
        text.append(f"partial: {clean(diff.error)}\n\n", style=styles[DEL])
    adds = sum(f.additions for f in diff.files)
    dels = sum(f.deletions for f in diff.files)
    text.append(f"{len(diff.files):,} files changed, +{adds:,} -{dels:,}\n", style="dim")
    if diff.cut:
        text.append(f"{clean(diff.cut)}; open it on GitHub (o) for the rest\n", style=styles[HUNK])
    budget = TOTAL_LINES
    for n, change in enumerate(diff.files):
        if budget <= 0:
            rest = len(diff.files) - n
            text.append(f"\n… {rest:,} more files not shown here\n", style="italic dim")
            for later in diff.files[n:]:
                text.append(f"  {clean(later.filename)}\n")
            break
        budget -= _file(text, change, min(FILE_LINES, budget), styles)
    return text


def _file(text: Text, change: FileDiff, limit: int, styles: DiffStyles) -> int:
    """One file's heading and up to `limit` lines of its patch; returns the lines drawn."""
    moved = f" (from {clean(change.previous_filename)})" if change.previous_filename else ""
    counts = f"+{change.additions} -{change.deletions}"
    heading = f"\n{clean(change.filename)}{moved}  {clean(change.status)} {counts}\n"
    text.append(heading, style=styles[META])
    patch = change.patch
    if patch is None:
        text.append("  (no patch from GitHub: a binary file or a diff too large)\n", style="dim")
        return 1
    lines = patch.split("\n")
    for line in lines[:limit]:
        kind = _kind(line)
        text.append(clean(line) + "\n", style=styles[kind] if kind else "")
    if len(lines) > limit:
        more = len(lines) - limit
        text.append(f"… {more:,} more lines of this file not shown\n", style="italic dim")
    return min(len(lines), limit)


def _kind(line: str) -> str | None:
    if line.startswith("@@"):
        return HUNK
    if line.startswith("+"):
        return ADD
    if line.startswith("-"):
        return DEL
    return None

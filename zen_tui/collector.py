"""Turning the cyclic garbage collector back on, for the console script's processes
(zen_tui/console.py says why it starts off). Here, below the CLI and its commands, so the
dashboard command can do it once its first frame is out."""

from __future__ import annotations

import gc


def resume_collection() -> None:
    """Turn the collector back on for a command that runs long, what start-up built frozen
    first (never walked again). A no-op where it is on: in a process the console script did
    not start (tests calling cli.main), or when resumed already."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def resume_after_start() -> None:
    """resume_collection once a start that ran with the collector off is over (the
    dashboard's first frame): its few cyclic leftovers are collected first, not frozen."""
    if not gc.isenabled():
        gc.collect()
    resume_collection()

"""Keep httpx's own command-line client from loading with httpx.

`import httpx` imports `httpx._main` (its `httpx` console command) eagerly, and with it click,
pygments and rich.progress/rich.syntax: 40-90 ms and several MiB that zen-tui never uses. A
stand-in module takes its place in sys.modules; calling its `main` (nobody in this process
does) drops the stand-in and runs the real one, so httpx behaves the same when asked.
"""

from __future__ import annotations

import importlib
import sys
import types

NAME = "httpx._main"


def _real_main(*args: object, **kwargs: object) -> object:
    if sys.modules.get(NAME) is _STAND_IN:
        del sys.modules[NAME]
    return importlib.import_module(NAME).main(*args, **kwargs)


_STAND_IN = types.ModuleType(NAME, "stand-in for httpx's CLI; see zen_tui._httpx_cli")
_STAND_IN.main = _real_main  # type: ignore[attr-defined]  # ModuleType stubs declare no `main`


def install() -> None:
    """Before httpx is first imported; a no-op once the real CLI module is loaded."""
    sys.modules.setdefault(NAME, _STAND_IN)

"""Loggers that load `logging`, and set up the log file, when first used.

`logging` costs a command about 7 ms at start (with threading, traceback, weakref and string).
A command that only reads the store (`list`, `health`, `outbox`) usually has nothing to log:
the CLI hands its log file's setup to `set_up_when_used` instead of running it, and the first
record logged through `get_logger`'s loggers runs it, so that record and any after it reach
the file as they always did; a run with nothing to say neither loads `logging` nor writes a
line. The modules on those commands' paths take their loggers from here; modules that load
`logging` anyway (the network stack, the UI) keep `logging.getLogger`.
tests/unit/cli/test_light_imports.py checks those commands leave `logging` unloaded.
"""

from __future__ import annotations

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without loading typing (zen_tui/commands)
if TYPE_CHECKING:
    from typing import Any

if TYPE_CHECKING:
    import logging
    from collections.abc import Callable

_setup: Callable[[], object] | None = None


def set_up_when_used(setup: Callable[[], object] | None) -> None:
    """Run `setup` (once) before the first record a `get_logger` logger handles; None drops
    a setup not run yet."""
    global _setup
    _setup = setup


def get_logger(name: str) -> logging.Logger:
    """logging.getLogger(name), loaded when a method is first called: the waiting setup runs
    first. Typed as the Logger every call reaches."""
    found: logging.Logger = _OnDemand(name)  # type: ignore[assignment]  # Logger's methods
    return found


def _logger(name: str) -> logging.Logger:
    global _setup
    import logging

    setup, _setup = _setup, None
    if setup is not None:  # cleared first: a record logged by the setup itself finds none
        setup()
    return logging.getLogger(name)


class _OnDemand:
    """Stands for logging.getLogger(name). Not kept after the first call: a later setup (the
    next command run in the same process, in tests) still runs before its first record."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(_logger(self.name), attr)

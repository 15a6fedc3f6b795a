"""Subcommands of `zen-tui`, one module each; `zen_tui.cli` collects them.

Each `zen_tui/commands/<module>.py` is the one place for its command (the `Command` protocol
below): its one-line `HELP`, its `arguments` and its `run`, which returns the process exit
status (0 ok, 1 failure, 2 bad input). `args` holds the global options (config, data_dir,
demo, log_level) and the command's own. Print user output on stdout, one-line errors on
stderr; log details with `logging` (they go to the log file, redacted), or, in a command of
STORE_ONLY and the modules it runs, with `zen_tui.lazy_log.get_logger`.

The CLI imports a command's module when the command line names it, and every command module
for `zen-tui --help` (which lists them all) or a line it cannot read without argparse (a
misspelt command is answered with the right names). So a module's top imports stay light:
heavy modules (Textual, httpx, the keyring, the sync engine, asyncio), and even json and
getpass (a millisecond of every `--help`), are imported inside `run` or the helpers that use
them. Only `dashboard` may open Textual; the rest never import it, not even indirectly.
"""

from __future__ import annotations

import importlib

# The modules a store-only command loads to answer by its `quick` (below) load no typing: it is
# ~14 M instructions, a tenth of such a command. They take typing's TYPE_CHECKING flag as
# False themselves and import typing's names for type checkers only;
# tests/unit/cli/test_light_imports.py checks that typing stays out.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Protocol

    from zen_tui.config import Settings

# `zen-tui <command>` -> module name in this package, in the order `--help` lists them.
COMMAND_MODULES: dict[str, str] = {
    "dashboard": "dashboard",
    "init": "init",
    "simulate": "simulate",
    "sync": "sync",
    "list": "list_items",
    "health": "health",
    "act": "act",
    "auth": "auth",
    "outbox": "outbox",
    "webhooks": "webhooks",
}

# Commands that only read or tidy the store (unless run with --demo): no network, no event
# loop, work bounded by the store. Every record they log goes through zen-tui's own loggers
# (zen_tui.lazy_log), no library's, so their log file is set up when they first log (a run
# with nothing to say loads no `logging`, ~7 ms); and they run to the end with the garbage
# collector off (zen_tui/console.py). The others set the log up, and the collector on, at start.
STORE_ONLY = frozenset({"list", "health", "outbox"})
# A command of STORE_ONLY may also have `quick(args, facts, data_dir) -> int | None`: the same
# command answered from the facts kept with the config's parse (config.headless_facts) and
# the store opened as it is (store.plain.open_as_is), with no msgspec (cli._quick). It returns
# None, having written nothing, whenever it cannot answer exactly as `run` would; `run` then
# answers.


# What a command module provides (checked at run time by command_module).
COMMAND_NAMES = ("HELP", "arguments", "run")

if TYPE_CHECKING:

    class Command(Protocol):
        """What a command module provides."""

        HELP: str

        def arguments(
            self, parser: argparse.ArgumentParser, common: argparse.ArgumentParser
        ) -> None:
            """Add the command's own arguments to `parser`. `common` holds the global options:
            a command with verbs (`auth login`) passes it as a parent of each verb's parser, so
            the global options work after the verb too."""

        def run(self, args: argparse.Namespace, settings: Settings) -> int:
            """Do the command; the process exit status."""


def command_module(name: str) -> Command | None:
    """The module of `zen-tui NAME`; None when this build leaves it out."""
    qualified = f"{__name__}.{COMMAND_MODULES[name]}"
    try:
        module = importlib.import_module(qualified)
    except ModuleNotFoundError as exc:
        if exc.name != qualified:
            raise
        return None
    if not all(hasattr(module, name) for name in COMMAND_NAMES):
        raise TypeError(f"{qualified} lacks HELP, arguments or run (see {__name__})")
    found: Command = module  # a module of HELP, arguments and run: checked just above
    return found

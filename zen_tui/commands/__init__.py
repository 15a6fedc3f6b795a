"""Subcommands of `zen-tui`, one module each, imported lazily by `zen_tui.cli`.

Convention: `zen_tui/commands/<module>.py` exposes

    def run(args: argparse.Namespace, settings: zen_tui.config.Settings) -> int

returning the process exit status (0 ok, 1 failure, 2 bad input). `args` holds the global
options (config, data_dir, demo, log_level) and the subcommand's own options as parsed in
`zen_tui.cli.build_parser`. Print user output on stdout, one-line errors on stderr; log
details with `logging` (they go to the log file, redacted). Headless commands (sync,
list_items, health, act, auth, simulate) must never import Textual, not even indirectly:
import heavy modules inside `run`, and keep this package's `__init__` empty of imports.

Modules: dashboard, init, simulate, sync, list_items (`zen-tui list`), health, act, auth,
webhooks, outbox.
"""

# `zen-tui <command>` -> module name in this package.
COMMAND_MODULES: dict[str, str] = {
    "dashboard": "dashboard",
    "init": "init",
    "simulate": "simulate",
    "sync": "sync",
    "list": "list_items",
    "health": "health",
    "act": "act",
    "auth": "auth",
    "webhooks": "webhooks",
    "outbox": "outbox",
}

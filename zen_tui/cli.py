"""The `zen-tui` entry point: parse the command line, set up logging, load the config,
and hand over to `zen_tui.commands.<name>.run(args, settings)`.

Commands are imported only when chosen, so `zen-tui list` never pays for (or imports) Textual.
`main` never lets a traceback reach the terminal: config and store mistakes (a store from a
newer zen-tui, an unwritable data folder) exit 2 with their one-line message, Ctrl-C exits
130, anything else exits 1 with a redacted summary and the log path.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, get_args

from zen_tui import __version__, paths
from zen_tui.commands import COMMAND_MODULES
from zen_tui.config import (
    ConfigError,
    Settings,
    load_settings,
    register_secrets,
)
from zen_tui.logs import (
    current_log_file,
    redact,
    setup_logging,
)
from zen_tui.models import ActionKind
from zen_tui.store import (
    InvalidTransition,
    StoreError,
    StoreRecovered,
    take_recovery_messages,
)
from zen_tui.store.notices import disk_full_seen, reset_disk_full, set_listener
from zen_tui.store.rows import DiskFull, StoreFull
from zen_tui.text_safety import SafeWriter

log = logging.getLogger("zen_tui.cli")

PROG = "zen-tui"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# `share` is an action kind too; `issue-from-message` makes a chain (zen_tui/crosslink.py).
ACTION_KINDS: tuple[str, ...] = (*get_args(ActionKind), "issue-from-message")


class UsageError(Exception):
    """Bad command-line input found after parsing; exit 2 with this message."""


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """The options every command takes, before or after the command name."""
    default: Any = argparse.SUPPRESS if suppress else None
    parser.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        default=default,
        help="config file (default: $ZEN_TUI_CONFIG, else the platform "
        "config folder's config.toml)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="PATH",
        default=default,
        help="folder for the store and logs (default: $ZEN_TUI_DATA_DIR, "
        "else the platform data folder)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="run against the bundled simulator: no account, no network",
    )
    parser.add_argument(
        "--log-level",
        type=str.upper,
        choices=LOG_LEVELS,
        default=default,
        help="log file detail (default: INFO)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Triage GitHub, Jira and Slack from one terminal dashboard.",
        epilog=f"config file:   {paths.config_path()}\ndata and logs: {paths.data_dir()}",
        formatter_class=argparse.RawDescriptionHelpFormatter,  # keep long paths on one line
    )
    _global_options(parser, suppress=False)
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, suppress=True)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], help=help_text, description=help_text)

    add("dashboard", "open the dashboard (the default command)")
    _init_options(add("init", "write a starter config (asks a few questions, or --yes)"))
    _simulate_options(add("simulate", "serve the GitHub/Jira/Slack simulator on loopback"))
    add("sync", "refresh every section into the local store").add_argument(
        "--once", action="store_true", help="one refresh, then exit (default: keep polling)"
    )
    _list_options(add("list", "print the items of one pane"))
    add("health", "show each account's breaker, rate budget, cache and outbox").add_argument(
        "--json", action="store_true", help="machine-readable output"
    )
    _act_options(add("act", "queue a triage action on one item (through the outbox)"))
    _auth_options(add("auth", "log in, log out, or show the login state per account"))
    _outbox_options(add("outbox", "list queued/failed actions, retry or clear them"))
    add("webhooks", "show webhook URLs to register, secrets set, queue and counters").add_argument(
        "--json", action="store_true", help="machine-readable output"
    )
    return parser


def _init_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--yes", "-y", action="store_true", help="ask nothing: use what is detected")
    p.add_argument("--force", action="store_true", help="overwrite an existing config")
    p.add_argument("--jira-url", metavar="URL", help="add a Jira site (with --yes)")
    p.add_argument("--jira-email", metavar="EMAIL", help="your Atlassian email for it")


def _simulate_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8765, help="port (default: 8765; 0 = any free)")
    p.add_argument("--seed", type=int, default=1, help="seed of the generated world (default: 1)")
    p.add_argument(
        "--size", type=_positive_int, default=300, help="number of items per service (default: 300)"
    )
    p.add_argument(
        "--scenario",
        metavar="NAME|FILE",
        help="fault scenario: a bundled name (tour, steady) or a TOML file",
    )
    p.add_argument("--activity", action="store_true", help="add new items over time")


def _list_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("pane", choices=("prs", "issues", "messages"), help="which pane")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--account", metavar="NAME", help="only this account's sections")


def _act_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "kind", choices=ACTION_KINDS, metavar="KIND", help=f"one of: {', '.join(ACTION_KINDS)}"
    )
    p.add_argument("item", metavar="ITEM_ID", help='item id, e.g. "gh:owner/repo#12"')
    p.add_argument(
        "params",
        nargs="*",
        type=_param,
        metavar="KEY=VALUE",
        help="the action's arguments, e.g. body=LGTM label=bug",
    )


def _outbox_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="machine-readable output (list only)")
    verbs = p.add_subparsers(dest="outbox_command", metavar="ACTION")
    verbs.add_parser("list", help="pending, unknown and failed entries (the default)").add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output"
    )
    verbs.add_parser("retry", help="queue a failed entry again").add_argument(
        "entry", metavar="ID", help="entry id (or a unique prefix) from `zen-tui outbox`"
    )
    clear = verbs.add_parser("clear", help="forget failed entries")
    which = clear.add_mutually_exclusive_group(required=True)
    which.add_argument("--failed", action="store_true", help="every failed entry")
    which.add_argument("entry", metavar="ID", nargs="?", help="one failed entry")


def _auth_options(p: argparse.ArgumentParser) -> None:
    verbs = p.add_subparsers(dest="auth_command", metavar="ACTION", required=True)
    login = verbs.add_parser("login", help="log in to one account")
    login.add_argument("account", metavar="ACCOUNT", help="account name from the config")
    login.add_argument(
        "--method",
        choices=("device", "oauth", "token"),
        help="device flow (GitHub), OAuth in the browser, or paste a token",
    )
    verbs.add_parser("logout", help="forget an account's token").add_argument(
        "account", metavar="ACCOUNT"
    )
    verbs.add_parser("status", help="login state per account").add_argument(
        "--json", action="store_true", help="machine-readable output"
    )


def _port(text: str) -> int:
    value = int(text) if text.isdigit() else -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port; use 0..65535")
    return value


def _positive_int(text: str) -> int:
    value = int(text) if text.isdigit() else 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value


def _param(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE (e.g. body=LGTM)")
    return key, value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    args = build_parser().parse_args(argv)
    if args.command is None:
        args.command = "dashboard"
    if args.command == "act":
        args.params = dict(args.params)
    return args


# ---------------------------------------------------------------------------------------------


def _load(args: argparse.Namespace, data_dir: Path) -> Settings:
    path = paths.config_path(args.config)
    explicit = paths.config_path_is_explicit(args.config)
    return load_settings(path, data_dir, must_exist=explicit)


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    module_name = COMMAND_MODULES[args.command]
    qualified = f"zen_tui.commands.{module_name}"
    try:
        module = importlib.import_module(qualified)
    except ModuleNotFoundError as exc:
        if exc.name != qualified:
            raise
        print(f"{PROG}: `{args.command}` is not available yet in this build", file=sys.stderr)
        return 2
    return int(module.run(args, settings))


def _run(args: argparse.Namespace) -> int:
    data_dir = paths.data_dir(args.data_dir)
    reset_disk_full()  # this command's own state (tests run several in one process)
    try:
        private = paths.secure_data_dir(data_dir)
        setup_logging(data_dir, args.log_level or "INFO")
    except OSError as exc:
        raise UsageError(
            f"cannot write logs in {data_dir}: {exc.strerror or exc}; "
            "pass --data-dir or set ZEN_TUI_DATA_DIR to a writable folder"
        ) from None
    log.info("zen-tui %s: %s", __version__, args.command)
    for warning in private:  # checked at every start: fixed above, or said once here
        log.warning("%s", warning)
        _warn(warning)
    with store_notices_on_stderr(headless=args.command != "dashboard"):
        if args.demo and args.command != "simulate":
            from zen_tui import demo  # the simulator is loaded only for a demo

            dashboard = args.command == "dashboard"  # headless commands: steady, polling only
            scenario = demo.DEMO_SCENARIO if dashboard else None
            with demo.demo_session(data_dir, scenario, webhooks=dashboard) as settings:
                return _disk_checked(_dispatch, args, settings)
        if args.command == "init":  # writes the config: it need not exist, or load, yet
            from zen_tui.commands import init

            return init.run(args)
        settings = _load(args, data_dir)
        register_secrets(settings)
        return _disk_checked(_dispatch, args, settings)


def _disk_checked(
    dispatch: Callable[[argparse.Namespace, Settings], int],
    args: argparse.Namespace,
    settings: Settings,
) -> int:
    """Exit 2 when the disk filled up during the command: "disk full" was already said once
    (the store's notice), so a write that failed for it adds no second line."""
    try:
        status = dispatch(args, settings)
    except StoreFull:
        return 2
    return 2 if disk_full_seen() else status


def _warn(message: str) -> None:
    print(f"{PROG}: warning: {message}", file=sys.stderr, flush=True)


@contextmanager
def store_notices_on_stderr(*, headless: bool) -> Iterator[None]:
    """Show "store file moved aside" notices once on stderr: as they happen for headless
    commands; for the dashboard, only those its UI did not take (take_recovery_messages)."""

    def show(notice: StoreRecovered | DiskFull) -> None:
        if isinstance(notice, DiskFull):
            print(f"{PROG}: {notice.message()}", file=sys.stderr, flush=True)
        else:
            _warn(notice.message())

    if headless:
        set_listener(show)
    try:
        yield
    finally:
        set_listener(None)
        for message in take_recovery_messages():
            if message.startswith("disk full:"):  # said as it is, like the listener does
                print(f"{PROG}: {message}", file=sys.stderr, flush=True)
            else:
                _warn(message)


def main(argv: Sequence[str] | None = None) -> int:
    """Run zen-tui; returns the exit status (the console script passes it to sys.exit)."""
    with safe_output():
        return _main(argv)


@contextmanager
def safe_output() -> Iterator[None]:
    """Everything a command prints passes through text_safety.clean: server text (titles,
    reasons, names, error messages) never reaches the terminal as an escape sequence."""
    saved = sys.stdout, sys.stderr
    sys.stdout = SafeWriter(sys.stdout)
    sys.stderr = SafeWriter(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def _main(argv: Sequence[str] | None) -> int:
    try:
        args = parse_args(argv)
        return _run(args)
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        if isinstance(exc.code, str):
            print(f"{PROG}: {redact(exc.code)}", file=sys.stderr)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    except InvalidTransition as exc:  # a bug, not bad input: details go to the log
        return _unexpected(exc)
    except (ConfigError, UsageError, StoreError) as exc:
        print(f"{PROG}: {redact(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `zen-tui list prs | head -1`: the reader left; not an error
        return _stdout_closed()
    except Exception as exc:
        return _unexpected(exc)


STDOUT_CLOSED = 141  # 128 + SIGPIPE, what `yes | head -1` reports under `set -o pipefail`


def _stdout_closed() -> int:
    """Point stdout at devnull so the interpreter's final flush cannot fail again (the recipe
    in the `signal` module docs), and exit quietly."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return STDOUT_CLOSED


def _unexpected(exc: Exception) -> int:
    log.exception("unexpected error")
    summary = redact(f"{type(exc).__name__}: {exc}".splitlines()[0])
    where = current_log_file()
    details = f"; details in {where}" if where is not None else ""
    print(f"{PROG}: unexpected error: {summary}{details}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())

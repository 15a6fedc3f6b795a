"""The `zen-tui` entry point: parse the command line (zen_tui.plain_argv, else
zen_tui.cli_parser), set up logging, load the config, and hand over to
`zen_tui.commands.<name>.run(args, settings)` (or, for a store-only command, to its `quick`
when it can answer from the config's kept facts: `_quick`).

Commands are imported only when chosen, so `zen-tui list` never pays for (or imports) Textual.
`main` never lets a traceback reach the terminal: config and store mistakes (a store from a
newer zen-tui, an unwritable data folder) exit 2 with their one-line message, Ctrl-C exits
130, anything else exits 1 with a redacted summary and the log path.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path

from zen_tui import __version__, console, lazy_log, paths, plain_argv
from zen_tui.commands import STORE_ONLY, command_module
from zen_tui.plain_argv import PROG
from zen_tui.text_safety import SafeWriter

# The config, the store and the log setup load when a command runs, not for `--help` or a
# usage error: each costs milliseconds of records, regexes and SQLite a script would wait
# for on every call.
TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without loading typing (zen_tui/commands)
if TYPE_CHECKING:
    import argparse
    import logging
    from typing import Any, TypeVar

    from zen_tui.config import Settings
    from zen_tui.store.rows import DiskFull, StoreRecovered

    _T = TypeVar("_T")


class UsageError(Exception):
    """Bad command-line input found after parsing; exit 2 with this message."""


# ---------------------------------------------------------------------------------------------


def _load(args: argparse.Namespace, data_dir: Path) -> Settings:
    from zen_tui.config import load_settings, register_secrets

    path = paths.config_path(args.config)
    explicit = paths.config_path_is_explicit(args.config)
    settings = load_settings(path, data_dir, must_exist=explicit)
    register_secrets(settings)
    return settings


def _quick(args: argparse.Namespace, data_dir: Path) -> int | None:
    """A store-only command answered from the facts kept with the config's parse and the store
    as it is, without the settings and the store's records, which load msgspec (~40 M
    instructions, a fifth of such a command). None when it cannot be, with nothing done or
    said: a config to parse, a login in the environment (its rows are in a file of its own:
    sync/session_rows.py), a store to create, upgrade or recover, a row this code does not
    read as it is; the full path then runs as if this had not been tried."""
    answer = getattr(command_module(args.command), "quick", None)
    facts = _kept_facts(args) if answer is not None else None
    if answer is None or facts is None:
        return None
    env = os.environ
    if any(env.get(n, "").strip() for a in facts["accounts"] for n in a["login_env"]):
        return None
    from zen_tui.redaction import register_secret

    for name in facts["secret_env"]:  # as register_secrets: masked if a record is logged
        register_secret(env.get(name))
    status: int | None = answer(args, facts, data_dir)
    return status


def _kept_facts(args: argparse.Namespace) -> dict[str, Any] | None:
    """The facts the last full load of this config text kept (config.headless_facts)."""
    from zen_tui import config_cache

    try:
        text = paths.config_path(args.config).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):  # missing or unreadable: the full load says so
        return None
    return config_cache.lookup_facts(config_cache.cache_file(), text)


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    command = command_module(args.command)
    if command is None:
        print(f"{PROG}: `{args.command}` is not available yet in this build", file=sys.stderr)
        return 2
    return command.run(args, settings)


def _run(args: argparse.Namespace) -> int:
    refusal = _refused_early(args)
    if refusal is not None:
        print(f"{PROG}: {refusal}", file=sys.stderr)
        return 2
    from zen_tui.store.notices import reset_disk_full

    data_dir = paths.data_dir(args.data_dir)
    reset_disk_full()  # this command's own state (tests run several in one process)
    private = _writable(data_dir, paths.secure_data_dir)
    quick = args.command in STORE_ONLY and not args.demo
    if quick:
        _drop_earlier_log()
        lazy_log.set_up_when_used(lambda: _start_log(args, data_dir))
    else:
        if args.command != "dashboard" or args.demo:  # the dashboard: at its first frame
            console.resume_collection()  # runs long, or makes cycles (asyncio, httpx)
        lazy_log.set_up_when_used(None)
        _start_log(args, data_dir)
    for warning in private:  # checked at every start: fixed above, or said once here
        _logger().warning("%s", warning)
        _warn(warning)
    # A store-only command ends at SIGTERM on the spot, as Python's default ends it: it holds
    # no terminal state and SQLite leaves no change half made (and `signal` costs 3 M
    # instructions, 1.4% of `list`). The others end as Ctrl-C ends them.
    with (
        nullcontext() if quick else terminate_as_interrupt(),
        store_notices_on_stderr(headless=args.command != "dashboard"),
    ):
        if args.demo and args.command != "simulate":
            from zen_tui import demo  # the simulator is loaded only for a demo

            with demo.session_for(args.command, data_dir) as settings:
                return _disk_checked(_demo_dispatch, args, settings)
        if args.command == "init":  # writes the config: it need not exist, or load, yet
            from zen_tui.commands import init

            return init.run(args)
        status = _quick(args, data_dir) if quick else None
        if status is not None:
            return status
        settings = _load(args, data_dir)
        return _disk_checked(_dispatch, args, settings)


def _start_log(args: argparse.Namespace, data_dir: Path) -> None:
    """Set up the log file and log the run's first line (for a command of STORE_ONLY,
    when it first logs: its first record follows this line)."""
    from zen_tui.logs import setup_logging

    _writable(data_dir, lambda folder: setup_logging(folder, args.log_level or "INFO"))
    _logger().info("zen-tui %s: %s", __version__, args.command)


def _writable(data_dir: Path, write: Callable[[Path], _T]) -> _T:
    """write(data_dir); an OSError is bad input: the folder cannot hold the data and log."""
    try:
        return write(data_dir)
    except OSError as exc:
        raise UsageError(
            f"cannot write logs in {data_dir}: {exc.strerror or exc}; "
            "pass --data-dir or set ZEN_TUI_DATA_DIR to a writable folder"
        ) from None


def _drop_earlier_log() -> None:
    """The log file an earlier run in this process set up (tests run several): this run's
    records go to its own data folder's, set up when the first comes."""
    logs = sys.modules.get("zen_tui.logs")
    if logs is not None:
        logs.shutdown_logging()


def _refused_early(args: argparse.Namespace) -> str | None:
    """A malformed `zen-tui act`, refused as a usage error is: before the log, the config's
    full check and the store (act.refused says what it can tell). The demo's accounts are
    made in the run: its actions are checked there."""
    if args.command != "act" or args.demo:
        return None
    from zen_tui.commands import act

    return act.refused(args)


def _demo_dispatch(args: argparse.Namespace, settings: Settings) -> int:
    """The demo's store starts empty in each run: a command that only reads it fills it first."""
    from zen_tui import demo

    if args.command in demo.FILLED_FIRST:
        demo.fill(settings)
    return _dispatch(args, settings)


def _disk_checked(
    dispatch: Callable[[argparse.Namespace, Settings], int],
    args: argparse.Namespace,
    settings: Settings,
) -> int:
    """Exit 2 when the disk filled up during the command: "disk full" was already said once
    (the store's notice), so a write that failed for it adds no second line."""
    from zen_tui.store.notices import disk_full_seen
    from zen_tui.store.rows import StoreFull

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
    from zen_tui.store.notices import set_listener, take_recovery_messages

    def show(notice: StoreRecovered | DiskFull) -> None:
        from zen_tui.store.rows import DiskFull  # loaded: a notice was made

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
        try:
            return _main(argv)
        finally:  # no record came (an unexpected error logs one): no setup for this run's log
            lazy_log.set_up_when_used(None)


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (`kill`, `timeout`, a service manager's stop) ends zen-tui as Ctrl-C does,
    through the same handler: Python's default ends the process on the spot, leaving the
    terminal in the dashboard's alternate screen, `zen-tui sync`'s records not marked
    stopped, a demo's run folder behind. Only the main thread can set a handler."""
    import signal

    def interrupt(signum: int, frame: Any) -> None:
        handler = signal.getsignal(signal.SIGINT)  # asyncio's or Textual's while they run
        if callable(handler) and handler is not interrupt:
            handler(signal.SIGINT, frame)
        else:  # SIGINT ignored (a job started with `&`) or the default: Ctrl-C's way
            raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread (a test calling main): left as it is
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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
        args = _parsed(sys.argv[1:] if argv is None else argv)
        return _run(args)
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        if isinstance(exc.code, str):
            print(f"{PROG}: {_redact(exc.code)}", file=sys.stderr)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `zen-tui list prs | head -1`: the reader left; not an error
        return _stdout_closed()
    except Exception as exc:
        return _failed(exc)


def _parsed(argv: Sequence[str]) -> argparse.Namespace:
    """The command line as argparse reads it: by plain_argv where it can (a plain `list`,
    `health` or `outbox`: no argparse, gettext or locale to load), else by argparse."""
    args = plain_argv.read(argv)
    if args is not None:
        return args
    from zen_tui.cli_parser import parse_args

    return parse_args(argv)


def _failed(exc: Exception) -> int:
    """Bad input (config, usage, store) exits 2 with its message; anything else is a bug.

    The config and store modules are looked up here, not imported at the top: an exception of
    theirs means they are loaded already, and `--help` need not pay for them."""
    if _is(exc, "zen_tui.store.rows", "InvalidTransition"):  # a bug, not bad input: logged
        return _unexpected(exc)
    expected = (
        isinstance(exc, UsageError | paths.HomeNotFound)
        or _is(exc, "zen_tui.config_reader", "ConfigError")
        or _is(exc, "zen_tui.store.rows", "StoreError")
    )
    if not expected:
        return _unexpected(exc)
    print(f"{PROG}: {_redact(str(exc))}", file=sys.stderr)
    return 2


def _is(exc: Exception, module: str, name: str) -> bool:
    """isinstance(exc, module.name), without importing the module (if it is not loaded, no
    exception can be of its classes)."""
    loaded = sys.modules.get(module)
    return loaded is not None and isinstance(exc, getattr(loaded, name))


def _logger() -> logging.Logger:
    from zen_tui.lazy_log import get_logger  # `logging` loads with the log file, when used

    return get_logger("zen_tui.cli")


def _redact(text: str) -> str:
    from zen_tui.redaction import redact

    return redact(text)


STDOUT_CLOSED = 141  # 128 + SIGPIPE, what `yes | head -1` reports under `set -o pipefail`


def _stdout_closed() -> int:
    """Point stdout at devnull so the interpreter's final flush cannot fail again (the recipe
    in the `signal` module docs), and exit quietly."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return STDOUT_CLOSED


def _unexpected(exc: Exception) -> int:
    _logger().exception("unexpected error")
    from zen_tui.logs import current_log_file

    summary = _redact(f"{type(exc).__name__}: {exc}".splitlines()[0])
    where = current_log_file()
    details = f"; details in {where}" if where is not None else ""
    print(f"{PROG}: unexpected error: {summary}{details}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())

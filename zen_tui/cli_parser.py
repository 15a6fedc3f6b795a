"""The `zen-tui` command line as argparse reads it: the global options, every command's
parser (built for the commands a line names: `_needed`), help sized for the terminal.

Loaded for every command line that zen_tui.plain_argv does not read by itself (`--help`, a
usage error, every command but the plain forms of `list`, `health` and `outbox`): argparse
and the gettext and locale it loads cost those a few milliseconds.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from zen_tui import __version__, paths
from zen_tui.commands import COMMAND_MODULES, command_module
from zen_tui.plain_argv import LOG_LEVELS, PROG


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> list[argparse.Action]:
    """The options every command takes, before or after the command name."""
    default: Any = argparse.SUPPRESS if suppress else None
    config = parser.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        default=default,
        help="config file (default: $ZEN_TUI_CONFIG, else the platform "
        "config folder's config.toml)",
    )
    data_dir = parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="PATH",
        default=default,
        help="folder for the store and logs (default: $ZEN_TUI_DATA_DIR, "
        "else the platform data folder)",
    )
    demo = parser.add_argument(
        "--demo",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="run against the bundled simulator: no account, no network",
    )
    log_level = parser.add_argument(
        "--log-level",
        type=str.upper,
        choices=LOG_LEVELS,
        default=default,
        help="log file detail (default: INFO)",
    )
    return [config, data_dir, demo, log_level]


class _Parser(argparse.ArgumentParser):
    """argparse's parser, with its help sized for the terminal by `_columns`, not by argparse,
    which imports shutil (with bz2, lzma and fnmatch: ~1.5 ms) to ask, and asks for every
    add_argument (each builds a formatter), so every command paid for it, not only --help.
    The commands' parsers are of this class too: add_subparsers makes its parent's kind."""

    def __init__(
        self, *, formatter_class: type[argparse.HelpFormatter] = argparse.HelpFormatter, **kw: Any
    ) -> None:
        def sized(*, prog: str) -> argparse.HelpFormatter:
            return formatter_class(prog, width=_columns() - 2)  # argparse's own margin

        super().__init__(formatter_class=sized, **kw)


def _columns() -> int:
    """shutil.get_terminal_size().columns, without shutil: a positive $COLUMNS, else the
    width of the terminal on stdout, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns > 0:
        return columns
    stdout = sys.__stdout__
    try:
        return (os.get_terminal_size(stdout.fileno()).columns if stdout else 0) or 80
    except (ValueError, OSError):  # not a terminal, or closed
        return 80


def build_parser(for_argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser of `zen-tui`, with the parsers of the commands that parsing `for_argv` needs
    (see `_needed`); given no argv, with every command's."""
    parser = _Parser(
        prog=PROG,
        description="Triage GitHub, Jira and Slack from one terminal dashboard.",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,  # keep long paths on one line
    )
    options = _global_options(parser, suppress=False)
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = _Parser(add_help=False)
    _global_options(common, suppress=True)
    needed = None if for_argv is None else _needed(for_argv, options)
    for name in COMMAND_MODULES if needed is None else needed:
        command = command_module(name)
        help_text = command.HELP if command else NOT_BUILT
        p = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        if command:
            command.arguments(p, common)
    return parser


def _needed(argv: Sequence[str], options: list[argparse.Action]) -> tuple[str, ...] | None:
    """The commands whose parsers parsing `argv` needs: the one it names, none when it names
    none (the dashboard), or None (all of them) when this plain reading cannot tell and
    argparse must see them all: `--help` lists them, a misspelt command is answered with the
    right names, and `--version`, an abbreviated option (`--conf`) or `--` are argparse's to
    read. Building only the parser used spares every run importing the other command modules
    and building their ~50 arguments.

    argparse gives the command the first word that is neither an option nor an option's
    value; before it, only the global `options` can come."""
    takes_value = {name: a.nargs != 0 for a in options for name in a.option_strings}
    words = iter(argv)
    for word in words:
        if not word.startswith("-"):
            return (word,) if word in COMMAND_MODULES else None
        option, given, _ = word.partition("=")
        if option not in takes_value or (given and not takes_value[option]):
            return None
        if takes_value[option] and not given:
            next(words, None)  # its value, whatever it looks like: argparse says if it is bad
    return ()


NOT_BUILT = "(not available in this build)"


def _epilog() -> str:
    """Where the config and the data are, for --help. Without a home folder the reason is
    shown instead: --config and --data-dir still work, so building the parser cannot fail."""
    try:
        return f"config file:   {paths.config_path()}\ndata and logs: {paths.data_dir()}"
    except paths.HomeNotFound as exc:
        return str(exc)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    words = sys.argv[1:] if argv is None else argv
    args = build_parser(words).parse_args(words)
    if args.command is None:
        args.command = "dashboard"
    return args

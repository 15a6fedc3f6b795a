"""The plain command lines of the store-only commands, read without argparse.

`zen-tui list prs --json` runs in scripts and status bars, where its start-up is most of its
time; argparse, with the gettext and locale it loads and the parsers it builds, is ~10% of
it. `read` takes the usual forms of `list`, `health` and `outbox [list]` (exact option names,
`--opt VALUE` or `--opt=VALUE`, global options before or after the command) and gives the
namespace argparse would give (tests/unit/cli/test_parser_for_argv.py holds it to that on
random lines). Anything else (help, an abbreviation, `--`, a mistake, `--demo`, every other
command) is None: zen_tui.cli_parser's argparse reads it, and says what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without loading typing (zen_tui/commands)

# argparse's Namespace as type checkers see it; at run time the standard library's plain
# namespace (what argparse's is, with `in`, which no command uses), without argparse.
if TYPE_CHECKING:
    from argparse import Namespace
else:
    from types import SimpleNamespace as Namespace

PROG = "zen-tui"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
PANES = ("prs", "issues", "messages", "inbox")  # `list`'s, as commands/list_items.py takes

_GLOBALS: dict[str, Callable[[str], object]] = {
    "--config": Path,
    "--data-dir": Path,
    "--log-level": str.upper,
}
# Each command's own options (flags) and first positional's choices, as their parsers set
# them (commands/list_items.py, health.py, outbox.py `arguments`).
_FLAGS = {"list": ("--json",), "health": ("--json",), "outbox": ("--json",)}
_VALUED = {"list": ("--account",), "health": (), "outbox": ()}
_DEFAULTS: dict[str, dict[str, object]] = {
    "list": {"json": False, "account": None},
    "health": {"json": False},
    "outbox": {"json": False, "outbox_command": None},
}
_POSITIONAL = {"list": ("pane", PANES), "outbox": ("outbox_command", ("list",))}


def read(argv: Sequence[str]) -> Namespace | None:
    """argparse's namespace for `argv` when it is a plain store-only command line, else None."""
    found: dict[str, object] = {"config": None, "data_dir": None, "demo": False}
    found["log_level"] = None
    command: str | None = None
    words = iter(argv)
    for word in words:
        option, equals, given = word.partition("=")
        if option in _GLOBALS or (command and option in _VALUED[command]):
            value = given if equals else next(words, "")
            if not value or value.startswith("-"):  # argparse's error, or an odd reading
                return None
            name = option.removeprefix("--").replace("-", "_")
            found[name] = _GLOBALS[option](value) if option in _GLOBALS else value
        elif command and word in _FLAGS[command]:
            found[word.removeprefix("--")] = True
        elif word.startswith("-"):  # help, --version, --demo, `--`, an abbreviation, ...
            return None
        elif command is None and word in _DEFAULTS:
            command = word
            found |= {"command": word, **_DEFAULTS[word]}
        elif command is None or not _positional(command, word, found):
            return None
    if command is None or found["log_level"] not in (None, *LOG_LEVELS):
        return None
    if command == "list" and "pane" not in found:
        return None
    return Namespace(**found)


def _positional(command: str, word: str, found: dict[str, object]) -> bool:
    """Take `word` as the command's positional (the first only, one of its choices)."""
    name, choices = _POSITIONAL.get(command, ("", ()))
    if word not in choices or found.get(name) is not None:
        return False
    found[name] = word
    return True

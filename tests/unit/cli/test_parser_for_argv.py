"""The CLI builds only the parsers a command line needs (the named command's, none for the
dashboard, all of them when it cannot tell), and parses every command line exactly as the
parser with every command would: the same namespace, or the same exit, help and error text."""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import subprocess
import sys
from collections.abc import Sequence

import pytest

from zen_tui.cli import build_parser, main
from zen_tui.commands import COMMAND_MODULES

# Words a command line is drawn from: every command, near misses, the global options in each
# spelling argparse takes (exact, `=value`, abbreviated, ambiguous), help, version, `--`, and
# the commands' own arguments, values and verbs.
WORDS = (
    *COMMAND_MODULES,
    *("lst", "List", "helth", "", "-", "--", "-x", "--bogus", "--json", "-h", "--help", "--he"),
    *("--version", "--vers", "--config", "--config=c.toml", "--conf", "--conf=c.toml", "c.toml"),
    *("--data-dir", "--data-dir=d", "--data", "--d", "--demo", "--demo=1", "--dem", "d"),
    *("--log-level", "--log-level=debug", "--log-level=loud", "--log", "debug", "loud"),
    *("prs", "issues", "--account", "gh", "approve", "gh:o/r#1", "body=LGTM", "nokey", "-5"),
    *("login", "status", "logout", "--method", "device", "list", "retry", "clear", "--failed"),
    *("--once", "--port", "8080", "--size", "0", "start", "--force"),
)


def outcome(parser: argparse.ArgumentParser, argv: Sequence[str]) -> tuple[object, ...]:
    """What parsing `argv` gives: the namespace, or the exit status with what was printed."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            return ("parsed", vars(parser.parse_args(argv)))
        except SystemExit as exc:
            return ("exit", exc.code, out.getvalue(), err.getvalue())


def test_every_command_line_parses_as_with_every_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")  # one width for both parsers' help and usage
    rng = random.Random(12)
    parsed = narrowed = 0
    full = build_parser()  # parse_args keeps nothing between lines: one for them all
    for _ in range(500):
        argv = rng.choices(WORDS, k=rng.randint(0, 6))
        if rng.random() < 0.5:  # most lines a user types name a command early
            argv.insert(rng.randint(0, min(2, len(argv))), rng.choice(list(COMMAND_MODULES)))
        expected = outcome(full, argv)
        lean = build_parser(argv)
        assert outcome(lean, argv) == expected, argv
        parsed += expected[0] == "parsed"
        narrowed += len(commands_of(lean)) < len(COMMAND_MODULES)
    # The draw reaches real commands, not only errors, and the lean parsers, not only full ones.
    assert parsed > 45 and narrowed > 170


def commands_of(parser: argparse.ArgumentParser) -> list[str]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return list(sub.choices)


SUBPARSERS_PROBE = """
import argparse, sys
from zen_tui.cli import build_parser
parser = build_parser(sys.argv[1:])
sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
commands = sorted(n for n in sys.modules if n.startswith("zen_tui.commands."))
print(",".join(sub.choices), "|", ",".join(commands))
"""


@pytest.mark.parametrize(
    ("argv", "built"),
    [
        (["list", "prs", "--json"], ["list"]),
        (["--config", "c.toml", "--demo", "health", "--json"], ["health"]),
        (["--data-dir=d", "--log-level", "debug", "outbox", "--", "x"], ["outbox"]),
        (["act", "approve", "gh:o/r#1"], ["act"]),
        (["--config", "list", "health"], ["health"]),  # `list` is the config's path here
        ([], []),  # the dashboard: no command's arguments to parse
        (["--demo"], []),
        (["--help"], list(COMMAND_MODULES)),  # lists them all
        (["lst"], list(COMMAND_MODULES)),  # a typo is answered with every name
        (["--conf", "c.toml", "list"], list(COMMAND_MODULES)),  # abbreviations: argparse's
        (["--", "list"], list(COMMAND_MODULES)),
    ],
)
def test_only_the_named_commands_parser_is_built_and_imported(
    argv: list[str], built: list[str]
) -> None:
    """In a fresh interpreter: the parsers built, and the command modules imported for them."""
    done = subprocess.run(
        [sys.executable, "-c", SUBPARSERS_PROBE, *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    choices, modules = (part.strip() for part in done.stdout.split("|"))
    assert (choices.split(",") if choices else []) == built
    expected = sorted(f"zen_tui.commands.{COMMAND_MODULES[name]}" for name in built)
    assert (modules.split(",") if modules else []) == expected


def test_a_misspelt_command_is_answered_with_every_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--demo", "lst", "prs"]) == 2
    err = capsys.readouterr().err
    names = ", ".join(repr(name) for name in COMMAND_MODULES)
    assert f"invalid choice: 'lst' (choose from {names})" in err

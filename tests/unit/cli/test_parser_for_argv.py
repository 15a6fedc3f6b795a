"""The CLI builds only the parsers a command line needs (the named command's, none for the
dashboard, all of them when it cannot tell), and parses every command line exactly as the
parser with every command would: the same namespace, or the same exit, help and error text.
The plain store-only lines it reads without argparse (zen_tui.plain_argv) read the same."""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import subprocess
import sys
from collections.abc import Sequence

import pytest

from zen_tui import plain_argv
from zen_tui.cli import main
from zen_tui.cli_parser import build_parser
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
    *("inbox", "messages", "--account=gh", "--account=", "--json=1", "--config=", "--Json"),
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


PLAIN = (
    ["list", "prs"],
    ["list", "--json", "issues", "--account", "gh"],
    ["--config", "c.toml", "list", "inbox", "--account=gh", "--data-dir=d"],
    ["health", "--json", "--log-level", "debug"],
    ["--data-dir", "d", "outbox"],
    ["outbox", "list", "--json", "--config=c.toml"],
    ["outbox", "--json", "list"],
)


@pytest.mark.parametrize("argv", PLAIN)
def test_a_plain_store_only_line_is_read_without_argparse_as_argparse_reads_it(
    argv: list[str],
) -> None:
    read = plain_argv.read(argv)
    assert read is not None
    assert vars(read) == outcome(build_parser(), argv)[1]


def test_every_line_plain_argv_reads_it_reads_as_argparse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Random lines: whatever plain_argv reads, argparse reads the same (else it leaves the line
    to argparse, which is always right)."""
    monkeypatch.setenv("COLUMNS", "100")
    rng = random.Random(7)
    full = build_parser()
    read = 0
    for _ in range(3000):
        argv = rng.choices(WORDS, k=rng.randint(0, 6))
        argv.insert(rng.randint(0, min(2, len(argv))), rng.choice(["list", "health", "outbox"]))
        plain = plain_argv.read(argv)
        if plain is not None:
            assert outcome(full, argv) == ("parsed", vars(plain)), argv
            read += 1
    assert read > 30  # the draw reaches lines it reads, not only ones it leaves


def commands_of(parser: argparse.ArgumentParser) -> list[str]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return list(sub.choices)


SUBPARSERS_PROBE = """
import argparse, sys
from zen_tui.cli_parser import build_parser
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

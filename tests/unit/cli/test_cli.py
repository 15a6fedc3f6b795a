"""The entry point: parsing, dispatch, exit codes, and no traceback on the terminal."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from zen_tui import __version__
from zen_tui.cli import main
from zen_tui.commands import COMMAND_MODULES
from zen_tui.config import Settings

from .conftest import stand_in

Run = Callable[[argparse.Namespace, Settings], int]


@pytest.fixture
def fake_command(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, Run], list[tuple]]:
    """Route `zen-tui <command>` to a stand-in `run`; returns the calls it received."""

    def install(command: str, run: Run) -> list[tuple]:
        calls: list[tuple] = []

        def recording_run(args: argparse.Namespace, settings: Settings) -> int:
            calls.append((args, settings))
            return run(args, settings)

        stand_in(monkeypatch, command, recording_run)
        return calls

    return install


def base(tmp_path: Path) -> list[str]:
    return ["--data-dir", str(tmp_path / "data"), "--config", str(tmp_path / "c.toml")]


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    path = tmp_path / "c.toml"
    path.write_text('[[accounts]]\nname = "gh"\nservice = "github"\n', encoding="utf-8")
    return path


@pytest.mark.parametrize("argv", [["--help"], ["list", "--help"], ["health", "--help"]])
def test_help_never_imports_textual(argv: list[str]) -> None:
    code = (
        "import sys\nfrom zen_tui.cli import main\n"
        f"rc = main({argv!r})\n"
        "assert rc == 0, rc\n"
        "assert 'textual' not in sys.modules, 'textual imported'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "usage: zen-tui" in proc.stdout


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"zen-tui {__version__}"


def test_dashboard_is_the_default(tmp_path: Path, cfg: Path, fake_command) -> None:
    calls = fake_command("dashboard", lambda a, s: 0)
    assert main(base(tmp_path)) == 0
    ((args, settings),) = calls
    assert args.command == "dashboard"
    assert [a.name for a in settings.accounts] == ["gh"]
    assert settings.config_path == cfg
    assert settings.data_dir == tmp_path / "data"


def test_global_options_also_after_the_command(tmp_path: Path, cfg: Path, fake_command) -> None:
    calls = fake_command("list", lambda a, s: 3)
    rc = main(["list", "issues", "--json", *base(tmp_path), "--log-level", "debug"])
    assert rc == 3  # the command's own status comes back
    ((args, settings),) = calls
    assert (args.pane, args.json, args.log_level) == ("issues", True, "DEBUG")
    assert settings.config_path == cfg


def test_env_vars_pick_config_and_data_dir(
    tmp_path: Path, cfg: Path, fake_command, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZEN_TUI_CONFIG", str(cfg))
    monkeypatch.setenv("ZEN_TUI_DATA_DIR", str(tmp_path / "envdata"))
    calls = fake_command("sync", lambda a, s: 0)
    assert main(["sync", "--once"]) == 0
    ((args, settings),) = calls
    assert args.once
    assert settings.config_path == cfg and settings.data_dir == tmp_path / "envdata"
    assert (tmp_path / "envdata" / "logs" / "zen-tui.log").exists()
    # The flag beats the environment.
    main(["sync", "--data-dir", str(tmp_path / "flagdata")])
    assert calls[-1][1].data_dir == tmp_path / "flagdata"


def test_missing_default_config_means_no_accounts(
    tmp_path: Path, fake_command, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))  # Linux: nothing in it
    monkeypatch.setattr("platformdirs.user_config_path", lambda *a, **k: tmp_path)  # elsewhere
    calls = fake_command("health", lambda a, s: 0)
    assert main(["--data-dir", str(tmp_path / "d"), "health", "--json"]) == 0
    assert calls[0][1].accounts == []


def test_command_not_built_yet(
    tmp_path: Path, cfg: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(COMMAND_MODULES, "health", "no_such_module_here")
    assert main([*base(tmp_path), "health"]) == 2
    assert capsys.readouterr().err == "zen-tui: `health` is not available yet in this build\n"


def test_act_params_become_a_dict(tmp_path: Path, cfg: Path, fake_command) -> None:
    calls = fake_command("act", lambda a, s: 0)
    assert main([*base(tmp_path), "act", "comment", "gh:o/r#1", "body=LGTM, ship=it"]) == 0
    args = calls[0][0]
    assert (args.kind, args.item, args.params) == ("comment", "gh:o/r#1", {"body": "LGTM, ship=it"})


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["act", "comment", "gh:o/r#1", "LGTM"], "is not KEY=VALUE"),
        (["act", "explode", "gh:o/r#1"], "invalid choice"),
        (["list", "pulls"], "invalid choice"),
        (["simulate", "--port", "99999"], "is not a port"),
        (["simulate", "--size", "0"], "not a positive whole number"),
        (["frobnicate"], "invalid choice"),
        (["--log-level", "loud"], "invalid choice"),
        (["auth"], "required"),
    ],
)
def test_usage_errors_exit_2_without_traceback(
    argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err


def test_auth_subcommands_parse(tmp_path: Path, cfg: Path, fake_command) -> None:
    calls = fake_command("auth", lambda a, s: 0)
    main([*base(tmp_path), "auth", "login", "gh", "--method", "device"])
    main([*base(tmp_path), "auth", "status", "--json"])
    first, second = calls[0][0], calls[1][0]
    assert (first.auth_command, first.account, first.method) == ("login", "gh", "device")
    assert (second.auth_command, second.json) == ("status", True)


def test_unexpected_error_one_redacted_line_and_log_has_details(
    tmp_path: Path, cfg: Path, fake_command, capsys: pytest.CaptureFixture[str]
) -> None:
    token = "gho_" + "Zq7" * 12

    def explode(args: argparse.Namespace, settings: Settings) -> int:
        raise RuntimeError(f"server said no to {token}\nsecond line")

    fake_command("health", explode)
    assert main([*base(tmp_path), "health"]) == 1
    err = capsys.readouterr().err
    log_path = tmp_path / "data" / "logs" / "zen-tui.log"
    summary = "RuntimeError: server said no to gho_***"
    assert err == f"zen-tui: unexpected error: {summary}; details in {log_path}\n"
    raw = log_path.read_text(encoding="utf-8")
    assert token not in raw
    entry = json.loads(raw.splitlines()[-1])
    assert entry["level"] == "ERROR"
    assert "Traceback" in entry["exc"] and "explode" in entry["exc"]


def test_ctrl_c_exits_130(tmp_path: Path, cfg: Path, fake_command) -> None:
    def interrupt(args: argparse.Namespace, settings: Settings) -> int:
        raise KeyboardInterrupt

    fake_command("sync", interrupt)
    assert main([*base(tmp_path), "sync"]) == 130


def test_unwritable_data_dir_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["--data-dir", str(blocker), "health"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"zen-tui: cannot write logs in {blocker}")
    assert "--data-dir" in err and "Traceback" not in err


def test_help_shows_where_config_and_data_live(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ZEN_TUI_CONFIG", str(tmp_path / "mine.toml"))
    monkeypatch.setenv("ZEN_TUI_DATA_DIR", str(tmp_path / "store"))
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert f"config file:   {tmp_path / 'mine.toml'}\n" in out
    assert f"data and logs: {tmp_path / 'store'}\n" in out


@pytest.mark.skipif(sys.platform != "linux", reason="zen-tui finds the home folder on Linux")
def test_no_home_folder_is_one_clear_line_and_the_flags_still_work(
    tmp_path: Path, cfg: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A relative HOME and no user database entry (a container's random uid): a command that
    needs a default folder says what to set in one line; --help shows that line in place of
    the folders; with --config and --data-dir the command runs."""
    import pwd

    monkeypatch.setenv("HOME", ".")
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setattr(pwd, "getpwuid", lambda uid: {}[uid])
    assert main(["health"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("zen-tui: cannot find your home folder: HOME is not an absolute path")
    assert err.count("\n") == 1 and "set HOME or XDG_" in err and "--data-dir" in err
    assert main(["--help"]) == 0
    assert "cannot find your home folder" in capsys.readouterr().out
    assert main([*base(tmp_path), "health"]) == 0


def test_command_exiting_with_a_message(
    tmp_path: Path, cfg: Path, fake_command, capsys: pytest.CaptureFixture[str]
) -> None:
    def leave(args: argparse.Namespace, settings: Settings) -> int:
        raise SystemExit("nothing to do")

    fake_command("sync", leave)
    assert main([*base(tmp_path), "sync"]) == 2
    assert capsys.readouterr().err == "zen-tui: nothing to do\n"


def test_tokens_named_by_the_config_never_reach_the_log(
    tmp_path: Path, fake_command, monkeypatch: pytest.MonkeyPatch
) -> None:
    import logging

    token = "no-known-prefix-" + "t0k" * 10
    hook_secret = "webhook-" + "s3c" * 8
    monkeypatch.setenv("MY_GH_TOKEN", token)
    monkeypatch.setenv("ZEN_SLACK_SIGNING_SECRET", hook_secret)
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[[accounts]]\nname = "gh"\nservice = "github"\ntoken_env = "MY_GH_TOKEN"\n',
        encoding="utf-8",
    )

    def chatty(args: argparse.Namespace, settings: Settings) -> int:
        logging.getLogger("zen_tui.test").warning("sending %s and %s", token, hook_secret)
        return 0

    fake_command("sync", chatty)
    assert main([*base(tmp_path), "sync"]) == 0
    text = (tmp_path / "data" / "logs" / "zen-tui.log").read_text(encoding="utf-8")
    assert "sending *** and ***" in text
    assert token not in text and hook_secret not in text


def test_python_dash_m_zen_tui_is_the_cli(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    done = subprocess.run(
        [sys.executable, "-m", "zen_tui", "--config", str(missing), "list", "prs"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "ZEN_TUI_DATA_DIR": str(tmp_path / "data")},
    )
    assert done.returncode == 2
    assert done.stderr.startswith(f"zen-tui: config error in {missing}: file not found")
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["auth", "status", "--json", "{globals}"],
        ["auth", "{globals}", "status", "--json"],
        ["{globals}", "auth", "status", "--json"],
        ["auth", "login", "gh", "{globals}", "--method", "token"],
        ["outbox", "retry", "abc", "{globals}"],
        ["outbox", "{globals}", "clear", "--failed"],
        ["outbox", "list", "{globals}", "--json"],
    ],
)
def test_global_options_anywhere_around_a_verb(
    tmp_path: Path, cfg: Path, fake_command, argv: list[str]
) -> None:
    """`zen-tui auth status --data-dir D`: the global options work after the verb too."""
    calls = fake_command(argv[0] if argv[0] != "{globals}" else argv[1], lambda a, s: 0)
    options = [*base(tmp_path), "--log-level", "debug"]
    expanded = [part for word in argv for part in (options if word == "{globals}" else [word])]
    assert main(expanded) == 0
    ((args, settings),) = calls
    assert args.log_level == "DEBUG"
    assert settings.config_path == cfg and settings.data_dir == tmp_path / "data"


def test_outbox_reads_the_data_dir_given_after_its_verb(
    tmp_path: Path, cfg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from zen_tui.models import Action
    from zen_tui.store import Store

    store = Store.open_in(tmp_path / "data")
    store.outbox_add(Action(kind="approve", item_id="gh:o/r#1", account="gh", params={}))
    store.close()
    after = ["--data-dir", str(tmp_path / "data"), "--config", str(cfg)]
    assert main(["outbox", "list", "--json", *after]) == 0
    entries = json.loads(capsys.readouterr().out)["entries"]
    assert [e["item_id"] for e in entries] == ["gh:o/r#1"]


def test_each_command_is_declared_in_its_own_module(capsys: pytest.CaptureFixture[str]) -> None:
    """One place per command: its module holds HELP, arguments and run, and `zen-tui NAME
    --help` describes it with that HELP."""
    from zen_tui.commands import command_module

    for name in COMMAND_MODULES:
        module = command_module(name)  # TypeError for a module lacking HELP, arguments or run
        assert module is not None
        assert main([name, "--help"]) == 0
        shown = " ".join(capsys.readouterr().out.split())  # argparse wraps long lines
        assert shown.startswith(f"usage: zen-tui {name} ") and module.HELP in shown


@pytest.mark.parametrize("columns", [None, "", "abc", "0", "-3", "45", " 90", "200"])
@pytest.mark.parametrize("terminal", ["120x40", "0x0", "no terminal", "closed"])
def test_help_width_is_shutils_without_shutil(
    monkeypatch: pytest.MonkeyPatch, columns: str | None, terminal: str
) -> None:
    """The CLI sizes its help as argparse would (shutil.get_terminal_size) without importing
    shutil: the same columns for every $COLUMNS and every answer of the terminal."""
    import os
    import shutil

    from zen_tui.cli_parser import _columns

    def get_terminal_size(fd: int) -> os.terminal_size:
        if terminal == "no terminal":
            raise OSError(25, "Inappropriate ioctl for device")
        if terminal == "closed":
            raise ValueError("I/O operation on closed file")
        width, height = terminal.split("x")
        return os.terminal_size((int(width), int(height)))

    monkeypatch.setattr(os, "get_terminal_size", get_terminal_size)
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert _columns() == shutil.get_terminal_size().columns


@pytest.mark.parametrize("columns", ["40", "100", "200"])
@pytest.mark.parametrize("command", [None, "list", "auth"])
def test_help_text_is_laid_out_as_argparse_lays_it_out(
    monkeypatch: pytest.MonkeyPatch, columns: str, command: str | None
) -> None:
    """Each parser's help, with the CLI's sized formatter and with argparse's own (which asks
    shutil for the width), is the same text."""
    from zen_tui.cli_parser import build_parser

    monkeypatch.setenv("COLUMNS", columns)
    parser = build_parser()
    if command is not None:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[command]
    ours = parser.format_help()
    kind = argparse.RawDescriptionHelpFormatter if command is None else argparse.HelpFormatter
    parser.formatter_class = kind
    assert ours == parser.format_help()

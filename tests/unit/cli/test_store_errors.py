"""Store problems reach the user as one line: a newer store file exits 2, a corrupt one is
moved aside and said so exactly once (stderr for headless commands, the UI for the dashboard)."""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path

import pytest

from zen_tui import paths
from zen_tui.cli import main
from zen_tui.config import Settings
from zen_tui.store import Store, take_recovery_messages
from zen_tui.store.schema import SCHEMA_VERSION

from .conftest import cli_args, stand_in


@pytest.fixture
def argv(tmp_path: Path) -> list[str]:
    return cli_args(tmp_path)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return paths.store_path(tmp_path / "data")


def test_store_from_a_newer_zen_tui_exits_2_with_one_line(
    argv: list[str], db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Store.open(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    assert main([*argv, "list", "prs"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"zen-tui: the local store {db} was written by a newer zen-tui")
    assert "upgrade zen-tui" in err


def test_unusable_data_folder_exits_2_with_one_line(
    argv: list[str], db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db.parent.mkdir(parents=True)
    db.mkdir()  # a folder where the database file should be
    assert main([*argv, "list", "prs"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"zen-tui: cannot create the local store {db}")


def test_moved_aside_store_is_reported_once_on_stderr(
    argv: list[str], db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db.parent.mkdir(parents=True)
    db.write_bytes(b"this is not sqlite at all" * 100)
    assert main([*argv, "list", "prs"]) == 0
    out, err = capsys.readouterr()
    [line] = err.splitlines()
    assert line.startswith("zen-tui: warning: the local store was unreadable")
    assert "was moved to" in line and "Traceback" not in err
    assert out == "no prs sections in the config\n"  # the listing itself still works
    assert main([*argv, "list", "prs"]) == 0  # the new store is fine: nothing more to say
    assert capsys.readouterr().err == ""


def _dashboard_stand_in(monkeypatch: pytest.MonkeyPatch, ui_takes: bool) -> list[str]:
    """A dashboard that opens the store like the real one and, like the UI, may take notices."""
    shown: list[str] = []

    def run(args: argparse.Namespace, settings: Settings) -> int:
        Store.open(paths.store_path(Path(settings.data_dir))).close()
        if ui_takes:
            shown.extend(take_recovery_messages())
        return 0

    stand_in(monkeypatch, "dashboard", run)
    return shown


@pytest.mark.parametrize("ui_takes", [True, False])
def test_dashboard_notice_shown_by_the_ui_or_else_after_it(
    argv: list[str],
    db: Path,
    ui_takes: bool,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    shown = _dashboard_stand_in(monkeypatch, ui_takes)
    db.parent.mkdir(parents=True)
    db.write_bytes(b"garbage" * 500)
    assert main(argv) == 0
    err = capsys.readouterr().err
    if ui_takes:
        assert len(shown) == 1 and "was moved to" in shown[0]
        assert err == ""
    else:
        assert shown == []
        assert err.startswith("zen-tui: warning: the local store was unreadable")
        assert err.count("\n") == 1


def test_an_outbox_bug_is_an_unexpected_error_not_bad_input(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from zen_tui.store import InvalidTransition

    def run(args: argparse.Namespace, settings: Settings) -> int:
        raise InvalidTransition("outbox entry a1 cannot go from done to sending")

    stand_in(monkeypatch, "health", run)
    assert main([*argv, "health"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("zen-tui: unexpected error: InvalidTransition: outbox entry a1")
    assert err.count("\n") == 1 and "details in" in err

"""`zen-tui webhooks` says of its saved counters not only when they were saved but whether
their saver (the dashboard or `zen-tui sync`) still runs, by the same rule and in the same
words as `zen-tui health` (store/saver.py). Real SQLite, set clock."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.cli.test_health_age import HOUR, SAVED, gone_owner
from tests.unit.cli.test_health_text import HOOKS, write_config
from zen_tui import paths
from zen_tui.cli import main
from zen_tui.commands import webhooks
from zen_tui.store import Store, leases


def seed(tmp_path: Path, saver: str) -> None:
    store = Store.open(paths.store_path(tmp_path))
    data = {"webhooks": HOOKS, "saved_by": saver, "saver_role": "zen-tui sync"}
    store.save_health("gh", data, SAVED)
    store.close()


def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    config = write_config(tmp_path, enabled=True)
    argv = ["--config", str(config), "--data-dir", str(tmp_path), "webhooks", *extra]
    assert main(argv) == 0
    return capsys.readouterr().out


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    clock = [SAVED]
    monkeypatch.setattr(webhooks, "_now", lambda: clock[0])
    return clock


def test_an_hour_old_count_of_a_gone_saver_says_it_is_not_running(tmp_path, capsys, now):
    seed(tmp_path, gone_owner())
    now[0] = SAVED + HOUR
    out = run(tmp_path, capsys)
    assert "saved 1h ago by zen-tui sync (" in out
    assert "not running now, figures as of then" in out
    assert json.loads(run(tmp_path, capsys, "--json"))["saver_running"] is False


def test_a_young_count_of_a_running_saver_says_still_running(tmp_path, capsys, now):
    owner = leases.new_owner()  # this process: running
    try:
        seed(tmp_path, owner)
        now[0] = SAVED + 45
        out = run(tmp_path, capsys)
        assert "last run (saved 45s ago by zen-tui sync (" in out and "still running" in out
        assert json.loads(run(tmp_path, capsys, "--json"))["saver_running"] is True
    finally:
        leases.forget(owner)

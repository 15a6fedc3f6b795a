"""`zen-tui health` says how old each record is and whether its saver still runs, and claims
nothing live (webhooks live, a half-open countdown, a budget "now") from a record whose saver
is gone, stopped, or silent for longer than a few heartbeats. The clock is set, not slept."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.unit.cli.test_health_text import HOOKS, health_text, write_config
from zen_tui import paths
from zen_tui.cli import main
from zen_tui.commands import health
from zen_tui.store import Store, leases
from zen_tui.store.saver import HEARTBEAT, STALE_AFTER, age_text, saver_running

SAVED = 1_800_000_000.0
HOUR = 3600.0


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The command's clock: set `now[0]`."""
    clock = [SAVED]
    monkeypatch.setattr(health, "_now", lambda: clock[0])
    return clock


def seed(tmp_path: Path, saver: str | None, **extra: Any) -> None:
    data: dict[str, Any] = {"breaker": "open", "half_open_at": SAVED + 30, "webhooks": HOOKS}
    data |= {"webhooks_live": True, "tokens": 4, "capacity": 10, **extra}
    if saver is not None:
        data["saved_by"] = saver
    store = Store.open(paths.store_path(tmp_path))
    store.save_health("gh", data, SAVED)
    store.close()


def gone_owner() -> str:
    owner = leases.new_owner()
    leases.forget(owner)  # this process's owner, closed: certainly not running
    return owner


def gh(out: str) -> str:
    return out.split("team (slack)")[0]


def health_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    config = write_config(tmp_path, enabled=True)
    assert main(["--config", str(config), "--data-dir", str(tmp_path), "health", "--json"]) == 0
    return json.loads(capsys.readouterr().out)["accounts"]["gh"]


def test_an_hour_old_record_of_a_gone_saver_says_so_and_nothing_is_live(
    tmp_path, capsys, now
) -> None:
    seed(tmp_path, gone_owner())
    now[0] = SAVED + HOUR
    out = gh(health_text(tmp_path, capsys, enabled=True))
    assert "gh (github), saved 1h ago by pid " in out
    assert ", not running now, figures as of then:" in out
    assert "  webhooks  not live (nothing is running to receive them) on port 8790" in out
    assert " live on port" not in out.replace("not live", "")
    assert "half-open at" not in out  # no countdown nobody will act on
    assert "breaker   open when saved" in out
    assert "limiter   4/10 tokens when saved" in out


def test_json_carries_saved_at_age_and_whether_the_saver_runs(tmp_path, capsys, now) -> None:
    seed(tmp_path, gone_owner())
    now[0] = SAVED + HOUR
    gh_json = health_json(tmp_path, capsys)
    assert gh_json["saved_at"] == SAVED
    assert gh_json["age_seconds"] == HOUR
    assert gh_json["saver_running"] is False
    assert gh_json["webhooks_live"] is False  # not live now, whatever was saved
    assert gh_json["webhooks_live_when_saved"] is True


def test_a_running_saver_with_a_young_record_is_live(tmp_path, capsys, now) -> None:
    owner = leases.new_owner()  # this process, not closed: running
    try:
        seed(tmp_path, owner, saver_role="the dashboard")
        now[0] = SAVED + 12
        out = gh(health_text(tmp_path, capsys, enabled=True))
        assert "saved 12s ago by the dashboard (pid " in out and ", still running:" in out
        assert "  webhooks  live on port 8790" in out
        assert "breaker   open (half-open at " in out
        assert health_json(tmp_path, capsys)["saver_running"] is True
    finally:
        leases.forget(owner)


def test_a_running_saver_silent_past_a_few_heartbeats_is_not_live(tmp_path, capsys, now) -> None:
    """Alive but stuck (or its clock or store wedged): the heartbeat is the promise."""
    owner = leases.new_owner()
    try:
        seed(tmp_path, owner)
        now[0] = SAVED + STALE_AFTER + 1
        out = gh(health_text(tmp_path, capsys, enabled=True))
        assert ", not running now" in out and "webhooks  not live" in out
    finally:
        leases.forget(owner)


def test_a_young_record_marked_stopped_is_not_live(tmp_path, capsys, now) -> None:
    owner = leases.new_owner()
    try:
        seed(tmp_path, owner, stopped=True)  # the dashboard quit a second ago
        now[0] = SAVED + 1
        assert "webhooks  not live" in gh(health_text(tmp_path, capsys, enabled=True))
    finally:
        leases.forget(owner)


def test_a_record_without_a_saver_name_is_judged_by_its_age(tmp_path, capsys, now) -> None:
    """Saved by an older version (no `saved_by`): young is live, old is not."""
    seed(tmp_path, None)
    now[0] = SAVED + 5
    assert "webhooks  live on port" in health_text(tmp_path, capsys, enabled=True)
    now[0] = SAVED + HOUR
    out = gh(health_text(tmp_path, capsys, enabled=True))
    assert "saved 1h ago, not running now" in out and "webhooks  not live" in out


@pytest.mark.parametrize("seed_", range(20))
def test_live_only_within_the_window_of_a_running_unstopped_saver(seed_: int) -> None:
    import random

    rng = random.Random(seed_)
    for _ in range(200):
        age = rng.uniform(0, 4 * STALE_AFTER)
        alive, stopped, named = rng.random() < 0.5, rng.random() < 0.3, rng.random() < 0.8
        data: dict[str, Any] = {"stopped": stopped} | ({"saved_by": "h:1:2:t"} if named else {})
        got = saver_running(data, SAVED, SAVED + age, alive=lambda _o, a=alive: a)
        assert got == (age <= STALE_AFTER and not stopped and (alive or not named))


def test_ages_read_as_a_person_says_them() -> None:
    assert [age_text(s) for s in (0, 59, 60, HEARTBEAT * 90, 2 * 86400 + 5)] == [
        "0s",
        "59s",
        "1m",
        "1h",
        "2d",
    ]


def test_a_quota_whose_window_has_ended_reads_as_reset_not_as_its_old_count(
    tmp_path, capsys, now
) -> None:
    """Seen in an end-to-end run: `quota 27 left, resets 23:44:47` shown at 23:45:20."""
    bucket = {"tokens": 24, "capacity": 24, "remaining": 27, "reset_at": SAVED + 60}
    seed(tmp_path, None, buckets={"search": bucket})
    now[0] = SAVED + 5
    assert "search: 24/24 tokens; quota 27 left, resets " in health_text(
        tmp_path, capsys, enabled=True
    )
    now[0] = SAVED + 61
    out = gh(health_text(tmp_path, capsys, enabled=True))
    assert "quota 27 left" not in out
    assert "; quota reset at " in out and "(a new window since)" in out

"""`zen-tui health` text: the webhook counters of each account's service, when webhooks are on."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from zen_tui import paths
from zen_tui.cli import main
from zen_tui.store import Store, leases

HOOKS = {
    "accepted": {"github": 3, "slack": 9},
    "duplicates": {"github": 1},
    "rejected": {"github: 401": 2, "github: 413": 1, "slack: 401": 5},
    "last_at": {"github": 1.0},
    "processed": 3,
    "port": 8790,
}


def write_config(tmp_path: Path, *, enabled: bool) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        '[[accounts]]\nname = "gh"\nservice = "github"\n\n'
        '[[accounts]]\nname = "team"\nservice = "slack"\n\n'
        f"[webhooks]\nenabled = {str(enabled).lower()}\n",
        encoding="utf-8",
    )
    return config


def health_text(tmp_path: Path, capsys: pytest.CaptureFixture[str], *, enabled: bool) -> str:
    config = write_config(tmp_path, enabled=enabled)
    assert main(["--config", str(config), "--data-dir", str(tmp_path), "health"]) == 0
    return capsys.readouterr().out


def seed(tmp_path: Path, at: float = 100.0, **extra: object) -> None:
    store = Store.open(paths.store_path(tmp_path))
    store.save_health("gh", {"breaker": "closed", "webhooks": HOOKS, **extra}, at)
    store.close()


def test_each_account_shows_its_services_webhook_counters(tmp_path, capsys) -> None:
    # Saved just now by a saver still running: "live" (an old record would say "not live").
    owner = leases.new_owner()
    seed(tmp_path, time.time(), webhooks_live=True, saved_by=owner)
    out = health_text(tmp_path, capsys, enabled=True)
    gh = out.split("team (slack)")[0]
    assert (
        "  webhooks  live on port 8790; 3 accepted, 1 duplicates, 3 rejected (401: 2, 413: 1)" in gh
    )
    assert "slack" not in gh.split("webhooks")[1]  # another service's counts stay out
    team = out.split("team (slack)")[1]  # no sync saved for it yet
    assert "  webhooks  on; no counts saved yet" in team
    leases.forget(owner)


def test_the_counters_say_since_when_they_count(tmp_path, capsys) -> None:
    """A record from a receiver that says when it started: its counts are from then on
    (an older record, above, says nothing of a period)."""
    from zen_tui.timefmt import local_time

    now = time.time()
    started = now - 3600
    store = Store.open(paths.store_path(tmp_path))
    store.save_health("gh", {"breaker": "closed", "webhooks": HOOKS | {"started_at": started}}, now)
    store.close()
    out = health_text(tmp_path, capsys, enabled=True)
    since = local_time(started, now=now)
    assert f"on port 8790; since {since}: 3 accepted, 1 duplicates, 3 rejected" in out


def test_no_webhook_line_when_they_are_off_and_nothing_was_counted(tmp_path, capsys) -> None:
    store = Store.open(paths.store_path(tmp_path))
    store.save_health("gh", {"breaker": "closed"}, 100.0)
    store.close()
    assert "webhooks" not in health_text(tmp_path, capsys, enabled=False)


def test_only_the_configured_accounts_are_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As the dashboard's cards and health screen: a service with no account in the config
    (here Jira, whose account was removed after a sync saved its record) is not listed."""
    store = Store.open(paths.store_path(tmp_path))
    store.save_health("old", {"breaker": "open"}, 100.0)  # an account since removed
    store.close()
    out = health_text(tmp_path, capsys, enabled=False)
    assert [line.split(" ")[0] for line in out.splitlines() if not line.startswith(" ")] == [
        "gh",
        "team",
    ]
    assert "jira" not in out and "old (" not in out
    config = write_config(tmp_path, enabled=False)
    assert main(["--config", str(config), "--data-dir", str(tmp_path), "health", "--json"]) == 0
    accounts = json.loads(capsys.readouterr().out)["accounts"]
    assert {name: a["service"] for name, a in accounts.items()} == {"gh": "github", "team": "slack"}


def test_a_stored_rate_limit_pause_shows_with_the_time_left(tmp_path, capsys, monkeypatch):
    """A pause another zen-tui met (or one before a restart) holds every process on the data
    folder: `health` says so from the store, whatever the saved record says."""
    from zen_tui.commands import health
    from zen_tui.models import RatePause

    now = 1_700_000_000.0
    monkeypatch.setattr(health, "_now", lambda: now)
    seed(tmp_path, now - 30)
    store = Store.open(paths.store_path(tmp_path))
    for pause in (
        RatePause(
            "gh", "github", "core", now + 14 * 60 + 5, now - 60, "HTTP 429 \x1b[2JRetry-After"
        ),
        RatePause("gh", "github", "search", now - 1, now - 61, "HTTP 429 Retry-After"),  # over
        RatePause("team", "slack", "tier3:chat.postMessage", now + 30, now, "HTTP 429 Retry-After"),
    ):
        store.save_rate_pause(pause)
    store.close()
    out = health_text(tmp_path, capsys, enabled=False)
    gh, team = out.split("team (slack)")
    [line] = [line for line in gh.splitlines() if "paused" in line]
    assert line.startswith("  paused    core: 14m left (until ")
    assert line.endswith("), HTTP 429 \u241b[2JRetry-After")  # its ESC made visible
    assert "  paused    tier3:chat.postMessage: 30s left" in team

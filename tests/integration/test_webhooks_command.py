"""`zen-tui webhooks`: endpoints, secrets set or not, the queue and the last run's counters."""

import json

from zen_tui import paths
from zen_tui.cli import main
from zen_tui.store import Store, leases

NOW = 1_800_000_000.0
SAVED = {
    "accepted": {"github": 3},
    "duplicates": {"github": 1},
    "rejected": {"jira: 401": 2},
    "last_at": {"github": 1.0},
}


def seed(data_dir):
    store = Store.open(paths.store_path(data_dir))
    store.webhook_enqueue("github", "d1", "issues", b"{}", 1.0)
    store.webhook_enqueue("github", "d2", "issues", b"{}", 2.0)
    store.webhook_done(store.webhook_pending()[0].id)
    store.save_health("github", {"webhooks": SAVED}, 100.0)
    store.close()


def test_json_and_text_reports(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ZEN_GITHUB_WEBHOOK_SECRET", "gh-secret-value")
    monkeypatch.delenv("ZEN_JIRA_WEBHOOK_SECRET", raising=False)
    seed(tmp_path)
    (tmp_path / "none.toml").write_text("")
    base = ["--data-dir", str(tmp_path), "--config", str(tmp_path / "none.toml"), "webhooks"]

    assert main([*base, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["pending"] == 1 and report["last_run"] == SAVED and report["saved_at"] == 100.0
    assert report["loopback"] is True and report["enabled"] is False
    github, jira = report["endpoints"]["github"], report["endpoints"]["jira"]
    assert github["url"] == "http://127.0.0.1:8790/webhooks/github"
    assert github["secret_set"] is True and jira["secret_set"] is False

    assert main(base) == 0
    out = capsys.readouterr().out
    assert "gh-secret-value" not in out
    assert "secret $ZEN_JIRA_WEBHOOK_SECRET: NOT SET" in out
    assert "3 accepted, 1 duplicates, 2 rejected" in out
    assert "queue: 1 pending" in out and "tunnel" in out


def test_counters_saved_under_made_up_names_are_never_printed(tmp_path, capsys):
    """An older zen-tui counted rejected deliveries under the path name a sender chose."""
    hostile = {
        "\x1b]52;c;aGk=\x07: 404": 3,
        "[bold]x[/]: 404": 1,
        "\x1b[2J: 404": 2,
        "github: 401": 4,
    }
    saved = {**SAVED, "rejected": hostile, "accepted": {"github": 1, "\x1b[31mred": 9}}
    store = Store.open(paths.store_path(tmp_path))
    store.save_health("github", {"webhooks": saved}, 100.0)
    store.close()
    (tmp_path / "none.toml").write_text("")
    base = ["--data-dir", str(tmp_path), "--config", str(tmp_path / "none.toml"), "webhooks"]
    assert main(base) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "[bold]" not in out and "red" not in out
    assert "rejected unknown: 404: 6" in out and "rejected github: 401: 4" in out
    assert "1 accepted" in out
    assert main([*base, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["last_run"]["rejected"] == {"unknown: 404": 6, "github: 401": 4}
    assert report["last_run"]["accepted"] == {"github": 1}


def test_port_0_shows_the_port_the_running_receiver_took(tmp_path, capsys, monkeypatch):
    """`port = 0` picks a free port at each start: the URLs are the running process's (its
    saved record), and without one the report says there is no URL to register yet."""
    config = tmp_path / "zen.toml"
    config.write_text("[webhooks]\nenabled = true\nport = 0\n")
    base = ["--data-dir", str(tmp_path), "--config", str(config), "webhooks"]
    assert main(base) == 0
    assert "port 0: a free port at each start" in capsys.readouterr().out

    owner = leases.new_owner()  # `zen-tui sync`: this process, running
    store = Store.open(paths.store_path(tmp_path))
    store.save_health("github", {"webhooks": {**SAVED, "port": 41234}, "saved_by": owner}, NOW)
    store.close()
    monkeypatch.setattr("zen_tui.commands.webhooks._now", lambda: NOW + 5)
    assert main([*base, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["port"] == 41234 and report["saver_running"] is True
    assert report["endpoints"]["github"]["url"] == "http://127.0.0.1:41234/webhooks/github"
    assert main(base) == 0
    out = capsys.readouterr().out
    assert "POST http://127.0.0.1:41234/webhooks/github" in out and "port 0" not in out


def test_the_demo_says_its_dashboard_runs_its_own_receiver(tmp_path, capsys):
    """`--demo webhooks` read no config, yet told to set `enabled` in it and listed the
    config's secret variables as NOT SET, while the demo dashboard runs webhooks on its own
    (a free loopback port, secrets made per session) and headless demo commands none."""
    base = ["--data-dir", str(tmp_path), "--demo", "webhooks"]
    assert main(base) == 0
    out = capsys.readouterr().out
    assert "in the config" not in out and "NOT SET" not in out and "8790" not in out
    assert "`zen-tui --demo`" in out and "generated" in out
    assert main([*base, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["demo"] is True and report["endpoints"] == {}


async def test_a_run_with_no_receiver_keeps_the_last_receivers_counters(settings, capsys):
    """`zen-tui sync --once` (from cron, say) runs no receiver: it saved its own empty
    counters over the last receiver's, so `zen-tui webhooks` and `health` said `0 accepted`,
    `(not listening)`, as if no delivery had ever come. It keeps the receiver's, said as
    saved by that receiver's run."""
    import argparse

    import msgspec

    from zen_tui.commands import health, webhooks
    from zen_tui.config_schema import WebhookConfig
    from zen_tui.sync.engine import SyncEngine
    from zen_tui.wiring import build

    hooks = WebhookConfig(enabled=True, port=0, secrets={"github": "s3cret"})
    settings = msgspec.structs.replace(settings, webhooks=hooks, demo=False)
    counted = SAVED | {"started_at": NOW - 3600, "port": 8790, "processed": 4}
    gone = "vm:999999:1:0"  # a dashboard that quit: its pid is not running
    dashboard = {"webhooks": counted, "saved_by": gone, "saver_role": "the dashboard"}
    store = Store.open_in(settings.data_dir)
    for account in settings.accounts:
        store.save_health(account.name, dashboard | {"stopped": True}, NOW - 600)
    store.close()
    engine = SyncEngine(build(settings), role="`zen-tui sync --once`")
    try:
        await engine.sync_once()
    finally:
        await engine.stop()
    capsys.readouterr()
    assert webhooks.run(argparse.Namespace(json=True), settings) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["last_run"]["accepted"] == {"github": 3}
    assert report["last_run"]["processed"] == 4 and report["saved_at"] == NOW - 600
    assert report["saver"]["saver_role"] == "the dashboard" and not report["saver_running"]
    assert health.run(argparse.Namespace(json=False), settings) == 0
    out = capsys.readouterr().out
    github = next(a.name for a in settings.accounts if a.service == "github")
    block = out.split(f"{github} (github)")[1]
    assert "webhooks  not live (nothing is running to receive them) on port 8790; since" in block
    assert "3 accepted, 1 duplicates" in block and "(not listening)" not in block, out

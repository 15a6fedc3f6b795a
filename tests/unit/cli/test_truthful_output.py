"""Issue 14 part 5 on the command line: demo hints name the demo's command; Slack messages
are listed by channel and time, their raw ids kept for `--json`. Runs `zen-tui` as a user
does, in a subprocess over the bundled simulator."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
RAW_ID = re.compile(r"\b[CDG][A-Z0-9]{8,}:\d{10}\.\d{6}\b")


def zen(data: Path, *argv: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO), "ZEN_TUI_CONFIG": str(data / "none.toml")}
    done = subprocess.run(
        [sys.executable, "-m", "zen_tui", "--data-dir", str(data), "--demo", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    return done.stdout


def test_demo_read_commands_show_their_own_runs_world(tmp_path: Path) -> None:
    """Each demo run has its own (empty) store: `list` and `health` fill it first, so they
    never send the user to a `sync --once` whose data the next run would not see."""
    listed = zen(tmp_path, "list", "prs")
    health = zen(tmp_path, "health")
    for out in (listed, health):
        assert "sync --once" not in out, out
    assert "not synced yet" not in listed and "no sync yet" not in health


def test_list_messages_shows_channel_and_time_and_json_keeps_the_id(tmp_path: Path) -> None:
    # no `sync --once` first: a demo run's store starts empty, its `list` syncs it itself
    text = zen(tmp_path, "list", "messages")
    rows = [line for line in text.splitlines() if line.startswith("  ")]
    assert rows and not RAW_ID.search(text), text
    assert all(re.match(r"  [#@]\S+ (\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d \S+ ", r) for r in rows), rows
    # the state column lines up, a dated label included (it overflowed the key's width)
    starts = {re.match(r"  .+? \S+:\d\d \S+ +", r).end() for r in rows}  # type: ignore[union-attr]
    assert len(starts) == 1, rows
    document = json.loads(zen(tmp_path, "list", "messages", "--json"))
    items = [i for s in document["sections"] for i in s["items"]]
    assert items and all(RAW_ID.fullmatch(i["key"]) for i in items)
    assert all(i["channel"] and i["ts"] for i in items)


def zen_run(data: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "ZEN_TUI_CONFIG": str(data / "none.toml")}
    return subprocess.run(
        [sys.executable, "-m", "zen_tui", "--data-dir", str(data), "--demo", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_act_says_what_happened_once_and_a_404_is_not_a_conflict(tmp_path: Path) -> None:
    done = zen_run(tmp_path, "act", "add_label", "github:acme/web#40", "label=bug")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "applied add_label on github:acme/web#40"  # no ": … done"
    missing = zen_run(tmp_path, "act", "add_label", "github:acme/web#99999", "label=bug")
    assert missing.returncode == 1
    assert "not found: 404" in missing.stderr and "conflict" not in missing.stderr


def test_sync_once_says_one_accounts_keyring_advice_once(tmp_path: Path) -> None:
    """No usable keyring (a subprocess without a Secret Service): every section of the
    account is degraded for the same reason, given in full once, then referred to."""
    sections = "".join(
        f'[[sections]]\ntitle = "{title}"\naccount = "gh"\npane = "prs"\nquery = "is:open"\n\n'
        for title in ("One", "Two", "Three")
    )
    config = tmp_path / "config.toml"
    config.write_text(
        '[[accounts]]\nname = "gh"\nservice = "github"\nbase_url = "http://127.0.0.1:9"\n\n'
        + sections
    )
    env = {k: v for k, v in os.environ.items() if k not in ("GH_TOKEN", "GITHUB_TOKEN")}
    env |= {"PYTHONPATH": str(REPO), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    argv = ["--config", str(config), "--data-dir", str(tmp_path), "sync", "--once"]
    done = subprocess.run(
        [sys.executable, "-m", "zen_tui", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    lines = done.stdout.splitlines()
    assert done.returncode == 3 and len(lines) == 3, done.stdout + done.stderr
    assert "keyring" in lines[0]
    assert [line.split(": ", 1)[1] for line in lines[1:]] == [
        "0 items, empty (same reason as One)"
    ] * 2

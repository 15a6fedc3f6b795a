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


def test_demo_hints_name_the_demo_command_and_it_works(tmp_path: Path) -> None:
    listed = zen(tmp_path, "list", "prs")
    health = zen(tmp_path, "health")
    for out in (listed, health):
        assert "run `zen-tui --demo sync --once`" in out, out
        assert "run `zen-tui sync" not in out
    zen(tmp_path, "sync", "--once")  # the hint, followed
    assert "not synced yet" not in zen(tmp_path, "list", "prs")
    assert "no sync yet" not in zen(tmp_path, "health")


def test_list_messages_shows_channel_and_time_and_json_keeps_the_id(tmp_path: Path) -> None:
    zen(tmp_path, "sync", "--once")
    text = zen(tmp_path, "list", "messages")
    rows = [line for line in text.splitlines() if line.startswith("  ")]
    assert rows and not RAW_ID.search(text), text
    assert all(re.match(r"  [#@]\S+ (\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d \S+ ", r) for r in rows), rows
    document = json.loads(zen(tmp_path, "list", "messages", "--json"))
    items = [i for s in document["sections"] for i in s["items"]]
    assert items and all(RAW_ID.fullmatch(i["key"]) for i in items)
    assert all(i["channel"] and i["ts"] for i in items)

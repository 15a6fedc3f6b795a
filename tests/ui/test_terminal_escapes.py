"""The real dashboard in a real terminal (tmux): a Slack message carrying OSC 52 (write the
clipboard) and `ESC [ 2 J` is shown as visible text and obeyed by nothing (issue 9, point 2).

tmux is the terminal here: with `set-clipboard on` it turns an application's OSC 52 into a
paste buffer, so an escape that got through leaves a buffer behind. Skipped without tmux.
"""

from __future__ import annotations

import base64
import os
import shutil
import time
from pathlib import Path

import pytest

from tests.hostile_text import CLEAR
from zen_tui import paths
from zen_tui.models import Message, PullRequest
from zen_tui.store import Store

from .tmux import start_dashboard, tmux

# OSC 52 first and short, so the whole sequence fits in the row's title column.
OSC52 = "\x1b]52;c;" + base64.b64encode(b"pwned").decode() + "\x07"
TITLE = f"{OSC52}Validation Failed {CLEAR} and invoice_\u202egnp.exe"
CONFIG = """\
[[accounts]]
name = "gh"
service = "github"
base_url = "http://127.0.0.1:9"

[[accounts]]
name = "team"
service = "slack"
base_url = "http://127.0.0.1:9/api"

[[sections]]
pane = "prs"
title = "Mine"
account = "gh"
query = "is:pr"

[[sections]]
pane = "messages"
title = "Dev"
account = "team"
channels = ["#dev"]
"""

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)"
)


def _data_dir(tmp_path: Path) -> list[str]:
    """Config (loopback base URLs, nothing reachable: no network) and a store holding one
    hostile message and one hostile PR, painted from disk at start."""
    (tmp_path / "c.toml").write_text(CONFIG, encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    common = {"title": TITLE, "updated_at": "2026-01-01T00:00:00Z"}
    msg = Message(
        id="team:C1:1.0",
        account="team",
        service="slack",
        key="C1:1.0",
        url="https://x.slack.com/archives/C1/p10",
        channel="#dev",
        author="mallory",
        text=TITLE,
        ts="1.0",
        **common,
    )
    pr = PullRequest(
        id="gh:o/r#1",
        account="gh",
        service="github",
        key="o/r#1",
        url="https://github.com/o/r/pull/1",
        author="mallory",
        body=TITLE,
        **common,
    )
    store = Store.open(paths.store_path(data))
    try:
        store.save_section("messages:0:team", [msg], time.time())
        store.save_section("prs:0:gh", [pr], time.time())
    finally:
        store.close()
    return ["--config", str(tmp_path / "c.toml"), "--data-dir", str(data)]


def test_the_dashboard_shows_escapes_and_the_terminal_obeys_none(tmp_path: Path) -> None:
    argv = _data_dir(tmp_path)
    socket = f"zen-hostile-{os.getpid()}"
    start_dashboard(socket, tmp_path, argv, size=(200, 50))
    try:
        screen = ""
        deadline = time.monotonic() + 60
        while "invoice_" not in screen and time.monotonic() < deadline:  # the preview is up
            screen = tmux(socket, "capture-pane", "-p").stdout
            time.sleep(0.2)  # polling the real terminal for the first paint: no event to await
        buffers = tmux(socket, "list-buffers").stdout
        assert buffers == "", f"OSC 52 wrote tmux's paste buffer: {buffers!r}"
        assert "␛]52;c;" in screen and "␛[2J" in screen, screen  # shown, as text
        assert "invoice_\ufffdgnp.exe" in screen
        styled = tmux(socket, "capture-pane", "-p", "-e").stdout  # with the cells' escapes
        assert "\x1b]" not in styled  # no OSC held by the terminal (SGR colours are fine)
        assert "\u202e" not in styled and "\x07" not in styled
    finally:
        tmux(socket, "kill-server")

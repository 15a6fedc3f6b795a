"""The real dashboard in a real terminal (tmux), issue 14 part 4: `y` and `Y` reach the
terminal's clipboard through OSC 52 (tmux with `set-clipboard on` turns it into a paste
buffer: what an ssh session's terminal would get), and a `mode = "suspend"` command gets the
terminal from `App.suspend`, runs in the repo's checkout, and the dashboard comes back with
its outcome. Skipped without tmux."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from unittest import mock

import pytest

from zen_tui import paths
from zen_tui.config import load_settings
from zen_tui.models import PullRequest
from zen_tui.store import Store
from zen_tui.sync.session_rows import RowStores

from .tmux import start_dashboard, tmux

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)"
)

TOKEN = "not-a-real-token"
CONFIG = """\
[[accounts]]
name = "gh"
service = "github"
base_url = "http://127.0.0.1:9"
token_env = "ZEN_TEST_GH_TOKEN"      # nothing listens there: the section says offline

[[sections]]
pane = "prs"
title = "Mine"
account = "gh"
query = "is:pr"

[[commands]]
key = "T"
pane = "prs"
title = "stamp"
run = "printf '%s %s\\\\n' {number} {branch} > stamped.txt"
mode = "suspend"
in_checkout = true

[repos."acme/web"]
path = "{checkout}"
"""


def start(tmp_path: Path) -> tuple[str, Path]:
    checkout = tmp_path / "web"
    checkout.mkdir()
    (tmp_path / "c.toml").write_text(CONFIG.replace("{checkout}", str(checkout)))
    data = tmp_path / "data"
    data.mkdir()
    pr = PullRequest(
        id="gh:acme/web#42",
        account="gh",
        service="github",
        key="acme/web#42",
        title="Speed up exports",
        url="https://github.com/acme/web/pull/42",
        updated_at="2026-01-01T00:00:00Z",
        repo="acme/web",
        number=42,
        branch="ada/exports",
    )
    # The dashboard's token comes from its environment: it paints that login's own rows
    # (sync/session_rows.py), found here as it finds them, from the same token.
    settings = load_settings(tmp_path / "c.toml", data)
    store = Store.open(paths.store_path(data))
    with mock.patch.dict(os.environ, {"ZEN_TEST_GH_TOKEN": TOKEN}):
        rows = RowStores.for_settings(store, settings)
    try:
        rows.of("gh").save_section("prs:0:gh", [pr], time.time())
    finally:
        rows.close()
        store.close()
    socket = f"zen-keys-{os.getpid()}-{tmp_path.name}"
    argv = ["--config", str(tmp_path / "c.toml"), "--data-dir", str(data)]
    start_dashboard(socket, tmp_path, argv, size=(160, 40), env=f"ZEN_TEST_GH_TOKEN={TOKEN}")
    return socket, checkout


@pytest.fixture
def dashboard(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    socket, checkout = start(tmp_path)
    try:
        yield socket, checkout
    finally:
        tmux(socket, "kill-server")


def wait_for(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 60
    while not check():  # polling a real terminal: there is no event to await
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def screen(socket: str) -> str:
    return tmux(socket, "capture-pane", "-p").stdout


def buffer(socket: str) -> str:
    return tmux(socket, "show-buffer").stdout


def test_y_and_Y_reach_the_terminal_clipboard(dashboard: tuple[str, Path]) -> None:
    socket, _ = dashboard
    wait_for(lambda: "Speed up exports" in screen(socket), "the first paint")
    tmux(socket, "send-keys", "y")
    wait_for(lambda: buffer(socket) == "https://github.com/acme/web/pull/42", "OSC 52 from y")
    wait_for(lambda: "copied https://github.com/acme/web/pull/42" in screen(socket), "the note")
    tmux(socket, "send-keys", "Y")
    wait_for(lambda: buffer(socket) == "42", "OSC 52 from Y")


def test_a_suspend_command_gets_the_terminal_and_the_dashboard_comes_back(
    dashboard: tuple[str, Path],
) -> None:
    socket, checkout = dashboard
    wait_for(lambda: "Speed up exports" in screen(socket), "the first paint")
    tmux(socket, "send-keys", "T")
    wait_for(lambda: "stamp on acme/web#42: done" in screen(socket), "the command's outcome")
    assert (checkout / "stamped.txt").read_text() == "42 ada/exports\n"
    assert "Speed up exports" in screen(socket)  # the dashboard is back

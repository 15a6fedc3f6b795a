"""The real dashboard in a real terminal (tmux), issue 14 part 4: `y` and `Y` reach the
terminal's clipboard through OSC 52 (tmux with `set-clipboard on` turns it into a paste
buffer: what an ssh session's terminal would get), and a `mode = "suspend"` command gets the
terminal from `App.suspend`, runs in the repo's checkout, and the dashboard comes back with
its outcome. Skipped without tmux."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from zen_tui import paths
from zen_tui.models import PullRequest
from zen_tui.store import Store

from .test_terminal_escapes import REPO_ROOT, _tmux

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)"
)

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
    store = Store.open(paths.store_path(data))
    try:
        store.save_section("prs:0:gh", [pr], time.time())
    finally:
        store.close()
    socket = f"zen-keys-{os.getpid()}-{tmp_path.name}"
    conf = tmp_path / "tmux.conf"
    conf.write_text("set -s set-clipboard on\n")
    env = f"env -u COLUMNS -u LINES PYTHONPATH={REPO_ROOT} TERM=xterm-256color"
    env += " ZEN_TEST_GH_TOKEN=not-a-real-token"
    argv = f"--config {tmp_path / 'c.toml'} --data-dir {data}"
    command = f"{env} {sys.executable} -m zen_tui {argv}"
    started = subprocess.run(
        [
            "tmux",
            "-L",
            socket,
            "-f",
            str(conf),
            "new-session",
            "-d",
            "-x",
            "160",
            "-y",
            "40",
            command,
        ],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert started.returncode == 0, started.stderr
    return socket, checkout


@pytest.fixture
def dashboard(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    socket, checkout = start(tmp_path)
    try:
        yield socket, checkout
    finally:
        _tmux(socket, "kill-server")


def wait_for(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 60
    while not check():  # polling a real terminal: there is no event to await
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def screen(socket: str) -> str:
    return _tmux(socket, "capture-pane", "-p").stdout


def buffer(socket: str) -> str:
    return _tmux(socket, "show-buffer").stdout


def test_y_and_Y_reach_the_terminal_clipboard(dashboard: tuple[str, Path]) -> None:
    socket, _ = dashboard
    wait_for(lambda: "Speed up exports" in screen(socket), "the first paint")
    _tmux(socket, "send-keys", "y")
    wait_for(lambda: buffer(socket) == "https://github.com/acme/web/pull/42", "OSC 52 from y")
    wait_for(lambda: "copied https://github.com/acme/web/pull/42" in screen(socket), "the note")
    _tmux(socket, "send-keys", "Y")
    wait_for(lambda: buffer(socket) == "42", "OSC 52 from Y")


def test_a_suspend_command_gets_the_terminal_and_the_dashboard_comes_back(
    dashboard: tuple[str, Path],
) -> None:
    socket, checkout = dashboard
    wait_for(lambda: "Speed up exports" in screen(socket), "the first paint")
    _tmux(socket, "send-keys", "T")
    wait_for(lambda: "stamp on acme/web#42: done" in screen(socket), "the command's outcome")
    assert (checkout / "stamped.txt").read_text() == "42 ada/exports\n"
    assert "Speed up exports" in screen(socket)  # the dashboard is back

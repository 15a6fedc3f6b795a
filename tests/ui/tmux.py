"""The real dashboard in a real terminal: tmux runs `python -m zen_tui` in a detached session
of a given size, with `set-clipboard on` so an application's OSC 52 becomes a paste buffer
(what an ssh session's terminal would get). Shared by the test_terminal_* files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def tmux(socket: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["tmux", "-L", socket, *args], capture_output=True, text=True, timeout=20, check=False
    )


def start_dashboard(
    socket: str, tmp_path: Path, argv: list[str], *, size: tuple[int, int], env: str = ""
) -> None:
    """Start the dashboard with `argv` on tmux server `socket`; `env`: extra `NAME=value`s.
    tmux sizes the terminal, so COLUMNS/LINES from the test's own terminal are dropped."""
    conf = tmp_path / "tmux.conf"
    conf.write_text("set -s set-clipboard on\n")  # OSC 52 from a program -> a paste buffer
    prefix = f"env -u COLUMNS -u LINES PYTHONPATH={REPO_ROOT} TERM=xterm-256color {env}"
    command = f"{prefix.rstrip()} {sys.executable} -m zen_tui {' '.join(argv)}"
    width, height = size
    started = tmux(
        socket, "-f", str(conf), "new-session", "-d", "-x", str(width), "-y", str(height), command
    )
    assert started.returncode == 0, started.stderr

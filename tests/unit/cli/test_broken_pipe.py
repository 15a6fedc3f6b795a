"""A closed stdout (`zen-tui list prs | head -1`) ends quietly with 141, no error line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from zen_tui import paths
from zen_tui.config import load_settings, section_infos
from zen_tui.models import PullRequest
from zen_tui.store import Store

from .conftest import gh_pr

CONFIG = """
[[accounts]]
name = "gh"
service = "github"
[[sections]]
pane = "prs"
title = "Mine"
account = "gh"
query = "is:pr"
"""


def test_reader_closing_early_is_quiet(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(CONFIG, encoding="utf-8")
    data = tmp_path / "data"
    settings = load_settings(cfg, data, must_exist=True)
    section = next(s for s in section_infos(settings) if s.pane == "prs")
    prs = [_pr(n) for n in range(3000)]  # far more than a pipe buffer holds
    with Store.open(paths.store_path(data)) as store:
        store.save_section(section.id, prs, 1.0)
    cmd = [
        sys.executable,
        "-m",
        "zen_tui",
        "--config",
        str(cfg),
        "--data-dir",
        str(data),
        "list",
        "prs",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith(b"== ")
    proc.stdout.close()  # like `head -1` exiting
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141
    assert err == ""


def _pr(n: int) -> PullRequest:
    title = f"change number {n} " + "x" * 60
    return gh_pr(f"acme/api#{n + 1}", title=title, url=f"https://x/{n}")

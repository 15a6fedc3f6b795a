"""Hostile server text through every CLI output: no escape sequence or bidi control reaches
the terminal, and markup-looking text is printed as it came (issue 9, points 1 and 2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.hostile_text import ALL, CLEAR, CLICK, OSC52, forbidden_in
from zen_tui import paths
from zen_tui.cli import main
from zen_tui.models import Action, ActionState, Issue, Message, PullRequest
from zen_tui.store import Store

from .conftest import gh_pr

REPO_ROOT = Path(__file__).resolve().parents[3]
HOSTILE = " | ".join(ALL)
CONFIG = """\
[[accounts]]
name = "gh"
service = "github"

[[accounts]]
name = "team"
service = "slack"

[[accounts]]
name = "work"
service = "jira"
base_url = "https://work.atlassian.net"

[[sections]]
pane = "prs"
title = "Review \\u001b[2J [/] requested"
account = "gh"
query = "is:pr"

[[sections]]
pane = "issues"
title = "Sprint"
account = "work"
jql = "project = X"

[[sections]]
pane = "messages"
title = "Dev \\u202e chat"
account = "team"
channels = ["#dev"]

[webhooks]
enabled = true
"""


def _items() -> dict[str, list[PullRequest | Issue | Message]]:
    common = {"title": HOSTILE, "url": "https://github.com/x", "updated_at": "2026-01-01T00:00Z"}
    pr = PullRequest(
        id="gh:o/r#1",
        account="gh",
        service="github",
        key=f"o/r#1{CLEAR}",
        author=OSC52,
        labels=(CLICK,),
        body=HOSTILE,
        **common,
    )
    issue = Issue(
        id="work:X-1",
        account="work",
        service="jira",
        key="X-1",
        status=OSC52,
        assignee=CLICK,
        body=HOSTILE,
        **common,
    )
    msg = Message(
        id="team:C1:1.0",
        account="team",
        service="slack",
        key="C1:1.0",
        channel=CLEAR,
        author=CLICK,
        text=HOSTILE,
        ts="1.0",
        **common,
    )
    return {"prs:0:gh": [pr], "issues:0:work": [issue], "messages:0:team": [msg]}


@pytest.fixture
def hostile_dir(tmp_path: Path) -> list[str]:
    """A config and a store full of hostile text: items, reasons, outbox, health."""
    (tmp_path / "c.toml").write_text(CONFIG, encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    store = Store.open(paths.store_path(data))
    try:
        for section_id, items in _items().items():
            store.save_section(section_id, items, time.time())
            store.set_section_reason(section_id, HOSTILE)
        entry = store.outbox_add(Action("comment", "gh:o/r#1", "gh", {"body": HOSTILE}))
        store.outbox_update(entry.id, state=ActionState.FAILED, reason=HOSTILE)
        hooks = {"accepted": {}, "duplicates": {}, "rejected": {f"github: {HOSTILE}": 3}}
        store.save_health(
            "gh", {"breaker": OSC52, "deprecations": [HOSTILE], "webhooks": hooks}, time.time()
        )
    finally:
        store.close()
    return ["--config", str(tmp_path / "c.toml"), "--data-dir", str(data)]


COMMANDS = [
    ["list", "prs"],
    ["list", "issues"],
    ["list", "messages"],
    ["list", "prs", "--json"],
    ["list", "messages", "--json"],
    ["outbox"],
    ["outbox", "--json"],
    ["health"],
    ["health", "--json"],
    ["webhooks"],
    ["outbox", "retry", CLICK + OSC52],  # an error line quoting the user's (hostile) argument
    ["list", "prs", "--account", OSC52 + CLICK],
]


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: " ".join(a)[:30])
def test_no_command_prints_a_control_character(
    hostile_dir: list[str], argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([*hostile_dir, *argv])
    out, err = capsys.readouterr()
    assert not forbidden_in(out), (argv, forbidden_in(out))
    assert not forbidden_in(err), (argv, forbidden_in(err))
    assert "Traceback" not in err
    if code == 0 and "--json" not in argv and argv[0] == "list":  # shown as it came, literally
        assert "[@click=screen.triage('approve')]" in out
        assert "␛]52;c;" in out and "␛[2J" in out  # the escapes are shown, not obeyed


def test_json_output_keeps_the_exact_text(hostile_dir: list[str], capsys) -> None:
    """--json escapes control characters itself (\\u001b): the data survives, byte for byte."""
    main([*hostile_dir, "list", "messages", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["sections"][0]["items"][0]["title"] == HOSTILE


def test_list_messages_bytes_on_stdout(hostile_dir: list[str]) -> None:
    """The issue's reproduction: the real process's stdout, as bytes."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    env.pop("ZEN_TUI_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-m", "zen_tui", *hostile_dir, "list", "messages"],
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert b"\x1b" not in done.stdout and b"\x07" not in done.stdout
    assert b"\xc2\x9b" not in done.stdout  # U+009B, the 8-bit CSI, in UTF-8
    assert "\u202e".encode() not in done.stdout
    assert "␛]52;c;".encode() in done.stdout


def test_list_prints_one_line_per_item(tmp_path: Path, capsys) -> None:
    """A newline or CR in server text cannot start a line that reads as another item (or as
    the section's header): `list` prints each item, and each reason, on a line of its own."""
    forged = "real title\n  o/r#2                        open         forged\r== Fake [gh] live"
    (tmp_path / "c.toml").write_text(CONFIG, encoding="utf-8")
    store = Store.open(paths.store_path(tmp_path / "data"))
    try:
        pr = gh_pr("o/r#1", title=forged, updated_at="2026-01-01T00:00Z")
        store.save_section("prs:0:gh", [pr], time.time())
        store.set_section_reason("prs:0:gh", "server error\n== Fake [gh] live")
    finally:
        store.close()
    main(
        ["--config", str(tmp_path / "c.toml"), "--data-dir", str(tmp_path / "data"), "list", "prs"]
    )
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2, lines  # the header and the one item
    assert lines[0].startswith("== Review") and "server error == Fake" in lines[0]
    assert lines[1].startswith("  o/r#1 ") and "real title   o/r#2" in lines[1]


def test_outbox_prints_one_line_per_entry(hostile_dir: list[str], capsys) -> None:
    """The failed entry's reason (a server's message with a CR in it) stays on its line."""
    main([*hostile_dir, "outbox"])
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].split()[1] == "failed", lines


def test_sync_prints_one_line_per_section() -> None:
    from zen_tui.commands.sync import line
    from zen_tui.models import Freshness, FreshnessState, SectionInfo, Snapshot

    section = SectionInfo("prs:0:gh", "prs", "Review\nrequested", "gh", "github")
    why = "github refused the query: no\r10:00:00 UTC Fake [gh]: 3 items, live"
    snap = Snapshot((), Freshness(FreshnessState.LOCAL, time.time(), why))
    assert len(line(section, snap, time.time()).splitlines()) == 1

"""`zen-tui health` by its quick lane (the config's kept facts, the store as it is, no msgspec)
says exactly what the full path says, or declines having said nothing: over random stores,
configs and clocks (it answers for every ordinary one), and over the odd ones (damaged rows,
a store to create or make private, a login in the environment)."""

from __future__ import annotations

import json
import math
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import seeds
from zen_tui import cli
from zen_tui.cli import main
from zen_tui.cli_parser import parse_args, paths
from zen_tui.commands import health
from zen_tui.pause_rules import PAUSE_MAX
from zen_tui.store import Store, leases

from .conftest import by_both_lanes, cli_args

NOW = 1_800_000_000.0
ACCOUNTS = [("gh", "github"), ("jr", "jira"), ("sl", "slack"), ("gh2", "github")]
CONFIG = {
    "gh": '[[accounts]]\nname = "gh"\nservice = "github"\n',
    "jr": '[[accounts]]\nname = "jr"\nservice = "jira"\nbase_url = "https://x.atlassian.net"\n',
    "sl": '[[accounts]]\nname = "sl"\nservice = "slack"\n',
    "gh2": '[[accounts]]\nname = "gh2"\nservice = "github"\n',
}
# What a stored string may hold: the terminal controls and a CR are cleaned on the way out.
WORDS = ["core", "search", "HTTP 429 Retry-After", "\x1b[2Jboo", "line\r", "\u202eevil", "é"]
# The variables that would log an account in (they make the quick lane decline: elsewhere).
LOGIN_ENV = ("GH_TOKEN", "GITHUB_TOKEN", "JIRA_API_TOKEN", "SLACK_TOKEN")


@pytest.fixture(autouse=True)
def _no_login_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in LOGIN_ENV:
        monkeypatch.delenv(name, raising=False)


def config_text(rng: random.Random, names: list[str]) -> str:
    text = "\n".join(CONFIG[n] for n in names)
    if rng.random() < 0.5:
        text += f"\n[webhooks]\nenabled = {str(rng.random() < 0.5).lower()}\n"
    return text


def owner(rng: random.Random) -> str | None:
    gone = leases.new_owner()
    leases.forget(gone)
    kinds = [
        None,
        leases.new_owner(),  # this process's, open: running
        gone,
        "elsewhere:12:34:abcdef",  # another machine: cannot tell, so running
        "not an owner id",
        f"{gone.split(':')[0]}:{2**22 + 12345}::abc",  # a pid no process has
    ]
    return rng.choice(kinds)


def hooks(rng: random.Random, now: float) -> dict[str, Any]:
    out: dict[str, Any] = {
        "accepted": {
            s: rng.randrange(9) for s in ("github", "slack", "jira") if rng.random() < 0.6
        },
        "duplicates": {"github": rng.randrange(3)},
        "rejected": {
            f"{s}: {c}": rng.randrange(1, 5) for s in ("github", "slack") for c in (401, 413)
        },
        "last_at": {"github": now - rng.randrange(9999)},
        "processed": rng.randrange(20),
    }
    if rng.random() < 0.7:
        out["port"] = rng.choice([8790, 0, None])
    if rng.random() < 0.5:
        out["started_at"] = rng.choice([now - 5000, "soon", None])
    if rng.random() < 0.3:
        kept = {"saved_at": now - rng.uniform(0, 600), "webhooks_live": rng.random() < 0.5}
        kept |= {
            "saved_by": owner(rng),
            "saver_role": "the dashboard",
            "stopped": rng.random() < 0.3,
        }
        out["receiver"] = kept
    return out


def bucket(rng: random.Random, now: float) -> dict[str, Any]:
    out: dict[str, Any] = {"tokens": rng.uniform(0, 50), "capacity": rng.choice([10, 50, 5000])}
    if rng.random() < 0.6:
        out |= {"remaining": rng.randrange(5000), "reset_at": now + rng.uniform(-900, 3600)}
    return out


def record(rng: random.Random, now: float) -> dict[str, Any]:
    data: dict[str, Any] = {
        "breaker": rng.choice(["closed", "open", "half_open"]),
        "requests": rng.randrange(100),
        "errors": rng.randrange(5),
        "retries": rng.randrange(5),
        "cache_hits": rng.randrange(50),
        "cache_misses": rng.randrange(50),
        "revalidations": rng.randrange(9),
        **bucket(rng, now),
    }
    if rng.random() < 0.4:
        data["half_open_at"] = now + rng.uniform(-30, 60)
    if rng.random() < 0.4:
        data["buckets"] = {rng.choice(WORDS): bucket(rng, now) for _ in range(rng.randrange(1, 4))}
    if rng.random() < 0.3:
        data["deprecations"] = rng.sample(WORDS, 2)
    if rng.random() < 0.3:
        data["connection"] = rng.choice(["connected", "connecting", "failed"])
        data["connection_error"] = rng.choice([None, "", rng.choice(WORDS)])
    if rng.random() < 0.5:
        data["webhooks"] = hooks(rng, now)
        data["webhooks_live"] = rng.random() < 0.5
    saver = owner(rng)
    if saver is not None:
        data["saved_by"] = saver
    if rng.random() < 0.5:
        data["saver_role"] = rng.choice(["the dashboard", "zen-tui sync", ""])
    if rng.random() < 0.2:
        data["stopped"] = True
    return data


def pause_row(rng: random.Random, now: float) -> tuple[Any, ...]:
    """A stored pause: running, over, of another account or service, or unusable."""
    account, service = rng.choice([*ACCOUNTS, *ACCOUNTS, ("gone", "github"), ("gh", "slack")])
    recorded = now - rng.uniform(0, 600)
    lasts = rng.uniform(1, 2000)  # mostly usable, running or over; else unusable
    until = recorded + rng.choice([lasts, lasts, lasts, -5.0, PAUSE_MAX * 2, math.inf, 0.0])
    step = rng.choice([0, 0, 0, 2, -1])
    return account, rng.choice(WORDS), service, until, recorded, rng.choice(WORDS), step


def action(rng: random.Random) -> str:
    account = rng.choice([a for a, _ in ACCOUNTS] + ["gone"])
    data = {"kind": "comment", "item_id": f"{account}:x#1", "account": account, "params": {}}
    text = json.dumps({"v": 1, "data": data})
    # JSON json.loads reads and msgspec does not (out of its range, NaN): read all the same
    odd = rng.choice(["", "", "1e999", "NaN", "Infinity"])
    return text.replace('"params": {}', f'"params": {{"n": {odd}}}') if odd else text


def fill(data_dir: Path, rng: random.Random, now: float) -> None:
    store = Store.open(paths.store_path(data_dir))
    for name, _ in [*rng.sample(ACCOUNTS, rng.randrange(len(ACCOUNTS) + 1)), ("gone", "github")]:
        if rng.random() < 0.8:
            store.save_health(name, record(rng, now), now - rng.choice([0, 30, 200, 4000, -20]))
    store.close()
    db = sqlite3.connect(paths.store_path(data_dir))
    with db:
        db.executemany(
            "INSERT OR REPLACE INTO rate_pauses"
            " (account, scope, service, until, recorded_at, reason, step)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [pause_row(rng, now) for _ in range(rng.randrange(6))],
        )
        states = ["pending", "unknown", "sending", "failed", "done"]
        db.executemany(
            "INSERT INTO outbox (id, action, idempotency_key, state, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, 0, 0)",
            [(f"e{i}", action(rng), f"k{i}", rng.choice(states)) for i in range(rng.randrange(8))],
        )
    db.close()


@pytest.mark.parametrize("seed", seeds(range(30), range(30, 300)))
def test_the_quick_lane_says_what_the_full_path_says(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    seed: int,
) -> None:
    rng = random.Random(seed)
    now = NOW + rng.uniform(-1, 1) * 86400
    monkeypatch.setattr(health, "_now", lambda: now)
    names = rng.sample([a for a, _ in ACCOUNTS], rng.randrange(len(ACCOUNTS) + 1))
    argv = cli_args(tmp_path, config_text(rng, names))
    fill(tmp_path / "data", rng, now)
    for extra in ([], ["--json"]):
        quick, full = by_both_lanes(monkeypatch, capsys, [*argv, "health", *extra])
        assert quick is not None, "an ordinary store: the quick lane answers"
        assert quick == full
        assert full.code == 0 and not full.err


def damage(db: sqlite3.Connection, what: str) -> None:
    """Write a row that the typed read fails on, or leaves out and logs."""
    rows = {
        "health JSON": ("INSERT INTO health VALUES ('gh', '{not json', 1.0)", ()),
        "health not an object": ("INSERT INTO health VALUES ('gh', '[1, 2]', 1.0)", ()),
        "health time not a number": ("INSERT INTO health VALUES ('gh', '{}', 'then')", ()),
        "pause time not a number": (
            "INSERT INTO rate_pauses VALUES ('gh', 'core', 'github', 'soon', 1.0, 'r', 0)",
            (),
        ),
        "pause step not an integer": (
            "INSERT INTO rate_pauses VALUES ('gh', 'core', 'github', 9e9, 1.0, 'r', 1.5)",
            (),
        ),
        "pause reason a blob": (
            "INSERT INTO rate_pauses VALUES ('gh', 'core', 'github', 9e9, 1.0, ?, 0)",
            (b"\x00\x01",),
        ),
        "action JSON": (
            "INSERT INTO outbox (id, action, idempotency_key, state, created_at,"
            " updated_at) VALUES ('e', '{no', 'k', 'pending', 0, 0)",
            (),
        ),
        "action without account": (
            "INSERT INTO outbox (id, action, idempotency_key, state, created_at, updated_at)"
            """ VALUES ('e', '{"v": 1, "data": {"account": 7}}', 'k', 'failed', 0, 0)""",
            (),
        ),
    }
    sql, args = rows[what]
    db.execute(sql, args)


DAMAGED = [
    "health JSON",
    "health not an object",
    "health time not a number",
    "pause time not a number",
    "pause step not an integer",
    "pause reason a blob",
    "action JSON",
    "action without account",
]


@pytest.mark.parametrize("what", DAMAGED)
def test_a_row_the_typed_read_fails_on_or_leaves_out_makes_the_quick_lane_decline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], what: str
) -> None:
    monkeypatch.setattr(health, "_now", lambda: NOW)
    argv = [*cli_args(tmp_path), "health"]
    Store.open(paths.store_path(tmp_path / "data")).close()
    db = sqlite3.connect(paths.store_path(tmp_path / "data"))
    with db:
        damage(db, what)
    db.close()
    quick, full = by_both_lanes(monkeypatch, capsys, argv)
    assert quick is None  # the full path says it (a failure, or a line in the log)
    log = tmp_path / "data" / "logs" / "zen-tui.log"
    if what.startswith("pause"):  # left out, logged: the rest is said
        assert full.code == 0 and "gh (github): no sync yet" in full.out
        assert "rate-limit pause row is unreadable" in log.read_text(encoding="utf-8")
    else:
        assert full.code == 1 and "unexpected error" in full.err


def quick_alone(argv: list[str]) -> int | None:
    """cli._quick alone for `zen-tui argv` (the facts kept by an earlier run)."""
    args = parse_args(argv)
    return cli._quick(args, paths.data_dir(args.data_dir))


def test_a_store_the_full_open_has_work_on_makes_the_quick_lane_decline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A store open to others (the full open makes it private), one not there yet (the full
    open creates it): declined with nothing done, nothing said."""
    argv = [*cli_args(tmp_path), "health"]
    assert main(argv) == 0  # keeps the facts; makes the store
    capsys.readouterr()
    store = paths.store_path(tmp_path / "data")
    assert quick_alone(argv) == 0  # as it is: answered
    store.chmod(0o644)
    assert quick_alone(argv) is None
    assert store.stat().st_mode & 0o777 == 0o644
    store.unlink()
    assert quick_alone(argv) is None
    assert not store.exists()
    said = capsys.readouterr()
    assert said.out.count("no sync yet") == 1 and not said.err  # the one answer only


def test_a_login_in_the_environment_makes_the_quick_lane_decline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [*cli_args(tmp_path), "health"]
    Store.open(paths.store_path(tmp_path / "data")).close()
    monkeypatch.setenv("GH_TOKEN", "a-token-from-the-environment")
    quick, full = by_both_lanes(monkeypatch, capsys, argv)
    assert quick is None and full.code == 0
    monkeypatch.delenv("GH_TOKEN")
    quick, full = by_both_lanes(monkeypatch, capsys, argv)
    assert quick == full  # the same store, no login: answered

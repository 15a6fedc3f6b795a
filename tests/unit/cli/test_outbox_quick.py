"""`zen-tui outbox [list] [--json]` answered by the quick lane (commands/outbox.py `quick`: the
store as it is, no settings, no msgspec) says exactly what the full path says, or declines
having said and written nothing. Randomised: outboxes made through the Store's own calls
(every state, chains, cancels waiting for their check, landed and dropped, server text with
control and bidi characters), clocks, and then rows damaged by hand."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.helpers import ManualClock
from zen_tui import cli, paths
from zen_tui.commands import outbox
from zen_tui.models import Action, ActionState
from zen_tui.store import Store, outbox_listing
from zen_tui.store.outbox import CANCELLED_UNTOLD
from zen_tui.store.schema import SCHEMA_VERSION

from .conftest import Said, by_both_lanes, cli_args

NOW = 1_800_000_000.0
LISTINGS = (["outbox"], ["outbox", "list"], ["outbox", "--json"], ["outbox", "list", "--json"])
TEXTS = (
    "plain",
    "",
    "ünïcode ☃ 🎉",
    "two\nlines",
    "esc \x1b[2J and bell \x07",
    "bidi \u202eevil",
    "tab\there\r\nand cr",
    "x" * 300,
)
KINDS = ("close", "comment", "add_label", "transition", "react", "frobnicate")  # a newer kind
ACCOUNTS = ("gh", "jira", "sl")
FATES = (
    *("pending", "tried", "failed", "unknown", "sending", "done"),
    *("checking", "cannot_tell", "landed", "dropped", "cancelled"),
)


def nobody_alive(owner: str) -> bool:
    return False


def random_action(rng: random.Random) -> Action:
    names = ("body", "label", "to")
    params = {rng.choice(names): rng.choice(TEXTS) for _ in range(rng.randint(0, 2))}
    item = f"{rng.choice(ACCOUNTS)}:a/b#{rng.randint(1, 9)}" + rng.choice(("", " x", "\x1b"))
    return Action(rng.choice(KINDS), item, rng.choice(ACCOUNTS), params)  # type: ignore[arg-type]


def give_fate(store: Store, entry_id: str, fate: str, rng: random.Random) -> None:
    """Move a new entry to where `fate` says, as a sender and the user would."""
    reason = rng.choice(TEXTS) or None
    if fate == "tried":  # a transient error: pending again, one attempt counted
        store.outbox_update(entry_id, state=ActionState.PENDING, reason=reason, attempt=True)
    elif fate in ("failed", "unknown", "sending", "done"):
        store.outbox_update(entry_id, state=ActionState(fate), reason=reason, attempt=True)
    elif fate == "cancelled":
        store.outbox_cancel(entry_id, alive=nobody_alive)
    elif fate != "pending":  # a cancel asked of an unknown entry, then its check's end
        store.outbox_update(entry_id, state=ActionState.UNKNOWN, reason=reason, attempt=True)
        store.outbox_cancel(entry_id, alive=nobody_alive)
        if fate == "cannot_tell":
            why = rng.choice((CANCELLED_UNTOLD, reason))
            store.outbox_update(entry_id, state=ActionState.FAILED, reason=why)
        elif fate == "landed":
            store.outbox_update(entry_id, state=ActionState.DONE, reason=reason)
        elif fate == "dropped":
            store.outbox_claim(entry_id, "sender", lease=60, alive=nobody_alive)
            store.outbox_drop(entry_id, "sender")


def random_outbox(data_dir: Path, rng: random.Random, fates: tuple[str, ...] = ()) -> None:
    """Entries and chains queued over a few days, each given a random fate (`fates` first)."""
    clock = ManualClock(NOW - rng.uniform(0, 5 * 86400))
    with Store.open(paths.store_path(data_dir), clock=clock) as store:
        for n in range(rng.randint(0, 12) + len(fates)):
            clock.now += rng.choice((0, 1, 30, 900, 7200, 90000))
            if rng.random() < 0.2:
                steps = [(random_action(rng), None) for _ in range(rng.randint(2, 3))]
                added = store.outbox_add_chain(steps)
            else:
                added = [store.outbox_add(random_action(rng))]
            give_fate(store, added[0].id, fates[n] if n < len(fates) else rng.choice(FATES), rng)


def freeze(monkeypatch: pytest.MonkeyPatch, now: float) -> None:
    """The listing's clock (ages), the same in both lanes."""
    monkeypatch.setattr(outbox_listing, "time", SimpleNamespace(time=lambda: now))


def both(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> tuple[Said | None, Said]:
    """by_both_lanes: the quick lane, when it answers, says what the full path says."""
    quick, full = by_both_lanes(monkeypatch, capsys, argv)
    assert quick is None or quick == full, argv
    return quick, full


@pytest.mark.parametrize("seed", range(24))
def test_the_quick_lane_lists_what_the_full_path_lists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], seed: int
) -> None:
    rng = random.Random(seed)
    base = cli_args(tmp_path)
    random_outbox(tmp_path / "data", rng)
    freeze(monkeypatch, NOW + rng.choice((-5.0, 0.0, 59.0, 3600.0, 9 * 86400.0)))
    for argv in LISTINGS:
        quick, full = both(monkeypatch, capsys, [*base, *argv])
        assert quick is not None, f"seed {seed}: the quick lane declined {argv}"
        assert full.code == 0 and full.err == ""


# Rows damaged by hand, and rows a newer zen-tui might write: (what, SQL with `?` for the id
# of a listed entry or a dropped one, whether the quick lane answers: True, False, or "json"
# for only with --json).
ENTRY = "UPDATE outbox SET {} WHERE id = ?"
DROPPED = "UPDATE outbox_dropped SET {} WHERE id = ?"
ACTION = 'action = \'{{"v":1,"data":{}}}\''
DAMAGES = {
    "action not JSON": (ENTRY.format("action = 'not json'"), False),
    "a key given twice": (
        ENTRY.format(ACTION.format('{"kind":5,"kind":"close","item_id":"i","account":"gh"}')),
        False,
    ),
    "no params": (
        ENTRY.format(ACTION.format('{"kind":"close","item_id":"i","account":"gh"}')),
        True,
    ),
    "fields a newer zen-tui added": (
        ENTRY.format(
            ACTION.format(
                '{"kind":"frobnicate","item_id":"i","account":"gh","params":{"a":"b"},'
                '"extra":[1,{"x":null}]},"more":{"y":[]}'
            )
        ),
        True,
    ),
    "a param not text": (
        ENTRY.format(
            ACTION.format('{"kind":"close","item_id":"i","account":"gh","params":{"a":1}}')
        ),
        False,
    ),
    "data not an object": (ENTRY.format(ACTION.format("[1]")), False),
    "a field missing": (ENTRY.format(ACTION.format('{"kind":"close","item_id":"i"}')), False),
    "a field null": (
        ENTRY.format(ACTION.format('{"kind":"close","item_id":null,"account":"gh"}')),
        False,
    ),
    "action a blob": (ENTRY.format("action = CAST(action AS BLOB)"), False),
    "a lone surrogate": (
        ENTRY.format(ACTION.format('{"kind":"close","item_id":"i\\ud800","account":"gh"}')),
        "json",
    ),
    "updated_at text": (ENTRY.format("updated_at = 'soon'"), False),
    "updated_at minus infinity": (ENTRY.format("updated_at = -1e999"), False),
    "attempts text": (ENTRY.format("attempts = 'many'"), False),
    "reason a blob": (ENTRY.format("reason = X'6869'"), False),
    "reason not UTF-8": (ENTRY.format("reason = CAST(X'FF' AS TEXT)"), False),
    "id a blob": (ENTRY.format("id = X'01'"), False),
    "cancel_asked text": (ENTRY.format("cancel_asked = 'yes'"), False),
    "a state a newer zen-tui added": (ENTRY.format("state = 'parked'"), True),
    "dropped_at text": (DROPPED.format("dropped_at = 'x'"), False),
    "dropped action not JSON": (DROPPED.format("action = '{'"), False),
    "outbox_dropped gone": ("DROP TABLE outbox_dropped", False),
}


def store_dump(data_dir: Path) -> list[str]:
    db = sqlite3.connect(paths.store_path(data_dir))
    try:
        return list(db.iterdump())
    finally:
        db.close()


def quick_call(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> tuple[Any, ...]:
    """What cli._quick gives outbox.quick for `argv`: (args, facts, data_dir), the facts those
    an earlier run kept."""
    given: list[tuple[Any, ...]] = []

    def caught(*call: Any) -> int:
        given.append(call)
        return 0

    with monkeypatch.context() as patched:
        patched.setattr(outbox, "quick", caught)
        cli.main(argv)
    assert given, f"{argv}: the quick lane was not tried"
    return given[0]


def quick_alone(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> int | None:
    """outbox.quick on its own, as cli._quick calls it."""
    return outbox.quick(*quick_call(monkeypatch, argv))


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_row_is_declined_or_listed_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    rng = random.Random(damage)
    base, data = cli_args(tmp_path), tmp_path / "data"
    random_outbox(data, rng, fates=("pending", "failed", "checking", "landed", "dropped"))
    sql, answers = DAMAGES[damage]
    table = "outbox_dropped" if "outbox_dropped" in sql else "outbox WHERE state != 'done'"
    db = sqlite3.connect(paths.store_path(data))
    with db:
        ids = [i for (i,) in db.execute(f"SELECT id FROM {table}")]
        db.execute(sql, (rng.choice(ids),) if "?" in sql else ())
    db.close()
    freeze(monkeypatch, NOW)
    for argv in ([*base, "outbox"], [*base, "outbox", "--json"]):
        quick, _ = both(monkeypatch, capsys, argv)
        expected = answers if answers != "json" else "--json" in argv
        assert (quick is not None) == expected, argv
        if quick is None:  # nothing said, nothing written
            before = store_dump(data) if damage != "reason not UTF-8" else None
            assert quick_alone(monkeypatch, argv) is None
            assert capsys.readouterr() == ("", "")
            if before is not None:
                assert store_dump(data) == before


def test_the_verbs_that_write_are_left_to_the_full_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    base, data = cli_args(tmp_path), tmp_path / "data"
    random_outbox(data, random.Random(1), fates=("pending", "failed", "unknown"))
    cli.main([*base, "outbox"])  # keeps the config's facts
    capsys.readouterr()
    before = store_dump(data)
    for verb in (["retry", "x"], ["clear", "--failed"], ["cancel", "--all-pending"]):
        assert quick_alone(monkeypatch, [*base, "outbox", *verb]) is None
        assert capsys.readouterr() == ("", "")
    assert store_dump(data) == before


def test_a_store_the_full_open_would_change_is_declined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Missing, to be upgraded, or open to others (made so after the CLI's start, which makes
    the data folder's files private): the full open creates, upgrades or makes it private
    (and says so), so the quick lane leaves it as it is and says nothing."""
    base, data = cli_args(tmp_path), tmp_path / "data"
    cli.main([*base, "--data-dir", str(tmp_path / "other"), "outbox"])  # keeps the facts
    capsys.readouterr()
    call = quick_call(monkeypatch, [*base, "outbox"])
    assert outbox.quick(*call) is None
    assert not paths.store_path(data).exists()
    random_outbox(data, random.Random(2), fates=("pending",))
    db = sqlite3.connect(paths.store_path(data))
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
    db.close()
    assert outbox.quick(*call) is None
    db = sqlite3.connect(paths.store_path(data))
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    db.close()
    assert outbox.quick(*call) == 0  # as it was: answered
    assert "pending" in capsys.readouterr().out
    paths.store_path(data).chmod(0o644)
    assert outbox.quick(*call) is None
    assert capsys.readouterr() == ("", "")


def test_an_account_logged_in_by_the_environment_is_left_to_the_full_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    base = cli_args(tmp_path)
    random_outbox(tmp_path / "data", random.Random(3), fates=("pending",))
    freeze(monkeypatch, NOW)
    assert both(monkeypatch, capsys, [*base, "outbox"])[0] is not None
    _, facts, _ = quick_call(monkeypatch, [*base, "outbox"])
    monkeypatch.setenv(facts["accounts"][0]["login_env"][0], "a-token-of-the-environment")
    quick, full = both(monkeypatch, capsys, [*base, "outbox"])
    assert quick is None and full.code == 0 and "pending" in full.out

"""`zen-tui outbox`: list queued/failed entries, retry or clear failed ones, cancel pending
ones (store only)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from zen_tui import paths
from zen_tui.cli import main
from zen_tui.models import Action, ActionState
from zen_tui.store import Store, leases, outbox_words
from zen_tui.store.outbox import CANCELLED_UNTOLD, DROPPED, LANDED_BEFORE_CANCEL
from zen_tui.text_safety import clean

from .conftest import cli_args


@pytest.fixture
def base(tmp_path: Path) -> list[str]:
    return cli_args(tmp_path)


@pytest.fixture
def ids(tmp_path: Path) -> dict[str, str]:
    """One pending and two failed entries."""
    with Store.open(paths.store_path(tmp_path / "data")) as store:
        pending = store.outbox_add(Action("close", "gh:a/b#1", "gh"))
        out = {"pending": pending.id}
        for n in (2, 3):
            e = store.outbox_add(Action("add_label", f"gh:a/b#{n}", "gh", {"label": "x"}))
            store.outbox_update(e.id, state=ActionState.FAILED, reason=f"422 no label {n}")
            out[f"failed{n}"] = e.id
    return out


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def states(tmp_path: Path) -> dict[str, str]:
    with Store.open(paths.store_path(tmp_path / "data")) as store:
        return {e.id: str(e.state) for e in store.outbox_by_state()}


def test_list_shows_entries_with_reasons(base, ids, capsys) -> None:
    code, out, _ = cli(capsys, *base, "outbox")
    assert code == 0
    assert len(out.splitlines()) == 3 and "422 no label 2" in out and "pending  close" in out
    code, out, _ = cli(capsys, *base, "outbox", "--json")
    assert cli(capsys, *base, "outbox", "list", "--json")[1] == out
    entries = json.loads(out)["entries"]
    assert code == 0 and [e["id"] for e in entries] == list(ids.values())
    assert (
        entries[1]
        | {
            "state": "failed",
            "reason": "422 no label 2",
            "kind": "add_label",
            "params": {"label": "x"},
        }
        == entries[1]
    )


@pytest.mark.parametrize(
    ("age", "said"),
    [
        (0, "0s ago"),
        (59, "59s ago"),
        (891, "14m ago"),
        (3 * 3600 + 5, "3h ago"),
        (2 * 86400, "2d ago"),
    ],
)
def test_list_says_ages_as_people_read_them(base, ids, tmp_path, age, said) -> None:
    """As `zen-tui health` says a record's age (`saved 1h ago`), not `891s ago`."""
    with Store.open(paths.store_path(tmp_path / "data")) as store:
        entries = outbox_words.listed(store)
    for entry in entries:
        [line] = outbox_words.lines([entry], now=entry.updated_at + age)
        assert f" attempt, {said})" in line or f" attempts, {said})" in line, line


def test_retry_by_prefix_queues_again(base, ids, tmp_path, capsys) -> None:
    code, out, _ = cli(capsys, *base, "outbox", "retry", ids["failed2"][:12])
    assert code == 0 and out.startswith("queued again: add_label on gh:a/b#2")
    assert states(tmp_path)[ids["failed2"]] == "pending"
    code, out, _ = cli(capsys, *base, "health", "--json")
    assert (
        json.loads(out)["accounts"]["gh"] | {"outbox_pending": 2, "outbox_failed": 1}
        == (json.loads(out)["accounts"]["gh"])
    )


def test_clear_one_then_all_failed_keeps_pending(base, ids, tmp_path, capsys) -> None:
    code, out, _ = cli(capsys, *base, "outbox", "clear", ids["failed3"])
    assert code == 0 and "cleared: add_label on gh:a/b#3" in out
    assert set(states(tmp_path)) == {ids["pending"], ids["failed2"]}
    code, out, _ = cli(capsys, *base, "outbox", "clear", "--failed")
    assert code == 0 and out.strip() == "cleared 1 failed entry"
    assert states(tmp_path) == {ids["pending"]: "pending"}
    code, out, _ = cli(capsys, *base, "health", "--json")
    assert json.loads(out)["accounts"]["gh"]["outbox_failed"] == 0


@pytest.mark.parametrize("verb", ["retry", "clear"])
def test_unknown_or_not_failed_id_exits_2(base, ids, tmp_path, capsys, verb) -> None:
    for bad in ("nope", ids["pending"]):
        code, out, err = cli(capsys, *base, "outbox", verb, bad)
        assert code == 2 and out == ""
        assert f"zen-tui: no failed entry matches {bad!r}; see `zen-tui outbox`" in err
    assert len(states(tmp_path)) == 3


def test_clear_needs_a_target(base, ids, capsys) -> None:
    code, _, err = cli(capsys, *base, "outbox", "clear")
    assert code == 2 and "--failed" in err and "Traceback" not in err


def test_empty_outbox(base, capsys) -> None:
    code, out, _ = cli(capsys, *base, "outbox")
    assert code == 0 and out.startswith("outbox empty")


def test_cancel_takes_back_a_pending_entry_by_prefix(base, ids, tmp_path, capsys) -> None:
    code, out, err = cli(capsys, *base, "outbox", "cancel", ids["pending"][:12])
    assert (code, out, err) == (0, "cancelled: close on gh:a/b#1; never sent\n", "")
    assert set(states(tmp_path)) == {ids["failed2"], ids["failed3"]}
    code, out, _ = cli(capsys, *base, "health", "--json")
    assert json.loads(out)["accounts"]["gh"]["outbox_pending"] == 0
    code, _, err = cli(capsys, *base, "outbox", "cancel", ids["pending"][:12])
    assert code == 2 and "no entry matches" in err


def test_cancel_takes_the_steps_chained_after_it(base, tmp_path, capsys) -> None:
    with Store.open(paths.store_path(tmp_path / "data")) as store:
        first, _ = store.outbox_add_chain(
            [(Action("comment", f"gh:a/b#{n}", "gh", {"body": "x"}), None) for n in (1, 2)]
        )
    code, out, _ = cli(capsys, *base, "outbox", "cancel", first.id)
    assert code == 0 and out == (
        "cancelled: comment on gh:a/b#1 and the step chained after it (comment on gh:a/b#2);"
        " never sent\n"
    )
    assert states(tmp_path) == {}


@pytest.mark.parametrize(
    ("state", "says"),
    [
        (ActionState.UNKNOWN, "it is being checked on GitHub right now (by pid "),
        (ActionState.SENDING, "it is being sent to GitHub right now (by pid "),
        (ActionState.DONE, "it was already sent; undo it on GitHub"),
    ],
)
def test_cancel_refuses_what_may_have_reached_the_server(
    base, ids, tmp_path, capsys, state, says
) -> None:
    owner = leases.new_owner()  # a live sender of this process
    with Store.open(paths.store_path(tmp_path / "data")) as store:
        store.outbox_claim(ids["pending"], owner, lease=600, alive=leases.alive)
        store.outbox_update(ids["pending"], state=state, reason="timeout", owner=owner)
    try:
        code, out, err = cli(capsys, *base, "outbox", "cancel", ids["pending"])
    finally:
        leases.forget(owner)
    assert code == 1 and out == "" and len(err.splitlines()) == 1
    assert err.startswith(f"zen-tui: close on gh:a/b#1 cannot be cancelled: {says}")
    assert "Traceback" not in err
    if state is not ActionState.DONE:
        assert err.rstrip().endswith("once `zen-tui outbox` no longer lists it")
    assert ids["pending"] in states(tmp_path)


def test_cancel_of_an_unknown_entry_drops_it_instead_of_a_resend(
    base, ids, tmp_path, capsys
) -> None:
    """Its answer was lost and no zen-tui is checking it now: the cancel is taken, the
    entry stays listed (checked at the next send: it ends sent if it had landed, else it
    is dropped), and is never sent again."""
    with Store.open(paths.store_path(tmp_path / "data")) as store:
        store.outbox_update(ids["pending"], state=ActionState.UNKNOWN, reason="timeout")
    code, out, err = cli(capsys, *base, "outbox", "cancel", ids["pending"][:12])
    assert (code, err) == (0, "")
    assert out == (
        "cancel asked: close on gh:a/b#1 may already have reached GitHub (no clear answer"
        " came back), so it is checked there and never resent: dropped if it had not"
        " landed, else it stays sent (then undo it on GitHub)\n"
    )
    with Store.open(paths.store_path(tmp_path / "data")) as store:
        entry = store.outbox_get(ids["pending"])
    assert entry is not None and entry.state is ActionState.UNKNOWN
    assert entry.cancel_asked is not None
    code, out, _ = cli(capsys, *base, "outbox")  # listed until its check, saying so
    (line,) = [n for n in out.splitlines() if n.startswith(ids["pending"][:12])]
    assert "unknown  close on gh:a/b#1 (0 attempts, " in line
    assert line.endswith(f"s ago): {outbox_words.CHECKED}")


def test_cancel_refuses_a_pending_entry_a_live_sender_holds(base, ids, tmp_path, capsys) -> None:
    owner = leases.new_owner()  # claimed, about to be sent: still pending
    with Store.open(paths.store_path(tmp_path / "data")) as store:
        store.outbox_claim(ids["pending"], owner, lease=600, alive=leases.alive)
    try:
        code, _, err = cli(capsys, *base, "outbox", "cancel", ids["pending"])
        assert code == 1 and "being sent to GitHub right now (by pid " in err
        assert "try again in a moment if it is still pending" in err
        code, _, err = cli(capsys, *base, "outbox", "cancel", "--all-pending")
        assert code == 1 and "being sent to GitHub right now" in err
        assert states(tmp_path)[ids["pending"]] == "pending"
    finally:
        leases.forget(owner)  # its process is gone: its lease holds nothing
    code, out, _ = cli(capsys, *base, "outbox", "cancel", ids["pending"])
    assert code == 0 and out.startswith("cancelled: close on gh:a/b#1")


def test_cancel_on_a_failed_entry_forgets_it_as_clear_does(base, ids, tmp_path, capsys) -> None:
    code, out, _ = cli(capsys, *base, "outbox", "cancel", ids["failed2"])
    assert code == 0
    assert out == "cleared: add_label on gh:a/b#2 had failed, so it was not going to be sent\n"
    assert set(states(tmp_path)) == {ids["pending"], ids["failed3"]}


def test_cancel_all_pending_takes_back_pending_ones_and_asks_unknown_ones(
    base, ids, tmp_path, capsys
) -> None:
    """Pending entries are taken back; an unknown one, or one left sending by a zen-tui
    that is gone (both may have landed already), is asked to cancel: kept for its check,
    counted apart. Failed ones are left to `clear`."""
    owner = leases.new_owner()
    with Store.open(paths.store_path(tmp_path / "data")) as store:
        more = store.outbox_add(Action("reopen", "gh:a/b#4", "gh"))
        lost = store.outbox_add(Action("close", "gh:a/b#5", "gh"))
        store.outbox_update(lost.id, state=ActionState.UNKNOWN, reason="timeout")
        left = store.outbox_add(Action("reopen", "gh:a/b#6", "gh"))
        store.outbox_claim(left.id, owner, lease=600, alive=leases.alive)
        store.outbox_update(left.id, state=ActionState.SENDING, owner=owner)
    leases.forget(owner)  # its sender is gone mid-send
    code, out, err = cli(capsys, *base, "outbox", "cancel", "--all-pending")
    assert code == 0 and err == ""
    asked = (
        "cancel asked: {} may already have reached GitHub (no clear answer came back), so it"
        " is checked there and never resent: dropped if it had not landed, else it stays sent"
        " (then undo it on GitHub)"
    )
    assert out.splitlines() == [
        "cancelled: close on gh:a/b#1; never sent",
        "cancelled: reopen on gh:a/b#4; never sent",
        asked.format("close on gh:a/b#5"),
        asked.format("reopen on gh:a/b#6"),
        "2 pending cancelled, never sent; 2 unknown asked to cancel: each may have landed"
        " already, so each is checked at its server at the next send (`zen-tui sync --once`"
        " or the dashboard), dropped if it had not landed, never resent; `zen-tui outbox`"
        " says how each ended",
    ]
    assert more.id not in states(tmp_path)
    assert states(tmp_path) == {
        ids["failed2"]: "failed",
        ids["failed3"]: "failed",
        lost.id: "unknown",
        left.id: "sending",
    }
    with Store.open(paths.store_path(tmp_path / "data")) as store:
        assert all(store.outbox_get(e.id).cancel_asked for e in (lost, left))  # type: ignore[union-attr]
    code, out, _ = cli(capsys, *base, "outbox", "cancel", "--all-pending")  # asked already
    assert (code, out) == (0, "nothing pending or unknown to cancel\n")


def test_cancel_all_pending_says_what_it_had_to_leave(base, ids, tmp_path, capsys) -> None:
    """An unknown entry a live zen-tui is checking right now stays, said on stderr (exit
    1); the pending one is cancelled; the count says both."""
    owner = leases.new_owner()  # a live sender of this process
    with Store.open(paths.store_path(tmp_path / "data")) as store:
        lost = store.outbox_add(Action("close", "gh:a/b#5", "gh"))
        store.outbox_claim(lost.id, owner, lease=600, alive=leases.alive)
        store.outbox_update(lost.id, state=ActionState.UNKNOWN, reason="timeout", owner=owner)
    try:
        code, out, err = cli(capsys, *base, "outbox", "cancel", "--all-pending")
    finally:
        leases.forget(owner)
    assert code == 1
    assert out.splitlines() == [
        "cancelled: close on gh:a/b#1; never sent",
        "1 pending cancelled, never sent; 1 left as it was (said above)",
    ]
    assert err.startswith("zen-tui: close on gh:a/b#5 cannot be cancelled: it is being checked")
    assert states(tmp_path)[lost.id] == "unknown"


@pytest.mark.parametrize(
    ("taken", "asked", "refused", "starts"),
    [
        (0, 1, 0, "1 unknown asked to cancel: it may have landed"),
        (2, 0, 0, "2 pending cancelled, never sent"),
        (0, 0, 1, "0 pending cancelled, never sent; 1 left as it was"),
    ],
)
def test_the_count_line_leaves_out_a_count_of_none(taken, asked, refused, starts) -> None:
    from zen_tui.commands.outbox import _cancelled_all

    assert _cancelled_all(taken, asked, refused).startswith(starts)


def test_the_listing_says_how_the_cancel_of_an_unknown_entry_ended(
    base, ids, tmp_path, capsys
) -> None:
    """Four unknown entries cancelled: one still waits for its check, one had landed (done,
    with the server's answer, its controls made visible), one had not (dropped), one's check
    could not tell (failed). The text and the JSON say each; done and dropped ones after the
    entries not done, until pruned."""
    hostile = "applied \x1b[2J\nforged  pending  close on gh:a/b#9"
    with Store.open(paths.store_path(tmp_path / "data")) as store:
        store.outbox_delete_failed()
        store.outbox_cancel(ids["pending"], alive=leases.alive)
        found = {}
        for n, end in enumerate(("waits", "landed", "dropped", "untold"), start=5):
            e = store.outbox_add(Action("close", f"gh:a/b#{n}", "gh"))
            store.outbox_update(e.id, state=ActionState.UNKNOWN, reason="timeout", attempt=True)
            assert store.outbox_cancel(e.id, alive=leases.alive).checking is not None
            store.outbox_claim(e.id, "s", lease=600, alive=leases.alive)
            found[end] = e.id
        store.outbox_update(found["landed"], state=ActionState.DONE, reason=hostile, owner="s")
        store.outbox_drop(found["dropped"], "s")
        store.outbox_update(
            found["untold"], state=ActionState.FAILED, reason="could not verify: 403", owner="s"
        )
    code, out, _ = cli(capsys, *base, "outbox")
    assert code == 0
    said = [line.split(": ", 1) for line in out.splitlines()]
    assert [head.split()[:2] for head, _ in said] == [
        [found["waits"][:12], "unknown"],
        [found["untold"][:12], "failed"],
        [found["landed"][:12], "done"],
        [found["dropped"][:12], "dropped"],
    ]
    assert [why for _, why in said] == [
        outbox_words.CHECKED,
        f"{CANCELLED_UNTOLD} (could not verify: 403)",
        clean(f"{hostile}; {LANDED_BEFORE_CANCEL}"),  # its controls made visible
        DROPPED,
    ]
    assert "\x1b" not in out and "\n" not in said[2][1]  # the newline forged no entry
    code, out, _ = cli(capsys, *base, "outbox", "--json")
    listing = json.loads(out)
    assert [(e["id"], e["state"], e["cancel"]) for e in listing["entries"]] == [
        (found["waits"], "unknown", "checking"),
        (found["untold"], "failed", "cannot_tell"),
    ]
    assert [(e["id"], e["state"], e["cancel"]) for e in listing["cancels_ended"]] == [
        (found["landed"], "done", "landed"),
        (found["dropped"], "dropped", "not_landed"),
    ]
    landed, dropped = listing["cancels_ended"]
    assert landed["reason"] == f"{hostile}; {LANDED_BEFORE_CANCEL}" and "\x1b" not in out
    assert dropped["reason"] == DROPPED and dropped["attempts"] == 1
    assert all(e["cancel_asked"] for e in [*listing["entries"], *listing["cancels_ended"]])
    with Store.open(paths.store_path(tmp_path / "data")) as store:
        store.outbox_prune(time.time() + 1)
    code, out, _ = cli(capsys, *base, "outbox", "--json")
    assert json.loads(out)["cancels_ended"] == []


def test_the_listing_of_an_entry_with_no_cancel_says_none(base, ids, capsys) -> None:
    code, out, _ = cli(capsys, *base, "outbox", "--json")
    listing = json.loads(out)
    assert code == 0
    assert {(e["cancel"], e["cancel_asked"]) for e in listing["entries"]} == {(None, None)}
    assert listing["cancels_ended"] == []


def test_cancel_needs_a_target(base, ids, capsys) -> None:
    code, _, err = cli(capsys, *base, "outbox", "cancel")
    assert code == 2 and "--all-pending" in err and "Traceback" not in err


def test_act_says_its_action_was_cancelled_from_another_terminal(
    base, tmp_path, capsys, monkeypatch
) -> None:
    """`zen-tui act` sends what waits before its action first; cancelled meanwhile from
    another terminal, its action is said not sent (before: an assertion's traceback)."""
    from zen_tui.commands import act

    async def cancelled_while_sending(engine, entry) -> None:
        with Store.open(paths.store_path(tmp_path / "data")) as other:
            assert other.outbox_cancel(entry.id, alive=leases.alive).cancelled

    monkeypatch.setattr(act, "send_within_deadline", cancelled_while_sending)
    code, out, err = cli(capsys, *base, "act", "add_label", "gh:a/b#1", "label=x")
    assert (code, out) == (1, "")
    assert err == (
        "failed add_label on gh:a/b#1: not sent: taken out of the outbox"
        " (`zen-tui outbox cancel` or `clear`)\n"
    )
    assert states(tmp_path) == {}


@pytest.mark.parametrize("verb", ["retry", "clear", "cancel"])
def test_an_empty_id_asks_for_one_and_touches_nothing(base, ids, tmp_path, capsys, verb) -> None:
    # '' is a prefix of every id: it used to read "several entries match ''"
    for blank in ("", "  "):
        code, out, err = cli(capsys, *base, "outbox", verb, blank)
        assert code == 2 and out == ""
        assert "entry's id; see `zen-tui outbox` for the ids" in err and "several" not in err
    assert len(states(tmp_path)) == 3

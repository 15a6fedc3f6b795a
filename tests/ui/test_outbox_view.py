"""The outbox view (`O`): the entries `zen-tui outbox` lists, on a real SQLite store, with the
same words; retry, cancel and clear the one under the cursor; read again when the engine says
the outbox changed."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from tests.fakes.backend import FROZEN_NOW, FakeBackend
from tests.helpers import eventually
from tests.unit.sync.fakes import Result
from tests.unit.sync.outbox_engine import outbox_engine
from zen_tui.gateway.clock import SystemClock
from zen_tui.gateway.errors import CircuitOpen
from zen_tui.models import Action, ActionState
from zen_tui.store import Store
from zen_tui.store.outbox import INTERRUPTED, LANDED_BEFORE_CANCEL
from zen_tui.store.outbox_words import CHECKED, EMPTY, RETRY_REASON, lines, listed
from zen_tui.store.rows import OutboxEntry
from zen_tui.sync.backend import ActionUpdated, OutboxCounted
from zen_tui.sync.outbox import DROPPED, TAKEN_OUT
from zen_tui.ui.app import ZenApp, quit_question
from zen_tui.ui.screens.modals import ConfirmModal
from zen_tui.ui.screens.outbox import ACTING, OutboxScreen

from .conftest import make_app, notes, outbox_idle, until_quiet

pytestmark = pytest.mark.timeout(60)
HOSTILE = "[bold]x[/] \x1b[31mred [@click=app.quit]y[/]"


def label(n: int, account: str = "gh") -> Action:
    return Action(kind="add_label", item_id=f"{account}:zen/tui#{n}", account=account, params={})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """Entries updated 30 s before the app's frozen clock: `30s ago` in every line."""
    opened = Store.open(tmp_path / "zen.db", clock=lambda: FROZEN_NOW - 30)
    yield opened
    opened.close()


def seed(store: Store) -> dict[str, OutboxEntry]:
    """One entry in each state the view lists, in this order."""
    failed = store.outbox_add(label(1))
    store.outbox_update(failed.id, state=ActionState.FAILED, reason="422 no such label")
    unknown = store.outbox_add(label(2))
    store.outbox_update(unknown.id, state=ActionState.UNKNOWN, reason=INTERRUPTED)
    pending = store.outbox_add(label(3))  # held behind the unknown one
    jira = store.outbox_add(label(4, "jira"))
    return {"failed": failed, "unknown": unknown, "pending": pending, "jira": jira}


@asynccontextmanager
async def outbox_view(source: Store | Any) -> AsyncIterator[tuple[ZenApp, Pilot[Any]]]:
    """The dashboard with its outbox view open, over a store (a fake backend reading it) or
    a real engine (`outbox_engine`)."""
    backend = source
    if isinstance(source, Store):
        backend = FakeBackend()
        backend.outbox_store = source
    app = make_app(backend)
    async with app.run_test(size=(140, 30)) as pilot:
        await until_quiet(pilot)
        await pilot.press("O")
        await until_quiet(pilot)
        assert isinstance(app.screen, OutboxScreen)
        yield app, pilot


def shown(app: ZenApp) -> list[str]:
    listing = app.screen.query_one(OptionList)
    if not listing.display:
        return []
    return [str(listing.get_option_at_index(n).prompt) for n in range(listing.option_count)]


async def select(pilot: Pilot[Any], entry: OutboxEntry) -> None:
    view = pilot.app.screen
    assert isinstance(view, OutboxScreen)
    while (now := view.selected()) is not None and now.id != entry.id:
        await pilot.press("down")
    assert now is not None


async def press_on(pilot: Pilot[Any], entry: OutboxEntry, key: str) -> None:
    """`key` with `entry` under the cursor, and what it does settled."""
    await select(pilot, entry)
    await press_acting(pilot, key)


async def press_acting(pilot: Pilot[Any], *keys: str) -> None:
    """`keys` (retry, cancel, clear), and what they do settled: their workers (the store
    written off the event loop) done, and what those then posted handled."""
    await pilot.press(*keys)
    await until_quiet(pilot)
    while busy := [w for w in pilot.app.workers if w.group == ACTING and w.is_running]:
        await asyncio.gather(*(w.wait() for w in busy), return_exceptions=True)
    await until_quiet(pilot)


def last_note(app: ZenApp) -> str:
    return notes(app)[-1]


async def test_the_ages_move_on_while_the_view_is_open(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`30s ago` reads `1m ago` a minute later, with no outbox event meanwhile."""
    import zen_tui.ui.screens.outbox as view

    monkeypatch.setattr(view, "AGE_TICK", 0.02)
    seed(store)
    async with outbox_view(store) as (app, _):
        assert all("30s ago" in line for line in shown(app))
        app.clock = lambda: FROZEN_NOW + 60
        later = lines(listed(store), FROZEN_NOW + 60)
        assert later != shown(app)
        await eventually(lambda: shown(app) == later, "the lines' ages to move on")


async def test_it_lists_what_zen_tui_outbox_lists_with_the_same_words(store: Store) -> None:
    entries = seed(store)
    done = store.outbox_add(label(5))
    store.outbox_update(done.id, state=ActionState.DONE)  # done: not listed
    async with outbox_view(store) as (app, _):
        listed = store.outbox_by_state(*(s for s in ActionState if s is not ActionState.DONE))
        assert shown(app) == lines(listed, FROZEN_NOW)
        failed, unknown, pending, jira = shown(app)
        assert failed.startswith(f"{entries['failed'].id[:12]}  failed ")
        assert "add_label on gh:zen/tui#1 (0 attempts, 30s ago): 422 no such label" in failed
        assert unknown.endswith(f": {INTERRUPTED}")
        assert "waits behind 1 earlier action of gh not sent yet" in pending
        assert jira.endswith("add_label on jira:zen/tui#4 (0 attempts, 30s ago)")


async def test_retry_queues_a_failed_entry_again_and_the_list_says_so(store: Store) -> None:
    entries = seed(store)
    async with outbox_view(store) as (app, pilot):
        await press_on(pilot, entries["failed"], "r")
        now = store.outbox_get(entries["failed"].id)
        assert now is not None and now.state is ActionState.PENDING
        assert now.reason == RETRY_REASON
        assert last_note(app) == "queued again: add_label on gh:zen/tui#1"
        assert shown(app)[0].startswith(f"{now.id[:12]}  pending  ")  # read again at once

        await press_acting(pilot, "r")  # pending now: nothing to retry, and it says why
        assert "is pending, not failed: only a failed entry is retried" in last_note(app)


async def test_cancel_takes_back_a_pending_entry(store: Store) -> None:
    entries = seed(store)
    async with outbox_view(store) as (app, pilot):
        await press_on(pilot, entries["jira"], "x")
        assert store.outbox_get(entries["jira"].id) is None
        assert last_note(app) == "cancelled: add_label on jira:zen/tui#4; never sent"
        assert not any("jira:zen/tui#4" in line for line in shown(app))
        assert len(shown(app)) == 3


async def test_cancel_of_an_unknown_entry_drops_it_instead_of_a_resend(store: Store) -> None:
    """Its answer was lost: cancelled, it is checked and never resent (store/outbox.py);
    listed until that check, which ends it."""
    entries = seed(store)
    async with outbox_view(store) as (app, pilot):
        await press_on(pilot, entries["unknown"], "x")
        now = store.outbox_get(entries["unknown"].id)
        assert now is not None and now.state is ActionState.UNKNOWN  # kept for its check
        assert now.cancel_asked is not None
        said = last_note(app)
        assert "\n" not in said
        assert said.startswith(
            "cancel asked: add_label on gh:zen/tui#2 may already have reached GitHub"
        )
        assert said.endswith("else it stays sent (then undo it on GitHub)")
        assert shown(app)[1].endswith(f": {CHECKED}")  # read again: its line says so
        assert app.screen.query_one(OptionList).highlighted == 1  # the cursor stays on it


async def test_clear_forgets_a_failed_entry_and_only_a_failed_one(store: Store) -> None:
    entries = seed(store)
    async with outbox_view(store) as (app, pilot):
        await press_on(pilot, entries["pending"], "c")
        assert store.outbox_get(entries["pending"].id) is not None
        assert last_note(app) == (
            "add_label on gh:zen/tui#3 is not failed now: only a failed entry is cleared"
        )
        await press_on(pilot, entries["failed"], "c")
        assert store.outbox_get(entries["failed"].id) is None
        assert last_note(app) == "cleared: add_label on gh:zen/tui#1"
        assert len(shown(app)) == 3


async def test_an_empty_outbox_says_so(store: Store) -> None:
    async with outbox_view(store) as (app, pilot):
        empty = app.screen.query_one("#outbox-empty", Static)
        assert empty.display and str(empty.render()) == EMPTY
        assert empty.border_title == "Outbox: actions not sent yet and failed ones"  # titled
        assert shown(app) == []
        await press_acting(pilot, "r", "x", "c")
        assert notes(app)[-3:] == ["the outbox is empty: nothing to act on"] * 3
        await pilot.press("escape")
        await until_quiet(pilot)
        assert not isinstance(app.screen, OutboxScreen)


async def test_it_is_read_again_when_the_engine_says_the_outbox_changed(store: Store) -> None:
    async with outbox_view(store) as (app, pilot):
        store.outbox_add(label(1))  # `zen-tui act` in another terminal
        await until_quiet(pilot)
        assert shown(app) == []  # nothing said yet: not read again
        backend = app.backend
        assert isinstance(backend, FakeBackend)
        backend.bus.publish(OutboxCounted(service="github", account="gh", pending=1, failed=0))
        await until_quiet(pilot)
        assert len(shown(app)) == 1
        assert not app.screen.query_one("#outbox-empty").display


async def test_server_text_is_shown_as_text(store: Store) -> None:
    entry = store.outbox_add(label(1))
    store.outbox_update(entry.id, state=ActionState.FAILED, reason=HOSTILE)
    async with outbox_view(store) as (app, pilot):
        (line,) = shown(app)
        assert "[bold]x[/]" in line and "[@click=app.quit]y[/]" in line
        assert "\x1b" not in line and "red" in line
        await press_acting(pilot, "r")
        assert app.is_running
        assert "\x1b" not in "".join(shown(app))


async def test_the_palette_opens_it(store: Store) -> None:
    backend = FakeBackend()
    backend.outbox_store = store
    app = make_app(backend)
    async with app.run_test(size=(140, 30)) as pilot:
        await until_quiet(pilot)
        await pilot.press("ctrl+p", *"Outbox")
        await until_quiet(pilot)
        await pilot.press("enter")
        await until_quiet(pilot)
        assert isinstance(app.screen, OutboxScreen)


async def test_a_retried_entry_is_sent_by_the_running_engine_and_leaves_the_list(
    tmp_path: Path,
) -> None:
    path = tmp_path / "zen.db"
    engine = outbox_engine(path, SystemClock())
    failed = engine.store.outbox_add(label(1))
    engine.store.outbox_update(failed.id, state=ActionState.FAILED, reason="502 bad gateway")
    engine.wired.clients["gh"].script = [Result(True)]  # type: ignore[attr-defined]
    async with outbox_view(engine) as (app, pilot):
        assert len(shown(app)) == 1
        await pilot.press("r")
        while not outbox_idle(engine) or app._outbox_pending:
            await until_quiet(pilot)
        assert engine.store.outbox_get(failed.id).state is ActionState.DONE  # type: ignore[union-attr]
        assert shown(app) == []  # read again on the engine's events, no key pressed
        assert app.screen.query_one("#outbox-empty").display


async def test_a_cancel_rolls_back_the_row_of_an_action_this_dashboard_queued(
    tmp_path: Path,
) -> None:
    engine = outbox_engine(tmp_path / "zen.db", SystemClock())
    client = engine.wired.clients["gh"]
    shut = CircuitOpen(service="github", account="gh", retry_at=time.time() + 3600)
    client.script = [shut, shut]  # type: ignore[attr-defined]
    told: list[ActionUpdated] = []
    engine.bus.subscribe(lambda e: told.append(e) if isinstance(e, ActionUpdated) else None)
    app = make_app(engine)  # type: ignore[arg-type]
    async with app.run_test(size=(140, 30)) as pilot:
        await until_quiet(pilot)
        (entry_id,) = await engine.submit([label(1)])
        deadline = time.monotonic() + 30
        while len(client.script) == 2 or engine.outbox.claimed:  # type: ignore[attr-defined]
            assert time.monotonic() < deadline, "the send was never tried"
            await until_quiet(pilot)
        assert told[-1].state is ActionState.PENDING  # the row says `add_label … pending`
        await pilot.press("O")
        await until_quiet(pilot)
        await press_acting(pilot, "x")
        assert engine.store.outbox_get(entry_id) is None
        assert (told[-1].action_id, told[-1].state) == (entry_id, ActionState.FAILED)
        assert told[-1].reason == TAKEN_OUT  # the row rolls back
        assert shown(app) == []


SAID = {  # what each key says of a failed entry (gh:zen/tui#{n})
    "c": "cleared: add_label on gh:zen/tui#{n}",
    "x": "cleared: add_label on gh:zen/tui#{n} had failed, so it was not going to be sent",
    "r": "queued again: add_label on gh:zen/tui#{n}",
}


async def test_the_view_answers_keys_while_another_process_holds_the_write_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process (a second connection to the real SQLite file) holds the write lock
    (BEGIN IMMEDIATE) when a key acts on an entry: the write waits for it off the event
    loop while the view answers keys (its cursor moves); once the lock is let go the write
    lands and says so as before. Before, the write waited on the event loop for up to the
    busy timeout: the dashboard froze, and here the test's own release could not run.
    c, x and r in turn, each on its own failed entry, in one view (one app start)."""
    import zen_tui.store.connection as connection

    # longer than the keys below take on a loaded machine: the wait ends by the release
    monkeypatch.setattr(connection, "BUSY_TIMEOUT_S", 20.0)
    path = tmp_path / "zen.db"
    engine = outbox_engine(path, SystemClock())
    entries = [engine.store.outbox_add(label(n)) for n in (1, 2, 3, 4)]
    for entry in entries:  # failed: nothing sends them meanwhile
        engine.store.outbox_update(entry.id, state=ActionState.FAILED, reason="502")
    async with outbox_view(engine) as (app, pilot):
        view = app.screen
        assert isinstance(view, OutboxScreen) and len(shown(app)) == 4
        for n, (key, entry) in enumerate(zip("cxr", entries, strict=False), start=1):
            await select(pilot, entry)
            said = len(notes(app))
            other = sqlite3.connect(path, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")  # another process's write under way
            try:
                await pilot.press(key)
                await until_quiet(pilot)
                await pilot.press("down")  # the view answers while the write waits
                await until_quiet(pilot)
                assert (now := view.selected()) is not None and now.id == entries[n].id, key
                assert any(w.group == ACTING and w.is_running for w in app.workers), key
                assert len(notes(app)) == said, key  # nothing said before it is done
            finally:
                other.execute("ROLLBACK")
                other.close()
            await press_acting(pilot)  # the write lands once the lock is free
            assert last_note(app) == SAID[key].format(n=n)
            after = engine.store.outbox_get(entry.id)
            if key == "r":  # queued again (and sent at once by the engine)
                assert after is not None and after.state is not ActionState.FAILED
            else:
                assert after is None, key


@pytest.mark.parametrize("landed", [True, False])
async def test_an_unknown_entry_cancelled_elsewhere_is_checked_never_resent_and_told(
    tmp_path: Path, landed: bool
) -> None:
    """`zen-tui outbox cancel` on an entry whose answer was lost; the dashboard's engine
    then checks it at the server: landed, it ends sent and the dashboard says it had landed
    (undo it there); not landed, it is dropped, never sent, and the dashboard says so."""
    engine = outbox_engine(tmp_path / "zen.db", SystemClock())
    entry = engine.store.outbox_add(label(1))
    engine.store.outbox_update(entry.id, state=ActionState.UNKNOWN, reason=INTERRUPTED)
    with Store.open(tmp_path / "zen.db") as other:  # another terminal
        assert other.outbox_cancel(entry.id, alive=lambda _: False).checking is not None
    client = engine.wired.clients["gh"]
    client.verify_script = [landed]  # type: ignore[attr-defined]
    app = make_app(engine)  # type: ignore[arg-type]
    async with app.run_test(size=(140, 30)) as pilot:
        while not outbox_idle(engine) or app._outbox_pending:
            await until_quiet(pilot)
        await until_quiet(pilot)
        assert client.applied == []  # type: ignore[attr-defined]  # never resent
        now = engine.store.outbox_get(entry.id)
        if landed:
            assert now is not None and now.state is ActionState.DONE
            assert last_note(app) == (
                f"add_label on zen/tui#1 was sent: already applied (verified); "
                f"{LANDED_BEFORE_CANCEL}"
            )
        else:
            assert now is None
            assert last_note(app) == f"add_label on zen/tui#1 failed: {DROPPED}"


async def test_a_write_the_lock_holds_past_the_busy_timeout_says_so_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other process keeps the write lock past the busy timeout: one warning saying the
    store was busy and to try again, the entry as it was, the view still open."""
    import zen_tui.store.connection as connection

    monkeypatch.setattr(connection, "BUSY_TIMEOUT_S", 0.1)
    path = tmp_path / "zen.db"
    engine = outbox_engine(path, SystemClock())
    entry = engine.store.outbox_add(label(1))
    engine.store.outbox_update(entry.id, state=ActionState.FAILED, reason="502")
    async with outbox_view(engine) as (app, pilot):
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            await press_acting(pilot, "c")
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert last_note(app) == (
            "clear of add_label on gh:zen/tui#1 not done: the local store said database is"
            " locked; try again"
        )
        assert engine.store.outbox_get(entry.id) is not None
        assert isinstance(app.screen, OutboxScreen) and len(shown(app)) == 1


async def test_q_with_actions_not_sent_asks_first_and_ctrl_q_does_not(store: Store) -> None:
    # Seen in the demo: an approve queued while GitHub was down, then `q`: zen-tui closed
    # at once, and the demo's world (its outbox) went with it, the approve never sent.
    failed = store.outbox_add(label(1))
    store.outbox_update(failed.id, state=ActionState.FAILED, reason="422 no such label")
    backend = FakeBackend()
    backend.outbox_store = store
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await until_quiet(pilot)
        await pilot.press("q")  # a failed entry alone: nothing would be sent, no question
        assert app.return_code == 0 and not app.is_running
    store.outbox_add(label(2))
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await until_quiet(pilot)
        await pilot.press("q")
        await until_quiet(pilot)
        assert isinstance(app.screen, ConfirmModal) and app.is_running
        question = app.screen.question
        assert question.startswith("1 action is not sent yet; they stay in the outbox")
        await pilot.press("n")
        await until_quiet(pilot)
        assert app.is_running and not isinstance(app.screen, ConfirmModal)
        await pilot.press("q", "y")
        await until_quiet(pilot)
        assert not app.is_running
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await until_quiet(pilot)
        await pilot.press("ctrl+q")
        await until_quiet(pilot)
        assert not app.is_running


def test_the_demo_says_its_unsent_actions_go_with_it() -> None:
    assert quit_question(2, demo=True) == (
        "2 actions are not sent yet; the demo's simulated world ends with it, so they will "
        "never be sent. Quit now?"
    )

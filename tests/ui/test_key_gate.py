"""The key gate (zen_tui.ui.key_gate) on a bare Textual app: what it relies on, pinned, and
that a walk that cannot end holds the keys a moment only. The dashboard's own bursts are in
test_burst_keys.py."""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import pytest
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.worker import Worker

from zen_tui.ui import key_gate
from zen_tui.ui.key_gate import KeyGate, gated, keys_wait


class Logged(Widget, can_focus=True):
    """A focusable leaf, and (can_focus off) a container: each logs the keys it handles."""

    def __init__(self, *children: Widget, id: str, focusable: bool = True) -> None:
        super().__init__(*children, id=id)
        self.can_focus = focusable

    def on_key(self, event: events.Key) -> None:
        log = self.app.log_of_keys  # type: ignore[attr-defined]
        log.append(f"{self.id}:{event.key}")


class Bare(App[None]):
    """Two leaves in one container; `a` moves the focus from the first to the second."""

    BINDINGS = [Binding("a", "move", "Move")]

    def __init__(self) -> None:
        super().__init__()
        self.log_of_keys: list[str] = []
        self.gate = KeyGate(self, super().on_event)
        self.all_in = asyncio.Event()  # set once the app has seen `expected` keys
        self.expected = 3

    def compose(self) -> ComposeResult:
        yield Logged(Logged(id="first"), Logged(id="second"), id="box", focusable=False)

    def on_mount(self) -> None:
        self.screen.set_focus(self.query_one("#first"))

    async def on_event(self, event: events.Event) -> None:
        if gated(event):
            await self.gate.take(event)
        else:
            await super().on_event(event)

    def on_key(self, event: events.Key) -> None:
        self.log_of_keys.append(f"app:{event.key}")
        if sum(entry.startswith("app:") for entry in self.log_of_keys) == self.expected:
            self.all_in.set()

    def action_move(self) -> None:
        self.screen.set_focus(self.query_one("#second"))


async def test_a_burst_goes_key_by_key_through_the_whole_path() -> None:
    """What the gate relies on (Textual's message queues are handled in order, a key bubbles
    to the parent's queue once the child handled it), pinned on a bare app: each key goes
    all the way up before the next is handed out, to where the one before left the focus."""
    app = Bare()
    async with app.run_test() as pilot:
        await pilot.pause()
        for key in "bab":
            app.post_message(events.Key(key, key))
        await pilot.pause()
        assert app.log_of_keys == [
            *("first:b", "box:b", "app:b"),
            *("first:a", "box:a", "app:a"),  # its binding moves the focus...
            *("second:b", "box:b", "app:b"),  # ...so the next key goes to the second leaf
        ]


async def test_a_key_whose_path_closed_under_it_holds_the_next_one_a_moment_only(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A walk that can never end (a node's queue dropped its callback) holds the rest of the
    burst for MAX_HOLD at most, then the keys go on, in order, and it is logged."""
    monkeypatch.setattr(key_gate, "MAX_HOLD", 0.05)
    app = Bare()
    async with app.run_test() as pilot:
        await pilot.pause()
        box = app.query_one("#box")
        monkeypatch.setattr(box, "call_later", lambda *_args, **_kw: True)  # dropped
        for key in "bab":
            app.post_message(events.Key(key, key))
        await asyncio.wait_for(app.all_in.wait(), timeout=10)
        logged = app.log_of_keys
    assert logged[-3:] == ["second:b", "box:b", "app:b"]  # after `a`'s move, still in order
    assert "did not settle" in caplog.text


def slowly(handler: Any, each: float) -> Any:
    """`handler`, taking `each` seconds of the loop's time first (a machine too loaded to
    keep up: each node on a key's path is slow to handle it)."""

    def slow(self: Any, event: events.Key) -> None:
        time.sleep(each)  # blocks the loop, as a starved process's handler would
        handler(self, event)

    return slow


async def test_a_slow_walk_holds_the_next_key_until_it_ends(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A key whose walk takes longer than MAX_HOLD, each step of it less, is slow, not stuck:
    the next key waits for it (it went after MAX_HOLD, to the leaf `a` was moving away from)."""
    monkeypatch.setattr(key_gate, "MAX_HOLD", 0.3)
    for node in (Logged, Bare):  # the leaf, its container, the app: 0.36 s in all
        monkeypatch.setattr(node, "on_key", slowly(node.on_key, 0.12))
    app = Bare()
    app.expected = 2
    async with app.run_test() as pilot:
        await pilot.pause()
        for key in "ab":
            app.post_message(events.Key(key, key))
        await asyncio.wait_for(app.all_in.wait(), timeout=30)
        logged = app.log_of_keys
    assert logged == [*("first:a", "box:a", "app:a"), *("second:b", "box:b", "app:b")]
    assert "did not settle" not in caplog.text


# --- openings: a key whose screen a worker pushes after an await ------------------------------


class Asked(ModalScreen[None]):
    """The dialog an opening pushes: one focusable leaf, which logs the keys it takes."""

    def compose(self) -> ComposeResult:
        yield Logged(id="dialog")


class Opener(Bare):
    """`o` starts an opening: a worker that lets `turns` loop turns go by (a read), then
    pushes the dialog (`push`) or ends without one (the read failed)."""

    BINDINGS = [Binding("o", "open", "Open")]

    def __init__(self, turns: int, push: bool) -> None:
        super().__init__()
        self.key_gate = self.gate  # where keys_wait looks for the app's gate
        self.turns, self.push = turns, push

    def action_open(self) -> None:
        self._open()

    @keys_wait
    def _open(self) -> Worker[None]:
        return self.run_worker(self._read_then_ask(), exit_on_error=False)

    async def _read_then_ask(self) -> None:
        for _ in range(self.turns):
            await asyncio.sleep(0)
        if self.push:
            self.push_screen(Asked())
            self.key_gate.asked(self.screen)


@pytest.mark.parametrize("seed", range(40))
async def test_keys_after_an_opening_go_where_it_left_the_focus_however_long_it_reads(
    seed: int,
) -> None:
    """Whether the read answers before the key after `o` is handed out or long after, and
    whether a dialog comes of it or not, the keys after `o` go in order to the dialog, or
    (none came) to the leaf that had the focus."""
    rng = random.Random(seed)
    push = rng.random() < 0.7
    app = Opener(turns=rng.choice([0, 1, 3, 10, 50, 200]), push=push)
    after = rng.choices("bcd", k=rng.randint(1, 5))
    app.expected = 1 + len(after)
    async with app.run_test() as pilot:
        await pilot.pause()
        for key in ["o", *after]:
            app.post_message(events.Key(key, key))
        await asyncio.wait_for(app.all_in.wait(), timeout=10)
        await pilot.pause()
        logged = [entry for entry in app.log_of_keys if not entry.startswith(("app:", "box:"))]
    where = "dialog" if push else "first"
    assert logged == ["first:o", *(f"{where}:{key}" for key in after)], (seed, push)

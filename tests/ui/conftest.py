"""UI test helpers: a ZenApp over a FakeBackend with a frozen clock."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import pytest
from textual import events
from textual.command import CommandPalette
from textual.keys import _character_to_key
from textual.pilot import Pilot

from tests.fakes.backend import FROZEN_NOW, FakeBackend
from tests.unit.auth.memory_keyring import MemoryKeyring, use_keyring
from zen_tui.models import ActionState
from zen_tui.sync.engine import SyncEngine
from zen_tui.ui.app import ZenApp


@pytest.fixture(autouse=True)
def _a_machine_that_can_log_in(monkeypatch: pytest.MonkeyPatch) -> Any:
    """By default the UI tests run where every login method works: OAuth app ids are set
    and the keyring is usable (in memory). Tests of the other cases undo this."""
    monkeypatch.setenv("ZEN_GITHUB_CLIENT_ID", "Iv1.test")
    monkeypatch.setenv("ZEN_SLACK_CLIENT_ID", "test.slack")
    with use_keyring(MemoryKeyring()):
        yield


def make_app(backend: FakeBackend | None = None, **kwargs: Any) -> ZenApp:
    return ZenApp(backend or FakeBackend(), clock=lambda: FROZEN_NOW, **kwargs)


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend()


WaitForWorkers = Callable[[Pilot[Any]], Awaitable[None]]
LONG_LIVED = {"backend"}  # the app's event pump runs as long as the app: never waited for


@pytest.fixture
def wait_for_workers() -> WaitForWorkers:
    """Await what the last key presses started (the palette's search, a submit, a refresh),
    then the messages they posted: instead of a guessed `pilot.pause(0.3)`."""

    async def wait(pilot: Pilot[Any]) -> None:
        await pilot.pause()  # the presses have been handled and their workers started
        app = pilot.app
        while busy := [w for w in app.workers if w.group not in LONG_LIVED and w.is_running]:
            # a cancelled or failed worker counts as done: its test asserts the outcome
            await asyncio.gather(*(w.wait() for w in busy), return_exceptions=True)
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()  # the messages the workers posted

    return wait


def quiet(app: ZenApp) -> bool:
    """No node of the app (of any screen) has a message waiting to be handled."""
    nodes = [app, *(n for s in app.screen_stack for n in s.walk_children(with_self=True))]
    return all(node.message_queue_size == 0 for node in nodes)


async def until_quiet(pilot: Pilot[Any], within: float = 120.0) -> None:
    """Pause until no node has a message waiting. One pilot.pause() waits for what each node
    had queued when it began; a message handled then that bubbles on (a list's Highlighted
    on its way to the screen) lands in a queue already passed, and is left to Textual's
    idle guess (process against wall-clock time), which a loaded machine fools. The bound
    is only against a test that hangs: each pause here ends once the queues it saw drain."""
    deadline = time.monotonic() + within
    await pilot.pause()
    while pilot.app.is_running and not quiet(pilot.app):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the app's queues were still busy after {within:.0f}s")
        await pilot.pause()


async def type_text(pilot: Pilot[Any], text: str) -> None:
    """Type `text` into the focused field as a quick typist does: each character's key event
    (the one pilot.press sends) is queued at once, and they are handled one after another;
    then one wait for the queues to drain. pilot.press(*text) instead guesses after every
    key that the process has gone idle, which a loaded machine takes most of a second a
    character to convince it of. For text only: a key that moves the focus or opens a
    screen goes through pilot.press, so the keys after it reach where the user's would."""
    for char in text:
        key = events.Key(_character_to_key(char), char)
        key.set_sender(pilot.app)
        pilot.app.post_message(key)
    await until_quiet(pilot)


async def palette(pilot: Pilot[Any], text: str) -> None:
    """Open the command palette (ctrl+p) and type `text` into its search box."""
    await pilot.press("ctrl+p")
    app = pilot.app
    deadline = time.monotonic() + 15
    while not (isinstance(app.screen, CommandPalette) and app.focused is not None):
        if time.monotonic() > deadline:
            raise TimeoutError("timed out after 15s waiting for the command palette")
        await asyncio.sleep(0.02)
    await type_text(pilot, text)


def status_line(app: ZenApp) -> str:
    return str(app.screen.query_one("#status").render())


def preview_text(app: ZenApp) -> str:
    return str(app.screen.query_one("#preview-body").render())


def outbox_idle(engine: object) -> bool:
    """Nothing is being sent and nothing waits to be: no later (duplicate) send can land."""
    assert isinstance(engine, SyncEngine)
    waiting = (ActionState.PENDING, ActionState.UNKNOWN, ActionState.SENDING)
    return not engine.outbox.claimed and not engine.store.outbox_by_state(*waiting)


@asynccontextmanager
async def polls_held(engine: object) -> AsyncIterator[None]:
    """No section polls while held (a poll begun already ends first): what the server lists
    cannot change under keys typed meanwhile. The polls asked for meanwhile (the refresh an
    applied action asks for) run once it ends."""
    assert isinstance(engine, SyncEngine)
    async with AsyncExitStack() as held:
        for poller in engine.pollers.values():
            await held.enter_async_context(poller._lock)  # each poll takes it (Poller.poll_now)
        yield


def refreshes_idle(engine: object) -> bool:
    """No refresh an applied action asked for (SyncEngine.refresh_soon) waits or runs: what
    it fetched is published (a create's placeholder row goes with it). outbox_idle holds
    before: the engine hears of an action's end as the outbox records it, in the same turn."""
    assert isinstance(engine, SyncEngine)
    refresher = engine._refresher
    return not engine._stale_sections and (refresher is None or refresher.done())


def notes(app: ZenApp) -> list[str]:
    """The texts of the notifications raised so far (rendered or not)."""
    return [n.message for n in app._notifications]


class ScriptedFlow:
    """Stands in for auth's LoginFlow in unit tests: yields the given states, records cancel."""

    def __init__(self, *states: object) -> None:
        self.states = states
        self.cancelled = False
        self.calls: list[tuple[str, str, str | None]] = []

    def __call__(self, account: Any, method: str, token: str | None) -> ScriptedFlow:
        self.calls.append((account.name, method, token))
        return self

    async def run(self) -> Any:
        for state in self.states:
            yield state

    def cancel(self) -> None:
        self.cancelled = True

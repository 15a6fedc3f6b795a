"""Snapshot tests (pytest-textual-snapshot). Sync tests: snap_compare runs its own loop.

Deterministic: seeded FakeBackend items, a frozen clock for badges and countdowns, and the
times of day in UTC whatever the machine's zone (see `utc` below).
Regenerate with `pytest tests/ui/test_snapshots.py --snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.fakes.backend import FROZEN_NOW, FakeBackend
from tests.ui.test_outbox_view import HOSTILE, label
from zen_tui.auth.states import DeviceCodeShown
from zen_tui.config import AccountConfig
from zen_tui.models import ActionState
from zen_tui.store import Store
from zen_tui.store.outbox import INTERRUPTED

from .conftest import ScriptedFlow, make_app, until_quiet

WIDE = (140, 40)


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Times of day are shown in local time (zen_tui.timefmt): pin the zone for the SVGs."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def scenario(
    backend: FakeBackend, steps: str | tuple[str, ...], *keys: str
) -> Callable[[Pilot], Awaitable[None]]:
    """The backend's `steps` (its methods, in order), then the `keys`."""

    async def run_before(pilot: Pilot) -> None:
        await until_quiet(pilot)
        for step in (steps,) if isinstance(steps, str) else steps:
            getattr(backend, step)()
        await until_quiet(pilot)
        if keys:
            await pilot.press(*keys)
        await until_quiet(pilot)

    return run_before


def pressing(*keys: str) -> Callable[[Pilot], Awaitable[None]]:
    """Press keys, then wait until every message they caused is handled: snap_compare's own
    `press` leaves that to one pause, which a loaded machine outruns."""

    async def run_before(pilot: Pilot) -> None:
        await until_quiet(pilot)
        await pilot.press(*keys)
        await until_quiet(pilot)

    return run_before


def test_live_narrow(snap_compare) -> None:
    backend = FakeBackend()
    assert snap_compare(make_app(backend), run_before=scenario(backend, "go_live", "j"))


def test_live_wide(snap_compare) -> None:
    backend = FakeBackend()
    app = make_app(backend)
    assert snap_compare(app, terminal_size=WIDE, run_before=scenario(backend, "go_live", "j"))


def test_degraded(snap_compare) -> None:
    backend = FakeBackend()
    app = make_app(backend)
    assert snap_compare(app, terminal_size=WIDE, run_before=scenario(backend, "go_degraded"))


def test_read_only(snap_compare) -> None:
    """A Slack section with rows whose channel is archived, on screen: its tab and the
    pane's title say read-only (the title in the theme's warning colour)."""
    backend = FakeBackend()
    app = make_app(backend)
    keys = ("tab", "tab", "right_square_bracket")  # the Messages pane, its #incidents tab
    assert snap_compare(
        app, terminal_size=WIDE, run_before=scenario(backend, ("go_live", "go_read_only"), *keys)
    )


def test_offline(snap_compare) -> None:
    backend = FakeBackend()
    app = make_app(backend)
    assert snap_compare(app, terminal_size=WIDE, run_before=scenario(backend, "go_offline"))


def test_health_screen(snap_compare) -> None:
    backend = FakeBackend()

    async def run_before(pilot: Pilot) -> None:
        await until_quiet(pilot)
        backend.go_live()
        backend.go_degraded(("jira",))
        await pilot.press("h")
        await until_quiet(pilot)

    assert snap_compare(make_app(backend), terminal_size=WIDE, run_before=run_before)


def test_help_screen(snap_compare) -> None:
    backend = FakeBackend()
    app = make_app(backend)
    assert snap_compare(app, terminal_size=(100, 40), run_before=pressing("question_mark"))


def test_help_screen_small(snap_compare) -> None:
    """At 40x10 each binding's id goes under its action (the Action column was dropped)."""
    app = make_app(FakeBackend())
    assert snap_compare(app, terminal_size=(40, 10), run_before=pressing("question_mark"))


def test_confirm_dialog(snap_compare) -> None:
    """A dialog's own footer (y Yes, n No) covers the dashboard's keys behind it."""
    app = make_app(FakeBackend())
    assert snap_compare(app, terminal_size=(80, 24), run_before=pressing("x"))


def test_label_dialog(snap_compare) -> None:
    """The one-line answer's footer: enter and escape, as the keymap names them."""
    app = make_app(FakeBackend())
    assert snap_compare(app, terminal_size=(80, 24), run_before=pressing("l", *"bug"))


def test_welcome_screen(snap_compare) -> None:
    assert snap_compare(make_app(FakeBackend(sections=())), run_before=pressing())


def test_light_theme(snap_compare) -> None:
    backend = FakeBackend()
    app = make_app(backend, theme="zen-light")
    assert snap_compare(app, terminal_size=WIDE, run_before=scenario(backend, "go_live"))


def test_login_from_the_welcome_screen(snap_compare) -> None:
    """No accounts configured: `l` offers the public services; choosing one lists methods."""
    assert snap_compare(make_app(FakeBackend(sections=())), run_before=pressing("l", "enter"))


def test_login_device_code(snap_compare) -> None:
    """The device flow's user code and URL, as shown while waiting for the approval."""
    shown = DeviceCodeShown("WDJB-MJHT", "https://github.com/login/device", 900)
    app = make_app(
        FakeBackend(),
        accounts=[AccountConfig("gh", "github", "https://api.github.com")],
        login_flow=ScriptedFlow(shown),  # type: ignore[arg-type]
    )

    async def run_before(pilot: Pilot) -> None:
        await until_quiet(pilot)
        pilot.app.open_url = lambda url, new_tab=True: None  # type: ignore[method-assign]
        await pilot.press("L", "enter")
        await until_quiet(pilot)

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_outbox_view(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One entry of each state the view lists (the failed one's reason hostile: shown as
    text), the cursor on the unknown one."""
    ids = iter(range(0xA1, 0xFF))
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=next(ids) << 100))  # fixed ids
    store = Store.open(tmp_path / "zen.db", clock=lambda: FROZEN_NOW - 42)
    failed = store.outbox_add(label(1))
    store.outbox_update(failed.id, state=ActionState.FAILED, reason=HOSTILE, attempt=True)
    unknown = store.outbox_add(label(2))
    store.outbox_update(unknown.id, state=ActionState.UNKNOWN, reason=INTERRUPTED)
    store.outbox_add(label(3))
    store.outbox_add(label(4, "jira"))
    backend = FakeBackend()
    backend.outbox_store = store
    try:
        app = make_app(backend)
        assert snap_compare(app, terminal_size=(120, 16), run_before=pressing("O", "down"))
    finally:
        store.close()

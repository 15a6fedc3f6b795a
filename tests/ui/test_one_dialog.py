"""One dialog at a time: the palette does not open over a dialog, no second dialog stacks on a
first one, and once the dialog is answered the keys reach the dashboard again."""

from __future__ import annotations

import asyncio

from textual.command import CommandPalette
from textual.screen import ModalScreen

from tests.fakes.backend import FakeBackend
from tests.helpers import eventually
from zen_tui.models import Item, ItemDetail
from zen_tui.ui.app import DIALOG_UP, ZenApp
from zen_tui.ui.screens.modals import ConfirmModal, PickerModal
from zen_tui.ui.widgets.item_list import ItemList

from .conftest import WaitForWorkers, make_app, notes


def dialogs(app: ZenApp) -> list[ModalScreen[object]]:
    return [s for s in app.screen_stack if isinstance(s, ModalScreen)]


def cursor(app: ZenApp) -> int | None:
    return app.screen.query_one("#list-prs", ItemList).cursor


async def test_the_palette_does_not_open_over_a_confirm(backend: FakeBackend) -> None:
    app = make_app(backend)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("m")  # "Really merge …?"
        await eventually(lambda: isinstance(app.screen, ConfirmModal), "a confirm")
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert not any(isinstance(s, CommandPalette) for s in app.screen_stack)
        assert [type(s) for s in dialogs(app)] == [ConfirmModal]
        assert DIALOG_UP in notes(app)
        await pilot.press("n")  # answered: nothing stays on top of the dashboard
        await pilot.pause()
        assert dialogs(app) == [] and app.screen is app.screen_stack[-1]
        before = cursor(app)
        await pilot.press("j")  # the dashboard's keys work again
        await pilot.pause()
        assert cursor(app) == (before or 0) + 1
        assert backend.submitted == []


async def test_a_palette_command_cannot_stack_a_second_confirm(backend: FakeBackend) -> None:
    """What "Log out: ACCOUNT" runs, run twice (the second from a palette over the first)."""
    app = make_app(backend)
    async with app.run_test() as pilot:
        await pilot.pause()
        app.action_logout("gh")
        await pilot.pause()
        app.action_logout("gh")
        app.action_login("gh")  # the login screen: another dialog, not over this one either
        app.action_health()  # a screen over the dialog would take its keys too
        await pilot.pause()
        assert [type(s) for s in dialogs(app)] == [ConfirmModal]
        assert notes(app).count(DIALOG_UP) == 3
        await pilot.press("n")
        await pilot.pause()
        assert dialogs(app) == []
        before = cursor(app)
        await pilot.press("j")
        await pilot.pause()
        assert cursor(app) == (before or 0) + 1


class SlowTransitions(FakeBackend):
    """Jira transitions that load when the test lets them (a 429 storm's wait)."""

    def __init__(self) -> None:
        super().__init__()
        self.gate: asyncio.Event | None = None

    async def details(self, item: Item) -> ItemDetail:
        if self.gate is not None and item.service == "jira":
            await self.gate.wait()
        return await super().details(item)


async def test_t_twice_while_loading_shows_one_picker(wait_for_workers: WaitForWorkers) -> None:
    backend = SlowTransitions()
    app = make_app(backend)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("tab", "right_square_bracket")
        await pilot.pause()
        backend.gate = asyncio.Event()
        await pilot.press("t", "t")  # impatient: the first read is still waiting
        await pilot.pause()
        backend.gate.set()
        await wait_for_workers(pilot)
        assert [type(s) for s in dialogs(app)] == [PickerModal]
        await pilot.press("escape")
        await pilot.pause()
        assert dialogs(app) == []
        assert backend.submitted == []

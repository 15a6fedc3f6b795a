"""Keys typed in one burst (a fast typist, tmux send-keys, a key-repeat) act as if typed
slowly: each is handled where the key before it left the focus (zen_tui.ui.key_gate).

A burst is every key queued on the app before the first is handled, as one terminal read
posts them; "slowly" is one key at a time, each once the app has settled. Both runs start
from the same app state, and their outcome (screens, focus, the panes' cursors and filters,
what was typed into boxes, what was sent, what was said) must be the same.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from typing import Any

import pytest
from textual import events
from textual.keys import key_to_character
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, OptionList, TextArea

from tests.fakes.backend import FakeBackend
from tools.demo_stack import wait_until
from zen_tui.models import Item, ItemDetail, SectionInfo
from zen_tui.ui import key_gate
from zen_tui.ui.app import ZenApp, dashboard_bindings
from zen_tui.ui.keys import key_char
from zen_tui.ui.screens.dashboard import DashboardScreen
from zen_tui.ui.screens.modals import PickerModal
from zen_tui.ui.widgets.item_list import ItemList
from zen_tui.ui.widgets.pane import FilterInput, ItemPane
from zen_tui.ui.widgets.preview import Preview

from .conftest import ScriptedFlow, WaitForWorkers, make_app, notes, until_quiet

pytestmark = pytest.mark.timeout(300)
WIDE, NARROW = (140, 40), (80, 30)

# What a terminal read gives for the keys whose character Textual's key_to_character lacks
CHARS = {"slash": "/", "enter": "\r"}

# Every key the dashboard binds (docs/keys.md's table), and ctrl+c
DASHBOARD_KEYS = sorted(
    {k.strip() for b in dashboard_bindings() for k in b.key.split(",")} | {"ctrl+c"}
)
# Keys whose dialog a worker opens after a read from the server: the gate waits for it too
# (key_gate's openings; test_burst_after_a_read.py has each over the simulator). Here the
# FakeBackend's reads answer at once, or refuse (no Jira client behind it: `E` says so).
OPENED_AFTER_A_READ = {"S", "t", "E", "A", "i", "C", "H", "N"}


def key_event(key: str) -> events.Key:
    return events.Key(key, CHARS.get(key, key_to_character(key)))


def describe(widget: Widget | None) -> str | None:
    return None if widget is None else f"{type(widget).__name__}#{widget.id}"


def dashboard(app: ZenApp) -> DashboardScreen:
    return next(s for s in app.screen_stack if isinstance(s, DashboardScreen))


class Recorded:
    """What the app opened and said (every notification: the app's list drops old ones)."""

    def __init__(self, app: ZenApp, monkeypatch: pytest.MonkeyPatch) -> None:
        self.opened: list[str] = []
        self.said: list[str] = []
        notify = app.notify

        def said(message: str, **kwargs: Any) -> None:
            self.said.append(message)
            notify(message, **kwargs)

        monkeypatch.setattr(app, "open_url", lambda url, **_: self.opened.append(url))
        monkeypatch.setattr(app, "notify", said)


def outcome(app: ZenApp, recorded: Recorded) -> dict[str, object]:
    """Everything a key may change, as plain data to compare."""
    backend = app.backend
    assert isinstance(backend, FakeBackend)
    sent = [(a.kind, a.item_id, sorted(a.params.items())) for b in backend.submitted for a in b]
    found: dict[str, object] = {
        "running": app.is_running,
        "screens": [type(s).__name__ for s in app.screen_stack],
        "sent": sent,
        "refreshed": list(backend.refreshed),
        "opened": list(recorded.opened),
        "said": list(recorded.said),
    }
    if not app.is_running:
        return found
    top = app.screen
    found["focused"] = describe(top.focused)
    found["boxes"] = [
        (describe(w), w.value if isinstance(w, Input) else w.text)
        for w in top.query("Input, TextArea")
        if isinstance(w, Input | TextArea)
    ]
    found["options"] = [(describe(o), o.highlighted) for o in top.query(OptionList)]
    dash = dashboard(app)
    found["dashboard"] = (dash.pane_id, dash.paused, dash.preview_shown)
    found["preview"] = dash.query_one(Preview).item_id
    for pane in dash.query(ItemPane):
        item = pane.cursor_item
        boxes = pane.query(FilterInput)
        box = (boxes.first().value, boxes.first().has_class("-shown")) if boxes else None
        selected = sorted(i.id for i in pane.selected_items()) if pane.selected_count else []
        found[pane.pane] = (pane.active, item.id if item else None, selected, box)
    return found


async def settle(pilot: Pilot[Any], wait_for_workers: WaitForWorkers) -> None:
    """The keys' actions, every one through the gate, then the workers they started and
    what those posted (if any), until no node has a message left to handle. Waits on that
    state, not on Textual's idle guess: on a loaded machine the guess came back with half a
    burst still held, and its outcome was compared with the slow run's."""
    app = pilot.app
    assert isinstance(app, ZenApp)
    await pilot.pause()  # the keys posted have reached the gate
    await wait_until(lambda: not app.is_running or app.key_gate.settled, "the keys", within=120)
    if any(w.group != "backend" and w.is_running for w in app.workers):
        await wait_for_workers(pilot)
    await until_quiet(pilot)


async def press(pilot: Pilot[Any], key: str, wait_for_workers: WaitForWorkers) -> None:
    """One key typed slowly: the same event as in a burst, then the app settles."""
    pilot.app.post_message(key_event(key))
    await settle(pilot, wait_for_workers)


Case = tuple[Sequence[str], Sequence[str]]  # keys typed slowly first, then the keys compared


async def back_to_a_list(pilot: Pilot[Any], wait_for_workers: WaitForWorkers) -> None:
    """Out of whatever the keys opened, typed slowly (the same in both runs): `esc` until a
    dashboard list has the focus."""
    app = pilot.app
    for _ in range(4):
        on_a_list = isinstance(app.screen, DashboardScreen) and not isinstance(
            app.focused, FilterInput
        )
        if not app.is_running or on_a_list:
            return
        await press(pilot, "escape", wait_for_workers)


async def each_case(
    cases: Sequence[Case],
    burst: bool,
    wait_for_workers: WaitForWorkers,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> list[dict[str, object]]:
    """One app: for each case, its first keys slowly, then its keys (in one burst, or
    slowly), the outcome, and back to a list. The two runs go through the same states as
    long as their outcomes agree: one app per run, not one per case (starting an app costs
    more than a case's keys)."""
    app = make_app(FakeBackend(), login_flow=ScriptedFlow())
    found = []
    async with app.run_test(size=size) as pilot:
        recorded = Recorded(app, monkeypatch)
        await settle(pilot, wait_for_workers)
        for before, keys in cases:
            for early in before:
                await press(pilot, early, wait_for_workers)
            await send(pilot, keys, burst=burst, wait_for_workers=wait_for_workers)
            found.append(outcome(app, recorded))
            await back_to_a_list(pilot, wait_for_workers)
    return found


async def differences(
    cases: Sequence[Case],
    wait_for_workers: WaitForWorkers,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int] = WIDE,
) -> list[str]:
    """For each case whose burst did not do what its keys typed slowly did: what differed.
    A case after one that differed starts from another state: the first one is the news."""
    slow = await each_case(cases, False, wait_for_workers, monkeypatch, size)
    fast = await each_case(cases, True, wait_for_workers, monkeypatch, size)
    found = []
    for (before, keys), one, other in zip(cases, fast, slow, strict=True):
        diff = {k: (one.get(k), other.get(k)) for k in one.keys() | other.keys()}
        diff = {k: v for k, v in diff.items() if v[0] != v[1]}
        if diff:
            found.append(f"{list(before)} then burst {list(keys)}: (burst, slow) {diff}")
    return found


async def send(
    pilot: Pilot[Any], keys: Sequence[str], *, burst: bool, wait_for_workers: WaitForWorkers
) -> None:
    if burst:  # all queued before the first is handled, as one terminal read posts them
        for key in keys:
            pilot.app.post_message(key_event(key))
        await settle(pilot, wait_for_workers)
        return
    for key in keys:
        await press(pilot, key, wait_for_workers)


# --- the reported ones ------------------------------------------------------------------------
# Each test's cases run one after another on one app per run (each_case), in an order that
# keeps each case's point: the cases that move the focus to another pane, or quit, last.


@pytest.mark.parametrize("size", [WIDE, NARROW], ids=["wide", "narrow"])
async def test_tab_then_j_moves_the_cursor_of_the_pane_tab_went_to(
    size: tuple[int, int], wait_for_workers: WaitForWorkers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`tab` focused the next list a frame later: the `j` right after it moved the old one."""
    cases = [
        ([], ["tab", "j"]),
        ([], ["tab", "tab", "j", "j"]),
        ([], ["shift+tab", "k", "tab", "j"]),
    ]
    assert await differences(cases, wait_for_workers, monkeypatch, size) == []


async def test_enter_or_esc_in_the_filter_box_then_a_dashboard_key_acts_on_the_list(
    wait_for_workers: WaitForWorkers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`enter` keeps the filter and goes back to the list: the `j` after it was typed into
    the box (`aj`) instead of moving down the filtered list. `esc` clears the filter and goes
    back to the list; the key after it (`j` moves, `space` selects, `q` quits) was typed into
    the box the `esc` had just emptied."""
    filtering = ["slash", "a"]
    cases = [(filtering, ["escape", then]) for then in ("j", "space")]
    cases += [(filtering, ["enter", "j"]), (filtering, ["escape", "q"])]
    assert await differences(cases, wait_for_workers, monkeypatch) == []


async def test_keys_after_a_dialog_closes_act_on_the_dashboard(
    wait_for_workers: WaitForWorkers, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = [
        (["c"], ["h", "i", "escape", "j"]),  # comment: typed, cancelled, then down
        (["m"], ["n", "slash", "b"]),  # merge? no
        (["x"], ["y", "slash", "c"]),  # close? yes
        (["s"], ["escape", "j"]),  # the section's query
        (["question_mark"], ["escape", "slash", "a"]),  # help, then a filter
        (["h"], ["escape", "tab", "j"]),  # health
        (["shift+tab", "l"], ["x", "escape", "q"]),  # label: typed, cancelled, then quit
    ]
    assert await differences(cases, wait_for_workers, monkeypatch) == []


async def test_a_whole_dialog_in_one_burst(
    wait_for_workers: WaitForWorkers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opened, answered and left in one burst, then a key for the dashboard."""
    cases: list[Case] = [
        ([], ["c", "h", "i", "ctrl+s", "j"]),  # a comment written and sent, then down
        ([], ["l", "b", "u", "g", "enter", "j"]),  # a label
        ([], ["ctrl+p", "r", "e", "escape", "j"]),  # the palette searched, then left
        ([], ["shift+tab", "e", "down", "enter", "j"]),  # a reaction picked on a message
        ([], ["question_mark", "q", "tab", "j"]),  # help closed with its own `q`
    ]
    assert await differences(cases, wait_for_workers, monkeypatch) == []


# --- every dashboard key, then one more -------------------------------------------------------


def text(key: str) -> bool:
    """A key that types a character into a text box."""
    return len(key_char(key)) == 1 and key not in ("escape", "tab", "enter")


# The keys in parts, each on an app of its own: one app for them all took 50 s, run late
# in the suite by one worker while the others had finished.
PARTS = 3


# From the list every part runs in each suite; from the filter box, where most keys are
# text, the first part (the rest with `make soak`).
def starting(where: str, before: list[str], part: int) -> object:
    every_run = not before or part == 0
    marks = () if every_run else pytest.mark.slow
    return pytest.param(before, part, id=f"{where}-{part}", marks=marks)


FROM = [
    starting(where, before, part)
    for where, before in (("in-the-list", []), ("in-the-filter", ["slash", "a"]))
    for part in range(PARTS)
]


@pytest.mark.parametrize(("before", "part"), FROM)
async def test_every_dashboard_key_then_j_in_one_burst_as_slowly(
    before: list[str],
    part: int,
    wait_for_workers: WaitForWorkers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each dashboard key (docs/keys.md), from the list and from the filter box, then `j`
    in the same burst: `j` acts where the key left the focus (the next list, a dialog's box,
    the palette, the list `esc` or `enter` went back to). In the box every key that types a
    character is text like any other: a few of them stand for the rest there."""
    keys = [k for k in DASHBOARD_KEYS if k != "q"]
    if before:
        keys = [k for k in keys if not text(k)] + ["j", "slash", "space", "question_mark"]
    keys = [*keys[part::PARTS], "q"]  # last: from the list it quits
    cases = [(before, [key, "j"]) for key in keys]
    assert await differences(cases, wait_for_workers, monkeypatch) == []


# --- random bursts ----------------------------------------------------------------------------

# What the random sequences are made of: the dashboard's keys (less the palette, whose search
# answers in its own time, and `q`, which would end most runs early), the dialogs' own keys,
# and text; the keys that move the focus or open or close something more often than the rest.
LEFT_OUT = {"ctrl+p", "q"}
MOVERS = ["tab", "shift+tab", "slash", "enter", "escape", "c", "l", "s", "question_mark", "h"]
RANDOM_KEYS = [
    *(k for k in DASHBOARD_KEYS if k not in LEFT_OUT),
    *MOVERS * 3,
    *sorted(OPENED_AFTER_A_READ),
    *("y", "n", "ctrl+s", "b", "w", "down", "backspace"),
]
# Seeds run in groups, each group's on one app per run: one group in every run, more with
# `make soak` (-m slow)
GROUP = 4
GROUPS = [pytest.param(g, marks=() if g == 0 else pytest.mark.slow) for g in range(8)]


@pytest.mark.parametrize("group", GROUPS)
async def test_random_keys_in_one_burst_do_what_they_do_typed_slowly(
    group: int, wait_for_workers: WaitForWorkers, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases: list[Case] = []
    for seed in range(group * GROUP, (group + 1) * GROUP):
        rng = random.Random(seed)
        cases.append(([], rng.choices(RANDOM_KEYS, k=rng.randint(8, 12))))
    assert await differences(cases, wait_for_workers, monkeypatch) == []


# --- a dialog opened after a read: the read fails, takes too long; a click in the burst -------


class HeldReads(FakeBackend):
    """A FakeBackend whose item reads (`t`'s transitions, the preview's) answer only while
    `answer` is set (cleared: they wait for it), and fail if `fail` says why."""

    def __init__(self) -> None:
        super().__init__()
        self.answer = asyncio.Event()
        self.answer.set()
        self.fail = ""

    async def details(self, item: Item) -> ItemDetail:
        await self.answer.wait()
        if self.fail:
            raise RuntimeError(self.fail)
        return await super().details(item)

    async def set_query(self, section_id: str, query: str) -> SectionInfo:
        await self.answer.wait()
        return await super().set_query(section_id, query)


ON_JIRA = ["tab", "right_square_bracket"]  # the issues pane, on its Jira tab


async def on_jira(backend: FakeBackend, pilot: Pilot[Any], waiting: WaitForWorkers) -> ItemList:
    await settle(pilot, waiting)
    for key in ON_JIRA:
        await press(pilot, key, waiting)
    items = pilot.app.screen.query_one("#list-issues", ItemList)
    assert items.cursor_item is not None and items.cursor_item.service == "jira"
    return items


async def test_a_read_that_fails_lets_the_held_keys_go_to_the_list_after_saying_why(
    wait_for_workers: WaitForWorkers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`t j j` in one burst, and the transitions cannot be read: the `j`s wait for the read,
    then move the list's cursor (where they go typed slowly once the error is said), after
    the error is said, none lost."""
    backend = HeldReads()
    backend.fail = "jira: 503 Service Unavailable"
    app = make_app(backend, login_flow=ScriptedFlow())
    async with app.run_test(size=WIDE) as pilot:
        items = await on_jira(backend, pilot, wait_for_workers)
        cursor_when_said: list[int] = []
        notify = app.notify

        def said(message: str, **kwargs: Any) -> None:
            if "cannot load the transitions" in message:
                cursor_when_said.append(items.cursor)
            notify(message, **kwargs)

        monkeypatch.setattr(app, "notify", said)
        backend.answer.clear()
        for key in ("t", "j", "j"):
            app.post_message(key_event(key))
        await pilot.pause()  # every key handed out that the gate lets out now
        backend.answer.set()  # the server answers: an error
        await settle(pilot, wait_for_workers)
        assert cursor_when_said == [0]  # the `j`s were held while the read was out...
        assert items.cursor == 2  # ...and then went to the list, both
        assert app.screen is dashboard(app) and app.focused is items
        assert app.key_gate.settled


async def test_a_read_that_takes_too_long_holds_the_keys_a_while_only(
    wait_for_workers: WaitForWorkers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The transitions take longer than MAX_OPENING: the held keys go on to the list, and a
    notification says why; the picker, once the read answers, takes the keys typed after it
    appeared."""
    monkeypatch.setattr(key_gate, "MAX_OPENING", 0.2, raising=False)  # (fails below if none)
    backend = HeldReads()
    app = make_app(backend, login_flow=ScriptedFlow())
    async with app.run_test(size=WIDE) as pilot:
        items = await on_jira(backend, pilot, wait_for_workers)
        backend.answer.clear()
        for key in ("t", "j", "j"):
            app.post_message(key_event(key))
        await wait_until(lambda: "still waiting for the server" in " ".join(notes(app)), "it")
        await wait_until(lambda: app.key_gate.settled, "the held keys to go")
        assert items.cursor == 2 and app.screen is dashboard(app)
        backend.answer.set()
        await wait_until(lambda: isinstance(app.screen, PickerModal), "the picker")
        for key in ("down", "enter"):
            await press(pilot, key, wait_for_workers)
        [[sent]] = backend.submitted
        assert (sent.kind, sent.params["transition"]) == ("transition", "In Progress")
        transitioned = items.rows[0].id  # the item under the cursor when `t` was pressed
        assert sent.item_id == transitioned


async def test_keys_after_enter_in_the_query_dialog_wait_for_the_servers_check(
    wait_for_workers: WaitForWorkers,
) -> None:
    """`s enter j`: the server checks the query before the dialog closes; the `j` waits for
    that, then moves down the list (it was typed into the query while the server was asked)."""
    backend = HeldReads()
    app = make_app(backend, login_flow=ScriptedFlow())
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot, wait_for_workers)
        backend.answer.clear()
        for key in ("s", "enter", "j"):
            app.post_message(key_event(key))
        await pilot.pause()
        backend.answer.set()
        await settle(pilot, wait_for_workers)
        assert backend.queries == [("prs:0:gh", "review-requested:@me")]
        items = app.screen.query_one("#list-prs", ItemList)
        assert app.screen is dashboard(app) and app.focused is items and items.cursor == 1


def click_events(x: int, y: int) -> list[events.MouseEvent]:
    """A mouse button's press and release at (x, y), as the terminal driver posts them."""
    kinds: list[type[events.MouseEvent]] = [events.MouseDown, events.MouseUp]
    return [
        kind(None, x, y, 0, 0, 1, False, False, False, screen_x=x, screen_y=y) for kind in kinds
    ]


async def test_a_click_in_a_burst_lands_on_the_dialog_the_keys_before_it_opened(
    wait_for_workers: WaitForWorkers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`t` then a click on the picker's second choice, in one burst: the click waits for
    the picker as the keys do, and picks what it picks clicked slowly."""
    found = []
    at = (0, 0)  # where the picker's second choice is: found by the slow run, the first
    for burst in (False, True):
        backend = FakeBackend()
        app = make_app(backend, login_flow=ScriptedFlow())
        async with app.run_test(size=WIDE) as pilot:
            items = await on_jira(backend, pilot, wait_for_workers)
            if burst:
                app.post_message(key_event("t"))
                for event in click_events(*at):
                    app.post_message(event)
                await settle(pilot, wait_for_workers)
            else:
                await press(pilot, "t", wait_for_workers)
                options = app.screen.query_one(OptionList)
                inside = options.content_region
                at = (inside.x + 2, inside.y + 1)  # its second line
                for event in click_events(*at):
                    app.post_message(event)
                await settle(pilot, wait_for_workers)
            sent = [(a.kind, a.item_id, a.params) for b in backend.submitted for a in b]
            found.append((sent, items.cursor, type(app.screen).__name__))
    slow, fast = found
    assert slow[0] == [("transition", slow[0][0][1], {"transition": "In Progress"})]  # clicked
    assert fast == slow

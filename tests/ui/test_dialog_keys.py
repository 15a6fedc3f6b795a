"""Keys over a dialog or a screen on top of the dashboard: each key does that screen's own
thing (types text, answers, closes) or nothing; never a dashboard or app action behind it
(quit, a triage action, a refresh). Table-driven: every dashboard key, in every screen.

Textual keeps the app's (non-priority) bindings out of a ModalScreen; the health screen is a
full Screen, where `q` quit the app until it took `q` itself (and ZenApp.check_action keeps
the app's `q` to the dashboard, even when the health screen's `q` is remapped away).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, TextArea

from tests.fakes.backend import FakeBackend
from zen_tui.ui.app import ZenApp, dashboard_bindings
from zen_tui.ui.keys import key_char
from zen_tui.ui.screens.dashboard import DashboardScreen
from zen_tui.ui.screens.forms import FormField, FormModal, UserPickerModal
from zen_tui.ui.screens.health import HealthScreen
from zen_tui.ui.screens.info import HelpScreen, WelcomeScreen
from zen_tui.ui.screens.login import LoginScreen
from zen_tui.ui.screens.modals import (
    ConfirmModal,
    EditorModal,
    InputModal,
    IssueFormModal,
    PickerModal,
    QueryModal,
)
from zen_tui.ui.widgets.pane import FilterInput

from .conftest import ScriptedFlow, make_app, notes

pytestmark = pytest.mark.timeout(120)
SIZE = (140, 40)

# Every key the dashboard binds (as declared), and ctrl+c (Textual's "did you mean to quit")
DASHBOARD_KEYS = sorted(
    {k.strip() for b in dashboard_bindings() for k in b.key.split(",")} | {"ctrl+c"}
)

# What a key may do in a screen (anything not listed: that screen's text, or nothing)
TEXT = "text"  # typed into the focused box: it is text, not a key
NOTHING = "nothing"  # nothing behind the screen changes; the screen stays
CLOSES = "closes"  # the screen goes; nothing is sent
ANSWERS = "answers"  # the screen goes and its action is sent (a confirm's yes)


@dataclass(frozen=True)
class Opens:
    """The key opens `screen` over this one (help from the health screen): not behind it."""

    screen: type[Screen[Any]]


Outcome = str | Opens


async def search(_query: str) -> list[tuple[str, str]]:
    return [("u1", "Grace Hopper")]


def push(make: Callable[[], Screen[Any]]) -> Callable[[ZenApp], object]:
    """Open a dialog the FakeBackend cannot reach by key (the Jira forms need a Jira site)."""
    return lambda app: app.push_dialog(make(), lambda _: None)


@dataclass
class Case:
    screen: type[Screen[Any]] | None  # None: the filter box, on the dashboard itself
    opener: tuple[str, ...] | Callable[[ZenApp], object]
    own: dict[str, Outcome] = field(default_factory=dict)
    box: str = ""  # the text box (a selector): printable keys are its text
    pane: str = "prs"  # the pane whose item it is about

    @property
    def text(self) -> bool:
        return bool(self.box)


CASES: dict[str, Case] = {
    "confirm": Case(  # `x` on a pull request: "Really close …?"
        ConfirmModal,
        ("x",),
        {"y": ANSWERS, "enter": ANSWERS, "n": CLOSES, "escape": CLOSES},
    ),
    "label": Case(InputModal, ("l",), {"escape": CLOSES}, box="Input"),
    "comment": Case(EditorModal, ("c",), {"escape": CLOSES}, box="TextArea"),
    "query": Case(QueryModal, ("s",), {"escape": CLOSES}, box="Input"),
    "react": Case(PickerModal, ("e",), {"escape": CLOSES, "enter": ANSWERS}, pane="messages"),
    "issue-form": Case(
        IssueFormModal, ("N",), {"escape": CLOSES}, box="#issue-title", pane="messages"
    ),
    "jira-form": Case(
        FormModal,
        push(lambda: FormModal("Edit OPS-1", [FormField("summary", "Summary", required=True)])),
        {"escape": CLOSES},  # enter on the last field sends: refused, it is empty
        box="#field-summary",
    ),
    "user-picker": Case(
        UserPickerModal,
        push(lambda: UserPickerModal("Assign OPS-1 to", search, pause=0.0)),
        {"escape": CLOSES, "enter": CLOSES},  # picks Grace: the dialog's callback gets her
        box="#user-query",
    ),
    "help": Case(
        HelpScreen, ("question_mark",), {"escape": CLOSES, "q": CLOSES, "question_mark": CLOSES}
    ),
    "health": Case(
        HealthScreen,
        ("h",),
        {
            "escape": CLOSES,
            "q": CLOSES,
            "h": CLOSES,
            "H": CLOSES,
            "question_mark": Opens(HelpScreen),  # the keys, over it
            "ctrl+p": Opens(CommandPalette),  # not a dialog: the palette may open
        },
    ),
    "login": Case(LoginScreen, ("L",), {"escape": CLOSES}),
    "login-token": Case(  # github, then the token method: a hidden box (`c` is text there)
        LoginScreen, ("L", "enter", "down", "down", "enter"), {"escape": CLOSES}, box="#login-token"
    ),
    "palette": Case(
        CommandPalette, ("ctrl+p",), {"escape": CLOSES, "enter": CLOSES}, box="CommandInput"
    ),
    "filter": Case(  # on the dashboard itself: its keys that leave the box are its own
        None,
        ("slash",),
        {
            "escape": CLOSES,  # clears it
            "enter": CLOSES,  # keeps it
            "tab": CLOSES,  # the next pane
            "shift+tab": CLOSES,
            "ctrl+p": Opens(CommandPalette),  # not a dialog
        },
        box="FilterInput",
    ),
}


def dashboard(app: ZenApp) -> DashboardScreen:
    return next(s for s in app.screen_stack if isinstance(s, DashboardScreen))


def behind(app: ZenApp, *, cursors: bool = True) -> tuple[object, ...]:
    """What a key that leaked to the dashboard or the app would change (the filter moves
    the cursor itself: `cursors=False` leaves it out)."""
    dash = dashboard(app)
    panes = tuple(
        (p.pane, p.active, cursors and p._list.cursor, frozenset(p._list.selected))
        for p in dash.panes()
    )
    backend = app.backend
    assert isinstance(backend, FakeBackend)
    return (
        dash.pane_id,
        dash.paused,
        dash.preview_shown,
        panes,
        app.theme,
        len(backend.submitted),
        len(backend.refreshed),
        len(backend.reconnected),
    )


def submitted(app: ZenApp) -> int:
    backend = app.backend
    assert isinstance(backend, FakeBackend)
    return len(backend.submitted)


def text_box(app: ZenApp, case: Case) -> Input | TextArea:
    box = app.screen.query_one(case.box)
    assert isinstance(box, Input | TextArea), f"{case.box} is not a text box: {box!r}"
    return box


def empty(box: Input | TextArea) -> None:
    if isinstance(box, Input):
        box.value = ""
        box.cursor_position = 0
    else:
        box.load_text("")


def typed(box: Input | TextArea) -> str:
    return box.value if isinstance(box, Input) else box.text


async def settle(pilot: Pilot[Any], turns: int = 3) -> None:
    for _ in range(turns):  # a key's action, the screen it pushed or popped, its focus
        await pilot.pause()


async def open_case(app: ZenApp, pilot: Pilot[Any], case: Case) -> None:
    dashboard(app).query_one(f"#list-{case.pane}").focus()
    await pilot.pause()
    if callable(case.opener):
        case.opener(app)
    else:
        await pilot.press(*case.opener)
    await settle(pilot)
    if case.screen is None:
        assert isinstance(app.focused, FilterInput)
    else:
        assert isinstance(app.screen, case.screen), f"{case.opener} opened {app.screen!r}"


def expected(case: Case, key: str) -> Outcome:
    if key in case.own:
        return case.own[key]
    char = key_char(key)
    printable = (len(char) == 1 and char.isprintable()) or key == "space"
    return TEXT if case.text and printable else NOTHING


async def press_and_check(app: ZenApp, pilot: Pilot[Any], case: Case, key: str) -> None:
    outcome = expected(case, key)
    filtering = case.screen is None
    stack, sent = list(app.screen_stack), submitted(app)
    before = behind(app, cursors=not filtering)
    box = text_box(app, case) if case.text else None
    if box is not None:
        box.focus()  # back in the box (an earlier tab moved on: the dialog's own thing)
        empty(box)  # and `enter` then sends nothing: an empty box is refused
        await pilot.pause()
    await pilot.press(key)
    await settle(pilot, 1 if outcome in (TEXT, NOTHING) else 3)
    where = f"{key!r} in {case.screen.__name__ if case.screen else 'the filter'}"
    assert app.is_running, f"{where} quit the app"
    if outcome in (TEXT, NOTHING):
        assert app.screen_stack == stack, f"{where} changed the screens: {app.screen_stack}"
        assert behind(app, cursors=not filtering) == before, f"{where} reached the dashboard"
        assert not filtering or isinstance(app.focused, FilterInput), f"{where} left the box"
    if box is not None and outcome == TEXT:
        char = " " if key == "space" else key_char(key)
        assert typed(box) == char, f"{where} is not text: {typed(box)!r}"
    if outcome in (CLOSES, ANSWERS) and filtering:
        assert app.screen_stack == stack and not isinstance(app.focused, FilterInput)
        assert submitted(app) == sent, f"{where} sent something"
    elif outcome in (CLOSES, ANSWERS):
        assert app.screen_stack == stack[:-1], f"{where} did not close it: {app.screen_stack}"
        assert submitted(app) == sent + (outcome == ANSWERS), f"{where}: what was sent"
    if isinstance(outcome, Opens):
        assert app.screen_stack[:-1] == stack and isinstance(app.screen, outcome.screen)
        assert behind(app, cursors=not filtering) == before, f"{where} reached the dashboard"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen_stack == stack


# Every screen against every key took 200 s of the suite. Each run takes half the keys on
# each screen, the halves alternating from screen to screen: every key is tried on half the
# screens, every screen with half the keys. `make soak` (-m slow) tries the other halves.
HALVES = [
    pytest.param(name, half, id=f"{name}-{half}", marks=() if half == n % 2 else pytest.mark.slow)
    for n, name in enumerate(CASES)
    for half in (0, 1)
]


@pytest.mark.parametrize(("name", "half"), HALVES)
async def test_every_dashboard_key_in_every_screen(name: str, half: int) -> None:
    case = CASES[name]
    app = make_app(FakeBackend(), login_flow=ScriptedFlow())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_case(app, pilot, case)
        for key in DASHBOARD_KEYS[half::2]:
            await press_and_check(app, pilot, case, key)
            if expected(case, key) in (CLOSES, ANSWERS):
                await pilot.press("j")  # the next item: an answered one may not ask again
                await open_case(app, pilot, case)


async def test_q_on_the_health_screen_goes_back_instead_of_quitting() -> None:
    """The reported bug: `q` there ended the app (the app's `q` reached through a full screen)."""
    app = make_app(FakeBackend())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        assert isinstance(app.screen, HealthScreen)
        await pilot.press("q")
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, DashboardScreen)
        await pilot.press("q")  # on the dashboard, `q` quits
        await settle(pilot)
        assert not app.is_running


async def test_with_the_health_screens_q_remapped_away_q_there_does_nothing() -> None:
    """ZenApp.check_action: the app's `q` acts on the dashboard only, whatever the keymap."""
    app = make_app(FakeBackend(), keymap={"health-close": "escape"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, HealthScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)


async def test_the_quit_key_shown_on_the_health_screen_is_not_quit() -> None:
    """The health screen's footer offered `q Quit`; it offers `esc Back` and no quit key."""
    app = make_app(FakeBackend())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        actions = {(k, b.binding.action) for k, b in app.screen.active_bindings.items()}
        assert ("q", "app.pop_screen") in actions
        assert "leave" not in {a for _, a in actions}  # the dashboard's quit: not here
        assert ("ctrl+q", "quit") in actions  # Textual's, which quits from anywhere


async def test_ctrl_q_still_quits_from_a_dialog() -> None:
    """The one key meant to quit from anywhere (Textual's priority binding)."""
    app = make_app(FakeBackend())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert not app.is_running
        assert submitted(app) == 0


async def test_ctrl_c_says_how_to_quit_in_plain_words() -> None:
    """Textual's hint was markup (`Press [b]ctrl+q[/b]`), which ZenApp shows as text."""
    app = make_app(FakeBackend(), keymap={"quit": "Q"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+c")
        await settle(pilot)
        assert app.is_running
        said = notes(app)[-1]
        assert said == "ctrl+c does not quit: press Q on the dashboard, or ctrl+q"
        assert "[" not in said


async def test_a_jira_form_takes_what_is_typed_as_it_opens() -> None:
    """Its first field has the focus (it was the scroll box around the fields: keys went
    nowhere until a tab)."""
    app = make_app(FakeBackend())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        fields = [FormField("summary", "Summary", required=True), FormField("d", "Due date")]
        push(lambda: FormModal("Edit OPS-1", fields))(app)
        await settle(pilot)
        await pilot.press("q", "u", "i", "t")
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, FormModal)
        assert app.screen.query_one("#field-summary", Input).value == "quit"


async def test_every_dashboard_key_on_the_welcome_screen() -> None:
    """No sections: its own keys (`i` set up, `l` log in, `q` quit) and the app's (`?`
    help, `h` health, `O` outbox, `ctrl+p` palette, each closed by esc); the rest do
    nothing."""
    own = {"i", "l", "q", "question_mark", "h", "O", "ctrl+p"}
    app = make_app(FakeBackend(sections=()), login_flow=ScriptedFlow())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for key in DASHBOARD_KEYS:
            if key in own:
                continue
            await pilot.press(key)
            await settle(pilot, 1)
            assert app.is_running and isinstance(app.screen, WelcomeScreen), key
        for key in own - {"i", "q"}:  # those two end the app by design
            await pilot.press(key)
            await settle(pilot)
            assert app.is_running and not isinstance(app.screen, WelcomeScreen), key
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, WelcomeScreen), key

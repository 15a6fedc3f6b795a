"""The dashboard's footer shows the keys that apply to the focused pane's item, with `?` and `q`
always first (issue 14 part 3), and rebuilds only when that list changes (first-paint cost).
Over a dialog, the dialog's own footer lists the keys that work in it instead."""

from __future__ import annotations

import pytest
from textual.app import App
from textual.dom import DOMNode
from textual.widget import Widget

from tests.fakes.backend import FakeBackend
from tests.helpers import eventually
from zen_tui.ui.screens.modals import InputModal
from zen_tui.ui.widgets.item_list import ItemList
from zen_tui.ui.widgets.key_footer import KeyFooter

from .conftest import ScriptedFlow, make_app, until_quiet
from .test_dialog_keys import CASES, open_case


def footer_keys(app) -> list[tuple[str, str]]:  # (key as shown, description)
    """What the footer offers here, the keys left out for want of width included."""
    return [(app.get_key_display(b), b.description) for b, _, _ in footer_of(app).applicable()]


def footer_of(app) -> KeyFooter:
    return app.screen.query_one(KeyFooter)


def key_widgets(footer: KeyFooter) -> list[Widget]:
    """The footer's key widgets: Textual's own, which textual.widgets does not export, so
    found as a stylesheet finds them, by their type's name (a public DOM query)."""
    return list(footer.query("FooterKey"))


def drawn(key: Widget) -> str:
    """What a key widget draws (`? Help`), its spacing folded: any widget's render()."""
    return " ".join(str(key.render()).split())


def painted(footer: KeyFooter) -> list[str]:
    return [drawn(k) for k in key_widgets(footer)]


def up_to_date(footer: KeyFooter) -> bool:
    """The keys on screen are the ones that fit now: no rebuild is still waiting for its
    frame (the footer recomposes after a refresh, so one frame after what changed)."""
    app = footer.app
    wanted = [f"{app.get_key_display(b)} {b.description}" for b, _, _ in footer.fitting()]
    return painted(footer) == [" ".join(w.split()) for w in wanted]


def laid_out(footer: KeyFooter) -> bool:
    """Its keys are built and placed: the frame after a rebuild has been drawn."""
    keys = key_widgets(footer)
    return bool(keys) and up_to_date(footer) and all(k.region.width > 0 for k in keys)


def descriptions(app) -> set[str]:
    return {d for _, d in footer_keys(app)}


async def focus_pane(pilot, pane: str) -> None:
    pilot.app.screen.query_one(f"#list-{pane}", ItemList).focus()
    await pilot.pause()
    await pilot.pause()


async def test_each_pane_lists_only_its_own_actions_with_help_and_quit_first() -> None:
    async with make_app(FakeBackend()).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.pause()
        app = pilot.app
        assert footer_keys(app)[:2] == [("?", "Help"), ("q", "Quit")]
        prs = descriptions(app)
        assert {"Approve", "Merge", "Comment", "Label"} <= prs
        assert not {"Transition", "Reply", "React"} & prs

        await focus_pane(pilot, "messages")
        messages = descriptions(app)
        assert {"Reply", "React", "Help", "Quit"} <= messages
        assert not {"Approve", "Merge", "Transition", "Label", "Comment"} & messages
        assert footer_keys(app)[:2] == [("?", "Help"), ("q", "Quit")]

        # the issues pane: its Jira section takes Transition, its GitHub one Label/Close
        await focus_pane(pilot, "issues")
        await pilot.press("right_square_bracket")
        await pilot.pause()
        await pilot.pause()
        jira = descriptions(app)
        assert "Transition" in jira and not {"Label", "Approve", "Reply"} & jira


async def test_help_and_quit_are_painted_at_80_columns() -> None:
    async with make_app(FakeBackend()).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        footer = pilot.app.screen.query_one(KeyFooter)
        await eventually(lambda: laid_out(footer), "the footer's keys to be built and placed")
        bottom = pilot.app.export_screenshot().replace("&#160;", " ")
        keys = key_widgets(footer)
        assert [drawn(k) for k in keys[:2]] == ["? Help", "q Quit"]
        assert all(k.region.right <= 80 and k.region.width > 0 for k in keys[:2])
        assert "Help" in bottom and "Quit" in bottom
        # keys are spaced as Textual's own Footer spaces them, not run together ("? Helpq Quit")
        assert str(keys[0].render()) == " ? Help "  # compact would draw "? Help"
        assert keys[1].region.x > keys[0].region.right - 1 and keys[0].region.width >= len(
            "? Help "
        )
        # a key that does not fit whole is left out, not cut ("x Cl", "p Pau")
        assert len(keys) > 4 and all(k.region.right <= 80 for k in keys)


WELCOME_KEYS = ["? Help", "q Quit", "i Set up a config", "l Log in", "d Run the demo", "h Health"]


@pytest.mark.parametrize(("width", "shown"), [(80, 6), (60, 4), (20, 2)])
async def test_the_welcome_screen_leaves_keys_out_whole_never_cut(width: int, shown: int) -> None:
    """At 80 columns Textual's own footer cut a key (`h Heal▏^p Palette`); the welcome
    screen's footer leaves out what does not fit whole, `?` and `q` first and always there."""
    async with make_app(FakeBackend(sections=())).run_test(size=(width, 24)) as pilot:
        await until_quiet(pilot)
        app = pilot.app
        assert type(app.screen).__name__ == "WelcomeScreen"
        keys = lambda: list(app.screen.query("FooterKey"))  # noqa: E731  whichever footer
        await eventually(lambda: all(k.region.width for k in keys()), "the footer's keys")
        bottom = " ".join(bottom_line(app).split())
        assert [k for k in map(drawn, keys()) if k not in bottom] == [], bottom  # none cut
        assert [drawn(k) for k in keys()] == WELCOME_KEYS[:shown]
        assert bottom.startswith(" ".join(WELCOME_KEYS[:shown]))  # then a scrollbar, if any


async def test_a_remapped_key_shows_under_its_new_key() -> None:
    app = make_app(FakeBackend(), keymap={"approve": "A"})
    async with app.run_test(size=(160, 30)) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert ("A", "Approve") in footer_keys(app)
        assert ("v", "Approve") not in footer_keys(app)


async def test_the_keys_are_rebuilt_only_when_what_applies_changes() -> None:
    async with make_app(FakeBackend()).run_test(size=(120, 30)) as pilot:
        await until_quiet(pilot)  # the first items shown and highlighted: what applies is set
        footer = pilot.app.screen.query_one(KeyFooter)
        await eventually(lambda: laid_out(footer), "the first keys")
        built = key_widgets(footer)
        await pilot.press("j", "j", "k")  # another pull request: the same actions apply
        await pilot.pause()
        await eventually(lambda: up_to_date(footer), "the keys of the new cursor item")
        assert key_widgets(footer) == built  # the very same widgets
        await focus_pane(pilot, "messages")
        await eventually(lambda: up_to_date(footer), "the messages pane's keys")
        assert key_widgets(footer) != built


async def test_a_key_is_styled_once_it_is_mounted_not_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Setting a new FooterKey's `compact` styled it twice before it was mounted (compact on
    first touch, then not): a tenth of the first paint. Its words stay spaced all the same."""
    early: list[DOMNode] = []
    update_styles = App.update_styles

    def spy(app: App[object], node: DOMNode, animate: bool = True) -> None:
        if type(node).__name__ == "FooterKey" and not node.is_attached:
            early.append(node)
        update_styles(app, node, animate)

    monkeypatch.setattr(App, "update_styles", spy)
    async with make_app(FakeBackend()).run_test(size=(120, 30)) as pilot:
        await until_quiet(pilot)
        footer = footer_of(pilot.app)
        await eventually(lambda: laid_out(footer), "the first keys")
        await focus_pane(pilot, "messages")  # a rebuild
        await eventually(lambda: laid_out(footer), "the messages pane's keys")
        keys = key_widgets(footer)
        assert early == []
        assert not any(k.has_class("-compact") for k in keys)
        assert str(keys[0].render()) == " ? Help "  # spaced, as Footer spaces its keys


# --- over a dialog: its own keys, not the dashboard's behind it -------------------------------

# Each dialog (test_dialog_keys' table), the keys its footer lists: the ones that work in it
DIALOG_KEYS: dict[str, list[tuple[str, str]]] = {
    "confirm": [("y", "Yes"), ("n", "No")],
    "label": [("⏎", "OK"), ("esc", "Cancel")],
    "comment": [("^e", "$EDITOR"), ("^s", "Send"), ("esc", "Cancel")],
    "query": [("⏎", "OK"), ("^s", "Save"), ("esc", "Cancel")],
    "react": [("⏎", "Pick"), ("esc", "Cancel")],
    "issue-form": [("^s", "Create"), ("esc", "Cancel")],
    "jira-form": [("^s", "Send"), ("esc", "Cancel")],
    "user-picker": [("⏎", "OK"), ("esc", "Cancel")],
    "help": [("esc", "Close")],
    "login": [("⏎", "Pick"), ("esc", "Cancel"), ("c", "Copy URL")],
}


def bottom_line(app) -> str:
    """The terminal's last line as drawn: whichever footer is on top."""
    return list(app.screen._compositor.render_strips())[-1].text


async def test_a_dialog_shows_its_own_keys_over_the_dashboards() -> None:
    """Every dialog of the table, opened in turn over one dashboard (one app start instead
    of one per dialog) and closed with esc before the next: its own keys, not `? Help`."""
    app = make_app(FakeBackend(), login_flow=ScriptedFlow())
    async with app.run_test(size=(140, 40)) as pilot:
        await until_quiet(pilot)
        dashboard = app.screen
        for name, keys in DIALOG_KEYS.items():
            await open_case(app, pilot, CASES[name])
            footer = footer_of(app)
            await eventually(lambda f=footer: laid_out(f), f"the {name} dialog's footer")
            assert footer_keys(app) == keys, name
            shown = " ".join(bottom_line(app).split())
            assert shown == " ".join(f"{k} {d}" for k, d in keys), name  # not `? Help`
            await pilot.press("escape")
            await eventually(lambda: app.screen is dashboard, f"the {name} dialog to close")


async def test_a_dialogs_footer_shows_a_remapped_key_under_its_new_key() -> None:
    app = make_app(FakeBackend(), keymap={"modal-cancel": "ctrl+g", "input-ok": "ctrl+o"})
    async with app.run_test(size=(120, 30)) as pilot:
        await until_quiet(pilot)
        await pilot.press("l")  # the label's InputModal
        await until_quiet(pilot)
        footer = footer_of(app)
        await eventually(lambda: laid_out(footer), "the dialog's footer")
        assert footer_keys(app) == [("^o", "OK"), ("^g", "Cancel")]
        await pilot.press("ctrl+g")
        await until_quiet(pilot)
        assert not isinstance(app.screen, InputModal)


async def test_the_outbox_and_health_screens_leave_keys_out_whole_never_cut() -> None:
    """At 80 columns Textual's own footer cut the outbox view's keys (`h Healt▏^p Palette`):
    these screens have the dashboard's footer, which leaves out what does not fit whole.
    Both screens are opened in turn over one dashboard (one app start, not two)."""
    backend = FakeBackend()
    async with make_app(backend).run_test(size=(80, 24)) as pilot:
        backend.go_live()
        await until_quiet(pilot)
        app = pilot.app
        dashboard = app.screen
        keys = lambda: list(app.screen.query("FooterKey"))  # noqa: E731  whichever footer
        for key, screen in (("O", "OutboxScreen"), ("h", "HealthScreen")):
            await pilot.press(key)
            await eventually(lambda s=screen: type(app.screen).__name__ == s, screen)
            await eventually(lambda: keys() and all(k.region.width for k in keys()), "its keys")
            bottom = " ".join(bottom_line(app).split())
            assert [k for k in map(drawn, keys()) if k not in bottom] == [], bottom  # none cut
            assert all(k.region.right <= 80 for k in keys()), screen
            await pilot.press("escape")
            await eventually(lambda: app.screen is dashboard, f"the {screen} to close")

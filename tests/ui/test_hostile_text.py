"""Hostile text through every widget (issue 9, points 1 and 2): markup, `[@click=...]`,
unbalanced tags, Rich link syntax and terminal escapes from a server, a config or a file are
shown literally, crash nothing, trigger nothing, and never reach the terminal as controls.

What is checked is what the terminal gets: the screen's rendered strips (toasts included).
"""

from __future__ import annotations

from typing import Any

import pytest
from msgspec.structs import replace

from tests.fakes.backend import DEFAULT_SECTIONS, FROZEN_NOW, FakeBackend
from tests.helpers import eventually, seeds
from tests.hostile_text import ALL, CLICK, MARKUP, OSC52, forbidden_in, mixed
from zen_tui.auth.states import DeviceCodeShown, LoginFailed
from zen_tui.config import AccountConfig
from zen_tui.gateway.events import BreakerChanged, RequestDone
from zen_tui.models import ActionState, Freshness, FreshnessState, Issue, Item, ItemDetail, Snapshot
from zen_tui.sync.backend import ActionUpdated, SectionUpdated
from zen_tui.text_safety import clean
from zen_tui.ui.app import ZenApp
from zen_tui.ui.screens.login import LoginScreen
from zen_tui.ui.screens.modals import ConfirmModal, EditorModal, InputModal, PickerModal
from zen_tui.ui.widgets.pane import ItemPane

from .conftest import ScriptedFlow, make_app, notes

HOSTILE = " ".join(ALL)
SHOWN = clean(HOSTILE)  # what the terminal should show instead: the same text, escapes visible


def screen_text(app: ZenApp) -> str:
    """What the terminal shows now: the current screen's composited strips, toasts included."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def assert_inert(app: ZenApp, *expected: str) -> str:
    text = screen_text(app)
    assert not forbidden_in(text), sorted(map(hex, map(ord, forbidden_in(text))))
    for literal in expected:
        assert literal in text, (literal, text)
    return text


def hostile(item: Item, payload: str = HOSTILE) -> Item:
    changes: dict[str, Any] = {"title": payload}
    if isinstance(item, Issue):
        changes |= {"status": payload[:40], "assignee": payload, "labels": (payload,)}
    elif item.service == "github":
        changes |= {"author": payload, "labels": (payload,), "body": payload}
    else:
        changes |= {"author": payload, "channel": payload, "text": payload}
    return replace(item, **changes)  # type: ignore[arg-type]


class HostileBackend(FakeBackend):
    """The FakeBackend with every server string replaced by hostile text."""

    def __init__(self, payload: str = HOSTILE, titles: tuple[str, ...] = (), **kwargs: Any) -> None:
        # each section's title: its name and the payload's start, or one of `titles` each
        tails = titles or (payload[:60],) * len(DEFAULT_SECTIONS)
        sections = [
            replace(s, title=f"{s.title} {tail}")
            for s, tail in zip(DEFAULT_SECTIONS, tails, strict=True)
        ]
        super().__init__(sections, items_per_section=3, **kwargs)
        self.payload = payload
        self.items = {
            sid: tuple(hostile(i, payload) for i in its) for sid, its in self.items.items()
        }

    async def details(self, item: Item) -> ItemDetail:
        p = self.payload
        return ItemDetail(
            item.id,
            body=f"{p}\nsecond line\n\t{p}",
            checks=((p, "failure"),),
            reviews=((p, p),),
            comments=((p, p),),
            transitions=(p, "Done"),
            extra={"mergeable": p},
            error=p,
        )

    async def refresh(self, section_id: str | None = None) -> None:
        raise RuntimeError(self.payload)

    def fail(self, reason: str, item_id: str = "gh:x#1") -> None:
        self.publish(
            ActionUpdated(
                service="github",
                account="gh",
                action_id="a1",
                item_id=item_id,
                kind="approve",
                state=ActionState.FAILED,
                reason=reason,
                at=FROZEN_NOW,
            )
        )


async def test_a_click_link_in_a_server_error_is_text_and_clicking_it_sends_nothing() -> None:
    """The issue's reproduction: a 422's message in the status line and a notification."""
    backend = FakeBackend()
    app = make_app(backend)
    async with app.run_test(size=(240, 40)) as pilot:
        await pilot.pause()
        backend.publish(
            ActionUpdated(
                service="github",
                account="gh",
                action_id="a1",
                item_id="gh:x#1",
                kind="label",
                state=ActionState.FAILED,
                reason=CLICK,
                at=FROZEN_NOW,
            )
        )
        await pilot.pause()
        status = app.screen.query_one("#status")
        x = str(status.render()).index("click here") + 2  # where the link would be
        await pilot.click("#status", offset=(status.content_region.x - status.region.x + x, 0))
        await pilot.pause()
        assert backend.submitted == []  # on main: [approve on the PR under the cursor]
        assert app.is_running
        assert CLICK in str(status.render())  # the tags are there, as text
        assert CLICK in assert_inert(app)  # in the status line and in the toast


async def test_malformed_markup_from_a_server_crashes_nothing() -> None:
    """Unbalanced `[/]` in an error raised MarkupError and ended the app (exit 1). Every
    payload of MARKUP in turn in one app (one start, not seven): the rows of every section
    and the preview are made of it, then an action fails with it, a refresh raises it and
    the pane's reason is it. The section titles (set at the start) carry every payload."""
    titles = tuple(f"{a} {b}" for a, b in zip(MARKUP, MARKUP[-1:] + MARKUP, strict=False))
    backend = HostileBackend(MARKUP[0], titles=titles[: len(DEFAULT_SECTIONS)])
    originals = backend.items
    app = make_app(backend)
    async with app.run_test(size=(200, 40)) as pilot:
        await pilot.pause()
        for n, payload in enumerate(MARKUP):
            backend.payload = payload  # the details, and what refresh raises
            backend.items = {
                sid: tuple(hostile(i, payload) for i in its) for sid, its in originals.items()
            }
            backend.go_live(traffic=False)  # every section's rows
            await pilot.press("k" if n % 2 else "j")  # another item: its details loaded
            backend.fail(payload)  # status line, row badge, notification
            await pilot.press("R")  # refresh raises the payload: status line and notification
            stale = Freshness(FreshnessState.CACHED, FROZEN_NOW - 60, payload)  # pane's reason
            backend.publish(
                SectionUpdated(
                    service="github",
                    account="gh",
                    section_id="prs:0:gh",
                    snapshot=Snapshot(backend.items["prs:0:gh"], stale),
                    at=FROZEN_NOW,
                )
            )
            await pilot.pause()
            assert app.is_running
            assert payload in assert_inert(app)
            status = str(app.screen.query_one("#status").render())
            assert f"({payload})" in status and f"refresh failed: {payload}" in status, payload
            pane = app.screen.query_one("#pane-prs", ItemPane)
            assert pane.tooltip == payload  # the reason, as text (it renders on hover)


async def test_rows_preview_status_and_toasts_show_hostile_text_inert() -> None:
    backend = HostileBackend()
    app = make_app(backend)
    async with app.run_test(size=(240, 60)) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # the preview, with the hostile detail
        await pilot.pause()
        text = assert_inert(app, "␛]52;c;", "␛[2J", "[@click=screen.triage('approve')]")
        assert "invoice_\ufffdgnp.exe" in text  # the RLO made visible, not obeyed
        preview = str(app.screen.query_one("#preview-body").render())
        assert "second line" in preview and clean(OSC52) in preview
        backend.fail(HOSTILE)
        await pilot.press("R")
        await pilot.pause()
        assert_inert(app)
        await pilot.press("slash", *"[/]")  # the user's own filter text, in the border
        await pilot.pause()
        assert app.is_running and "filter: [/]" in assert_inert(app)
        assert backend.submitted == []


async def test_health_screen_shows_server_errors_and_endpoints_inert() -> None:
    backend = FakeBackend()
    app = make_app(backend)
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        for payload in ALL:
            backend.publish(
                RequestDone(
                    service="github",
                    account="gh",
                    method="GET",
                    endpoint=f"/repos/{payload}",
                    status=422,
                    latency=0.1,
                    cache="miss",
                    attempts=1,
                    error=payload,
                    at=FROZEN_NOW,
                )
            )
        backend.publish(
            BreakerChanged(
                service="github",
                account="gh",
                name=f"github:{CLICK}",
                old="closed",
                new="open",
                at=FROZEN_NOW,
            )
        )
        await pilot.press("h")
        await pilot.pause()
        assert app.is_running
        assert_inert(app, "[/]", "␛]52;c;", "[link=https://evil.example/]docs[/link]")


async def test_modals_quote_hostile_keys_and_names_literally() -> None:
    """Each dialog in turn over one dashboard (one app start, not four): closed with esc
    before the next; `t`'s picker last, as its pick is sent."""
    backend = HostileBackend()
    backend.items = {
        sid: tuple(replace(i, key=f"{i.key}{CLICK}{OSC52}") for i in its)
        for sid, its in backend.items.items()
    }
    app = make_app(backend)
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        dashboard = app.screen
        modal = (InputModal, ConfirmModal, EditorModal, PickerModal)
        for key in ("l", "x", "c"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, modal), (key, app.screen)
            assert_inert(app, "[@click=screen.triage('approve')]", "␛]52;c;")
            await pilot.press("escape")
            await eventually(lambda: app.screen is dashboard, f"{key}'s dialog to close")
        # transitions are Jira's: the issues pane, its Jira section
        await pilot.press("tab", "right_square_bracket", "t")
        await pilot.pause()
        assert isinstance(app.screen, PickerModal), app.screen
        assert_inert(app, "[@click=screen.triage('approve')]", "␛]52;c;")
        await pilot.press("enter")  # the picked name is sent as the server gave it
        await pilot.pause()
        assert backend.submitted[-1][0].params["transition"] == HOSTILE


DEVICE = DeviceCodeShown(
    user_code=f"AB[/]{OSC52}", verification_uri=f"file:///etc/{CLICK}", expires_in=900
)
FAILED = LoginFailed(f"GitHub says {HOSTILE}")


LOGIN_CASES = (  # what the flow says, and what the screen then shows
    (DEVICE, ["AB[/]␛]52;c;", "[@click=screen.triage("]),
    (FAILED, ["login failed: GitHub says", "[/link] and [", "invoice_\ufffdgnp.exe"]),
)


async def test_login_screen_shows_config_and_server_text_inert() -> None:
    """A device code, then (the screen left with esc and opened again) a failure, over one
    app (one start, not two)."""
    account = AccountConfig("gh", "github", f"https://api.github.com/{CLICK}")
    opened: list[str] = []
    flow = ScriptedFlow()
    app = make_app(FakeBackend(), accounts=[account], login_flow=flow)
    app.open_url = lambda url, **_: opened.append(url)  # type: ignore[method-assign]
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        dashboard = app.screen
        for state, shown in LOGIN_CASES:
            flow.states = (state,)
            app.action_login()
            await pilot.pause()
            assert isinstance(app.screen, LoginScreen)
            assert_inert(app, "[@click=screen.triage('approve')]click here to retry[/])")
            await pilot.press("enter", "enter")  # the account, then the device flow
            await pilot.pause()
            assert app.is_running
            assert_inert(app, *shown)
            assert opened == []  # a file:// verification URI is never opened
            if state is DEVICE:
                assert notes(app)[-1].startswith("refused to open")
            await pilot.press("escape")
            await eventually(lambda: app.screen is dashboard, "the login screen to close")
        assert len(flow.calls) == len(LOGIN_CASES)


async def test_a_hostile_keymap_is_listed_literally_in_help() -> None:
    app = make_app(FakeBackend(), keymap={"approve": "[/]", "merge": "[@click=app.quit]"})
    async with app.run_test(size=(120, 60)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.is_running and type(app.screen).__name__ == "HelpScreen"
        assert_inert(app, "[/]")


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("file:///etc/passwd", "refused to open a file link: only https links are opened"),
        ("https://evil.example/login", "refused to open a link to evil.example: not github's"),
    ],
)
async def test_o_opens_only_the_services_own_pages(url: str, why: str, monkeypatch) -> None:
    """Issue 9.7: `o` opened any URL the server gave, file:///etc/passwd included."""
    monkeypatch.setenv("DISPLAY", ":0")  # a browser would be available
    backend = FakeBackend()
    backend.items["prs:0:gh"] = (replace(backend.items["prs:0:gh"][0], url=url),)
    opened: list[str] = []
    app = make_app(backend, accounts=[AccountConfig("gh", "github", "https://api.github.com")])
    app.open_url = lambda url, **_: opened.append(url)  # type: ignore[method-assign]
    async with app.run_test(size=(200, 40)) as pilot:
        await pilot.pause()
        await pilot.press("o")
        await pilot.pause()
        assert opened == []
        assert why in str(app.screen.query_one("#status").render())


class FailingStart(FakeBackend):
    async def start(self) -> None:
        raise RuntimeError(f"Validation Failed: [/] {OSC52}")


async def test_app_level_notifications_are_data_too() -> None:
    """`could not set up syncing (...): <server text>` is raised by the App, not a screen: the
    toast shows the cleaned text, never parsed as markup."""
    app = make_app(FailingStart())
    async with app.run_test(size=(200, 40)):
        # the start-up worker is started after the first frame, so it may not exist yet:
        # wait for what it says when it fails, not for the workers running now
        await eventually(lambda: notes(app), "the start-up failure's notification")
        assert app.is_running
        said = "could not set up syncing (retried by the next poll or R): Validation Failed: [/] "
        assert notes(app) == [said + clean(OSC52)]
        assert all(not n.markup for n in app._notifications)


@pytest.mark.parametrize("seed", seeds(every_run=[20261205], soak=[1, 2, 3]))
async def test_fuzz_rows_and_preview_with_random_hostile_mixes(seed: int) -> None:
    """Seeded random mixes of every case, plain words and unicode, one per item: walking the
    list (rows, preview, status) never crashes and never shows a control character.
    Every run: one seed of 12 items; `make soak`: three more seeds."""
    payloads = mixed(seed=seed, rounds=12)
    backend = FakeBackend(items_per_section=len(payloads))
    backend.items["prs:0:gh"] = tuple(
        hostile(item, p) for item, p in zip(backend.items["prs:0:gh"], payloads, strict=True)
    )
    app = make_app(backend)
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        for _ in payloads:
            await pilot.press("j")
            await pilot.pause()
            assert_inert(app)
        assert app.is_running and backend.submitted == []


def test_the_preview_lays_out_a_bounded_part_of_a_huge_body() -> None:
    """A 4 MB body (a broken or hostile server; GitHub's cap is 65,536 characters) was
    wrapped whole at every paint: the dashboard stopped answering keys for minutes."""
    from zen_tui.ui.widgets.preview import BODY_CHARS, COMMENT_CHARS, render_detail

    item = Issue("gh:o/r#1", "gh", "github", "o/r#1", "t", url="", updated_at="")
    body = "start " + "x" * 4_000_000
    huge = ItemDetail(item.id, body=body, comments=(("ann", "c" * 100_000), ("bo", "ok")))
    for detail in (huge, None):  # shown, and from the listing while the details load
        shown = render_detail(replace(item, body=body), detail).plain
        assert shown.count("x") < BODY_CHARS and "start " in shown
        assert f"… {len(body) - BODY_CHARS:,} more characters not shown here" in shown
    shown = render_detail(item, huge).plain
    assert COMMENT_CHARS <= shown.count("c") <= COMMENT_CHARS + 10 and "bo: ok" in shown


async def test_wide_and_zero_width_titles_keep_the_rows_columns() -> None:
    """Titles were cut by character count: 23 CJK characters took 46 cells and pushed the
    row's state, assignee and labels off screen; zero-width ones shifted them left. A wide
    title (row 1) and a zero-width one (row 2) against a plain one (row 0), in one app."""
    from rich.cells import cell_len

    from zen_tui.ui.widgets.item_list import ItemList, meta

    wide, zero_width = (
        "修复缓存层中的超时问题并添加更多的测试用例以及文档",
        "zero\u200bwidth\u200d e\u0301 mix",
    )
    backend = FakeBackend()
    plain, one, two, *rest = backend.items["prs:0:gh"]
    titled = (replace(one, title=wide), replace(two, title=zero_width))
    backend.items["prs:0:gh"] = (plain, *titled, *rest)
    async with make_app(backend).run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        rows = pilot.app.screen.query_one("#list-prs", ItemList)
        assert [r.title for r in rows.rows[1:3]] == [wide, zero_width]
        lines = ["".join(s.text for s in rows.render_line(y)) for y in (0, 1, 2)]
        starts = []
        for line, item in zip(lines, rows.rows[:3], strict=True):
            at = line.index(meta(item)[:8])
            starts.append(cell_len(line[:at]))
        assert starts[0] == starts[1] == starts[2], lines
        width = rows.scrollable_content_region.width
        assert [cell_len(line) for line in lines] == [width] * 3, lines

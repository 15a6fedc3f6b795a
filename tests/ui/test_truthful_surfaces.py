"""Issue 14 part 5: every surface tells the truth (Pilot over the FakeBackend)."""

from __future__ import annotations

from typing import Any

from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import DataTable

from tests.fakes.backend import FakeBackend
from tests.helpers import eventually
from zen_tui.gateway.events import RequestDone
from zen_tui.models import Cause, Freshness, FreshnessState, Item, ItemDetail, Message, Snapshot
from zen_tui.timefmt import local_time
from zen_tui.ui.screens.modals import EditorModal, PickerModal
from zen_tui.ui.widgets.item_list import ItemList, meta
from zen_tui.ui.widgets.pane import ItemPane

from .conftest import WaitForWorkers, make_app, notes, preview_text, status_line


async def test_a_message_about_one_pane_is_not_shown_under_another(
    backend: FakeBackend, wait_for_workers: WaitForWorkers
) -> None:
    async with make_app(backend).run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        await pilot.press("x", "y")  # close the first PR: "close done"
        await wait_for_workers(pilot)
        assert "close done" in status_line(pilot.app)
        await pilot.press("shift+tab")  # to the Messages pane
        await pilot.pause()
        assert status_line(pilot.app).startswith("Messages: ")
        assert "close" not in status_line(pilot.app)


class RateLimitedDetails(FakeBackend):
    """Details whose transitions could not be fetched: the gateway waited for a rate limit."""

    async def details(self, item: Item) -> ItemDetail:
        return ItemDetail(item.id, body="", error="jira: rate limited; retry in 40s")


async def test_t_while_rate_limited_says_the_transitions_could_not_be_loaded(
    wait_for_workers: WaitForWorkers,
) -> None:
    app = make_app(RateLimitedDetails())
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        await pilot.press("tab", "right_square_bracket", "t")  # a Jira issue
        await wait_for_workers(pilot)
        line = status_line(pilot.app)
        assert "no transitions available" not in line
        assert "cannot load the transitions" in line and "rate limited" in line


async def test_the_issues_pane_shows_its_worst_tab_and_each_tabs_own_badge(
    backend: FakeBackend,
) -> None:
    """A Jira storm on the second tab is not hidden behind the live GitHub tab."""
    async with make_app(backend).run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        backend.go_live(traffic=False)
        backend.go_degraded(services=("jira",))
        pane = pilot.app.screen.query_one("#pane-issues", ItemPane)
        await eventually(lambda: "cached" in str(pane.border_title), "the Jira tab's badge")
        assert pane.section is not None and pane.section.service == "github"  # first tab
        title = str(pane.border_title)
        assert title.startswith("Issues 12 · live"), title
        assert "Sprint: cached 2m" in title  # the worst tab, named
        assert pane.has_class("-stale")  # and the border says so too
        tabs = str(pane.query_one(".tabs").render())
        assert "Assigned 12 live" in tabs and "Sprint 12 cached 2m" in tabs
        backend.recover()
        await eventually(lambda: "Sprint" not in str(pane.border_title), "the recovery")
        assert str(pane.border_title) == "Issues 12 · live" and pane.has_class("-live")


async def test_a_slack_message_is_named_by_channel_and_time_not_its_raw_id(
    backend: FakeBackend,
) -> None:
    async with make_app(backend).run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        await pilot.press("shift+tab")  # the Messages pane
        await pilot.pause()
        message = pilot.app.screen.query_one("#list-messages", ItemList).cursor_item
        assert isinstance(message, Message) and message.key in message.id
        preview = str(pilot.app.screen.query_one("#preview-body").render())
        assert message.key not in preview
        assert preview.startswith(f"#{message.channel.lstrip('#')} ")
        await pilot.press("r")
        await pilot.pause()
        modal = pilot.app.screen
        assert isinstance(modal, EditorModal)
        assert message.key not in modal.prompt
        assert modal.prompt.startswith(f"Reply on #{message.channel.lstrip('#')} ")


def _answer(endpoint: str, status: int, cache: str, error: str | None, at: float) -> RequestDone:
    return RequestDone(
        service="github",
        account="gh",
        method="GET",
        endpoint=endpoint,
        status=status,
        latency=0.3 if cache != "hit" else 0.0,
        cache=cache,
        attempts=3 if error else 1,
        error=error,
        at=at,
    )


def visible_lines(widget: Widget) -> list[str]:
    """The text the widget paints: its lines as cut to its width (borders included)."""
    region = Region(0, 0, widget.outer_size.width, widget.outer_size.height)
    return [strip.text for strip in widget.render_lines(region)]


LONG = "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers/and/a/long/tail"


async def test_health_screen_at_80_columns_says_each_error_once_and_shows_latencies(
    backend: FakeBackend,
) -> None:
    async with make_app(backend).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("h")
        await pilot.pause()
        for n in range(12):  # an outage: the same three endpoints fail again and again
            for endpoint in ("/a", "/b", LONG):
                backend.publish(_answer(endpoint, 200, "stale", "503 after 3 attempts", n))
        backend.publish(_answer("/a", 200, "hit", None, 20.0))
        await eventually(lambda: len(pilot.app.health_model.errors) == 3, "three error lines")
        screen = pilot.app.screen
        screen.update_view()
        await pilot.pause()
        errors = str(screen.query_one("#errors").render()).splitlines()
        assert len(errors) == 6, errors  # two lines an error: the short parts, then the message
        assert all(e.count("200 stale") == 1 for e in errors[::2])
        assert screen.query_one("#errors").styles.text_wrap == "nowrap"  # cut, not wrapped
        # what the box shows at 80 columns: status, count and time whole, the message cut
        seen = visible_lines(screen.query_one("#errors"))
        heads = [line for line in seen if "200 stale" in line]
        when = local_time(11.0, now=screen.clock())
        assert len(heads) == 3 and all(f"200 stale x12 {when}" in h for h in heads), seen
        assert any(LONG[:20] in line and "…" in line for line in seen), seen
        table = screen.query_one(DataTable)
        assert [str(c.label) for c in table.columns.values()][:8] == [
            "Service",
            "Method",
            "Calls",
            "Cached",
            "Errors",
            "Last",
            "p50 ms",
            "p95 ms",
        ]
        painted = pilot.app.export_screenshot().replace("&#160;", " ")
        assert "p95 ms" in painted and "p50 ms" in painted  # visible at 80 columns
        a = pilot.app.health_model.endpoints[("github", "GET", "/a")]
        assert (a.count, a.hits) == (12, 1)  # the cache hit is not a call
        assert "Cached: cache hits" in str(table.border_title)


def table_fits(table: DataTable[Any]) -> bool:
    """No column pushed past the table's width (no sideways scrolling)."""
    return table.max_scroll_x == 0


SIBLINGS = (
    "/repos/{owner}/{repo}/issues/{number}/labels",
    "/repos/{owner}/{repo}/issues/{number}/comments",
    "/repos/{owner}/{repo}/pulls/{number}/reviews",
)


async def test_health_screen_at_80_columns_tells_endpoints_of_one_prefix_apart(
    backend: FakeBackend,
) -> None:
    """Cut at its end, each of these read `/repos/{owner` at 80 columns: the same row
    three times. Cut from its start, each keeps the part that names it."""
    async with make_app(backend).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("h")
        await pilot.pause()
        for endpoint in SIBLINGS:
            backend.publish(_answer(endpoint, 200, "miss", None, 1.0))
        await eventually(lambda: len(pilot.app.health_model.endpoints) >= 3, "three endpoints")
        screen = pilot.app.screen
        screen.update_view()
        await pilot.pause()
        seen = visible_lines(screen.query_one(DataTable))
        rows = [line for line in seen if "github" in line]
        for endpoint in SIBLINGS:
            [row] = [line for line in rows if "/" + endpoint.rsplit("/", 1)[-1] in line]
            assert "…" in row, "\n".join(seen)  # cut, and where it is cut shows
        for n in range(12):  # more rows than the table's height: a vertical scrollbar
            backend.publish(_answer(f"{SIBLINGS[0]}/{n}", 200, "miss", None, 1.0))
        await eventually(lambda: len(pilot.app.health_model.endpoints) >= 15, "15 endpoints")
        screen.update_view()
        await pilot.pause()
        assert table_fits(screen.query_one(DataTable)), "\n".join(seen)


async def test_an_account_without_a_token_is_offered_a_login_not_told_it_expired() -> None:
    backend = FakeBackend()
    async with make_app(backend).run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        section = backend.sections[0]
        reason = "not logged in: run `zen-tui auth login gh`"
        fresh = Freshness(FreshnessState.EMPTY, None, reason, Cause.AUTH)
        backend.publish(backend._section_event(section, Snapshot((), fresh)))
        await eventually(lambda: any("gh:" in n for n in notes(pilot.app)), "the notice")
        [said] = [n for n in notes(pilot.app) if n.startswith("gh:")]
        assert said == "gh: not logged in; press L to log in"


def sent(backend: FakeBackend) -> list[tuple[str, dict[str, str]]]:
    """The kind and parameters of each action of the last submit."""
    return [(a.kind, a.params) for a in backend.submitted[-1]]


async def test_what_i_wrote_shows_in_the_preview_and_the_row(
    backend: FakeBackend, wait_for_workers: WaitForWorkers
) -> None:
    """What each dialog sent, too (the dashboard's comment and react tests, merged here)."""
    async with make_app(backend).run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        assert isinstance(pilot.app.screen, EditorModal)
        await pilot.press(*"needs a test", "ctrl+s")
        await wait_for_workers(pilot)
        assert sent(backend) == [("comment", {"body": "needs a test"})]
        assert "you: needs a test" in preview_text(pilot.app)
        await pilot.press("v")
        await wait_for_workers(pilot)
        assert "you: APPROVED" in preview_text(pilot.app)
        await pilot.press("shift+tab")  # a Slack message: reply and react
        await wait_for_workers(pilot)
        messages = pilot.app.screen.query_one("#list-messages", ItemList)
        before = messages.cursor_item
        assert isinstance(before, Message)
        await pilot.press("r", *"on it", "ctrl+s")
        await wait_for_workers(pilot)
        after = messages.cursor_item
        assert isinstance(after, Message) and after.reply_count == before.reply_count + 1
        assert "you: on it" in preview_text(pilot.app)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(pilot.app.screen, PickerModal)
        await pilot.press("enter")  # eyes
        await wait_for_workers(pilot)
        assert sent(backend) == [("react", {"name": "eyes"})]
        eyes = {r.name: r for r in before.reactions}.get("eyes")
        now = {r.name: r for r in messages.cursor_item.reactions}["eyes"]  # type: ignore[union-attr]
        assert now.me and now.count == (eyes.count + 1 if eyes else 1)
        assert f":eyes:{now.count}" in meta(messages.cursor_item)  # type: ignore[arg-type]

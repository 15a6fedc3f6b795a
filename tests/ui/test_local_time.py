"""One clock for people: with TZ outside UTC, the health screen, the error summary on the
badge and `zen-tui health` write the same moment as the same local time, with its zone."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from textual.app import App
from textual.widgets import Static

from tests.helpers import github_breaker_opened
from zen_tui import paths
from zen_tui.cli import main
from zen_tui.gateway.errors import CircuitOpen
from zen_tui.gateway.events import RequestDone
from zen_tui.store import Store
from zen_tui.timefmt import local_time
from zen_tui.ui.health_model import HealthModel
from zen_tui.ui.screens.health import HealthScreen

ZONE = "Asia/Kolkata"  # UTC+05:30: no whole-hour offset can make a UTC time look right
OPENED = 1_764_934_200.0  # 2025-12-05 11:30:00 UTC = 17:00:00 IST
HALF_OPEN = OPENED + 30


@pytest.fixture
def kolkata(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", ZONE)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def expected(ts: float) -> str:
    return datetime.fromtimestamp(ts, ZoneInfo(ZONE)).strftime("%H:%M:%S IST")


def test_the_formatter_writes_local_time_with_its_zone(kolkata: None) -> None:
    assert local_time(HALF_OPEN) == expected(HALF_OPEN) == "17:00:30 IST"
    assert local_time(HALF_OPEN, now=HALF_OPEN + 3600) == "17:00:30 IST"
    assert local_time(HALF_OPEN, now=HALF_OPEN + 86400) == "2025-12-05 17:00:30 IST"


async def screen_text(model: HealthModel) -> tuple[str, str]:
    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(HealthScreen(model, clock=lambda: OPENED + 5))

    async with Host().run_test() as pilot:
        await pilot.pause()
        screen = pilot.app.screen

        def text(selector: str) -> str:
            return str(screen.query_one(selector, Static).render())

        return text("#breakers"), text("#errors")


async def test_health_screen_badge_and_health_command_agree(
    kolkata: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    error = CircuitOpen(service="github", account="gh", retry_at=HALF_OPEN)
    model = github_breaker_opened(HALF_OPEN, at=OPENED)
    model.apply(
        RequestDone(
            service="github",
            account="gh",
            method="GET",
            endpoint="/search",
            status=None,
            latency=0.0,
            cache="miss",
            attempts=1,
            error=str(error),
            at=OPENED,
        )
    )
    breakers, errors = await screen_text(model)

    store = Store.open(paths.store_path(tmp_path))
    store.save_health("gh", {"breaker": "open", "half_open_at": HALF_OPEN}, OPENED)
    store.close()
    config = tmp_path / "config.toml"
    config.write_text('[[accounts]]\nname = "gh"\nservice = "github"\n', encoding="utf-8")
    with monkeypatch.context() as patch:  # the command reads the time of day: same as the screen
        patch.setattr(time, "time", lambda: OPENED + 5)
        assert main(["--config", str(config), "--data-dir", str(tmp_path), "health"]) == 0
    command = capsys.readouterr().out

    half_open, opened = expected(HALF_OPEN), expected(OPENED)
    assert str(error) == f"github: breaker open until {half_open}"  # the pane badge's text
    assert f"{opened} github: closed → open (half-open at {half_open})" in breakers
    assert errors.startswith(f"- {opened}\n  github/gh GET /search") and half_open in errors
    assert f"breaker   open (half-open at {half_open})" in command


async def test_the_preview_names_an_older_message_with_its_date(kolkata: None) -> None:
    """The preview's heading named a message from last week by its time alone (`#dev
    17:00:30 IST`), read as today's; the list row, the prompts and `zen-tui list` give the
    date, as every time from another day does."""
    from zen_tui.models import Message
    from zen_tui.ui.widgets.preview import Preview

    sent = HALF_OPEN - 7 * 86400
    message = Message(
        id="chat:C0DEV:1.0",
        account="chat",
        service="slack",
        key="C0DEV:1.0",
        title="deploy is green",
        url="https://zen.slack.com/archives/C0DEV/p10",
        updated_at="2025-11-28T11:30:30Z",
        channel="#dev",
        channel_id="C0DEV",
        text="deploy is green",
        ts=f"{sent:.6f}",
    )

    class Host(App[None]):
        def compose(self):  # type: ignore[no-untyped-def]
            yield Preview(clock=lambda: HALF_OPEN)

    async with Host().run_test() as pilot:
        pilot.app.query_one(Preview).show(message, None)
        await pilot.pause()
        shown = str(pilot.app.query_one("#preview-body", Static).render())
    assert shown.splitlines()[0] == "#dev 2025-11-28 17:00:30 IST"


def test_jira_history_is_written_in_local_time_with_its_zone(kolkata: None) -> None:
    """The changelog (H) gave the server's own `2025-12-05 11:30` (UTC): no zone, wrong hour."""
    from zen_tui.models import Issue, ItemDetail
    from zen_tui.ui.widgets.preview import render_detail

    item = Issue(
        id="jira:PROJ-1",
        account="jira",
        service="jira",
        key="PROJ-1",
        title="t",
        url="",
        updated_at="",
    )
    history = (
        ("2025-12-05T11:30:00.000+0000", "Ana", "status: To Do -> Done"),
        ("2025-12-04T11:30:00.000+0000", "Bo", "assignee: -> Ana"),
        ("not a time", "Cy", "labels"),
    )
    detail = ItemDetail(item.id, body="b", history=history)
    text = render_detail(item, detail, now=OPENED + 60).plain
    assert "17:00:00 IST Ana: status: To Do -> Done" in text
    assert "2025-12-04 17:00:00 IST Bo: assignee: -> Ana" in text  # another day: dated
    assert "not a time Cy: labels" in text
    assert "11:30" not in text

"""Pilot tests over the REAL stack: the simulator on a loopback port, the SyncEngine with real
SQLite, and ZenApp on top (tools.demo_stack, the path `make screenshots` uses).

Outage: the GitHub pane goes stale and its breaker lamp opens while the simulator fails, and
both clear when it recovers. Login: device flow (approved by a form post, as a user would),
Slack OAuth with the test as the browser, and a pasted token, each into a memory keyring; no
token ever appears on screen. Outbox: an approve and a label (through a GitHub outage) show
the engine's states on the row and land exactly once in the simulator's mutation log. Theme:
a palette choice is saved in the real store and used by the next run.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from msgspec.structs import replace

from tests.helpers import JumpClock, listing_ttl
from tests.unit.auth.browser_double import FakeBrowser
from tests.unit.auth.memory_keyring import MemoryKeyring, memory_keyring
from tools.demo_stack import (
    GITHUB_OUTAGE,
    DemoStack,
    all_live,
    breaker_lamps,
    demo_stack,
    pane_titles,
    wait_until,
)
from zen_tui.auth.keyring_store import KeyringCredentialStore
from zen_tui.auth.login import LoginFlow
from zen_tui.auth.states import DeviceCodeShown, LoggedIn, WaitingForBrowser
from zen_tui.commands.dashboard import THEME_KEY
from zen_tui.config import AccountConfig
from zen_tui.models import ActionState, PullRequest
from zen_tui.sync.engine import SyncEngine
from zen_tui.ui.app import ZenApp
from zen_tui.ui.screens.login import LoginScreen
from zen_tui.ui.widgets.gateway import ServiceCard
from zen_tui.ui.widgets.item_list import ItemList, RowState
from zen_tui.ui.widgets.pane import ItemPane
from zen_tui.wiring import build

from .conftest import outbox_idle, palette, status_line, type_text

__all__ = ["memory_keyring"]
pytestmark = pytest.mark.timeout(60)
WIDE = (140, 40)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[DemoStack]:
    with demo_stack(tmp_path, seed=3, size=120, breaker_timeout=0.5) as s:
        yield s


# A dropped connection ("reset") opens the same breaker as a 503: that the gateway and the
# engine count it is tests/integration/test_outage.py's (Jira resets there); on screen it is
# the same lamp and badge, so it runs in `make soak` only, the 503 in every run.
@pytest.mark.parametrize("mode", ["503", pytest.param("reset", marks=pytest.mark.slow)])
async def test_outage_shows_stale_badge_and_open_lamp_then_recovers(
    tmp_path: Path, mode: str
) -> None:
    # A breaker timeout no loaded machine outlives between the lamp opening and the card's
    # check ("s left", not "probe due"); the fake clock jumps past it to recover.
    with demo_stack(tmp_path, seed=3, size=120, breaker_timeout=OUTAGE_BREAKER_TIMEOUT) as s:
        await _outage_then_recovery(s, mode)


OUTAGE_BREAKER_TIMEOUT = 30.0


async def _outage_then_recovery(stack: DemoStack, mode: str) -> None:
    clock = JumpClock()
    app = stack.app(SyncEngine(build(stack.settings, clock=clock)))
    async with app.run_test(size=WIDE):
        await wait_until(lambda: all_live(app), "every pane to go live")
        assert breaker_lamps(app)["github"] == "closed"

        stack.sim.set_faults([{"service": "github", "outage": True, "outage_mode": mode}])
        for _ in range(6):  # each failing poll counts against GitHub's breaker (threshold 5)
            await app.backend.refresh(None)
            if breaker_lamps(app)["github"] == "open":
                break
        await wait_until(lambda: breaker_lamps(app)["github"] == "open", "the breaker lamp")
        # the lamp and the pane are redrawn by different messages: wait for the pane too
        await wait_until(lambda: "cached" in pane_titles(app)["prs"], "the pane's cached badge")
        title = pane_titles(app)["prs"]
        assert title.startswith("Pull requests ") and "cached" in title, title
        assert pane_titles(app)["messages"].endswith("live")  # Slack is unaffected
        card = app.screen.query_one("#card-github", ServiceCard)
        assert (
            card.has_class("-open")
            and "open, " in str(card.render())
            and "s left" in str(card.render())
        )
        assert "Pull requests: cached" in status_line(app)

        stack.sim.clear_faults()
        clock.jump(OUTAGE_BREAKER_TIMEOUT + 0.1)  # past the breaker timeout: probes allowed
        for _ in range(4):
            await app.backend.refresh(None)
            if all_live(app) and breaker_lamps(app)["github"] == "closed":
                break
        await wait_until(lambda: all_live(app), "the panes to go live again")
        await wait_until(lambda: breaker_lamps(app)["github"] == "closed", "the lamp to close")
        assert not card.has_class("-open")
        assert status_line(app).startswith("Pull requests: live")


async def test_a_poll_the_cache_answered_shows_its_age_and_a_304_is_live_again(
    stack: DemoStack,
) -> None:
    """Within the listing TTL (an hour here) a scheduled poll is answered by the gateway's
    cache, the server not asked: the PR pane's badge says `cached 3s`, not `live`, and the
    status line why; nothing failed, so the border stays as live (not amber). The user's
    refresh (R) asks the server, whose 304 is live."""
    kept = listing_ttl(stack.settings, 3600.0)
    engine = SyncEngine(build(kept))
    app = stack.app(engine)
    async with app.run_test(size=WIDE):
        await wait_until(lambda: all_live(app), "every pane to go live")
        pane = app.screen.query_one("#pane-prs", ItemPane)
        for section in pane.sections:  # scheduled polls: the cache may answer
            await engine.pollers[section.id].poll_now(interactive=False)

        def tabs() -> str:
            return str(pane.query_one(".tabs").render())

        await wait_until(lambda: tabs().count(" cached ") == len(pane.sections), "cached tabs")
        assert "live" not in tabs(), tabs()
        title = pane_titles(app)["prs"]
        assert re.fullmatch(r"Pull requests \d+ · cached \d+s", title), title
        assert pane.has_class("-live") and not pane.has_class("-stale")
        line = status_line(app)
        assert re.match(r"Pull requests: cached \d+s \(from the gateway's cache, kept 1h: ", line)
        github = [h for h in engine.health() if h.service == "github"]
        assert sum(h.cache_hits for h in github) >= len(pane.sections)  # the server not asked

        await app.backend.refresh(None)  # R: asks the server, which confirms (304)
        await wait_until(lambda: all_live(app), "the panes to go live again")
        assert status_line(app).startswith("Pull requests: live")


# --- in-app login -------------------------------------------------------------------------


class SteppedClock:
    """Login-flow time that jumps by each requested sleep (after a short real pause), shared
    with the simulator so its device-code pacing agrees: a 5 s poll interval costs 20 ms."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0.02)
        self.now += seconds


def notes(app: ZenApp) -> str:
    return "\n".join(n.message for n in app._notifications)


def screen_text(app: ZenApp) -> str:
    return app.export_screenshot()


def account(stack: DemoStack, name: str) -> AccountConfig:
    return next(a for a in stack.settings.accounts if a.name == name)


def refreshes(app: ZenApp) -> list[str | None]:
    """Record the sections the app asks the real engine to refresh."""
    calls: list[str | None] = []
    real = app.backend.refresh

    async def recording(section_id: str | None = None) -> None:
        calls.append(section_id)
        await real(section_id)

    app.backend.refresh = recording  # type: ignore[method-assign]
    return calls


def token_field_focused(app: ZenApp) -> bool:
    """The token box is mounted and has the focus: typing goes into it from now on."""
    found = app.screen.query("#login-token")
    return bool(found) and app.focused is found.first()


async def open_login(app: ZenApp, name: str) -> LoginScreen:
    app.action_login(name)
    await wait_until(lambda: login_screen_on(app) is not None, "the login screen's account")
    return app.screen  # type: ignore[return-value]


def login_screen_on(app: ZenApp) -> AccountConfig | None:
    """The account the login screen shows, once it is mounted and has chosen it."""
    screen = app.screen
    return screen.account if isinstance(screen, LoginScreen) else None


async def test_device_login_shows_the_code_stores_the_token_and_refreshes(
    stack: DemoStack, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BROWSER", "true")  # a GUI browser exists: the screen opens the URL
    clock = SteppedClock()
    stack.sim.world.clock = clock.time
    opened: list[str] = []

    def flow(acc: AccountConfig, method: str, token: str | None) -> LoginFlow:
        return LoginFlow(acc, method, token=token, clock=clock, open_browser=None)

    app = stack.app(stack.engine(), login_flow=flow)
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: all_live(app), "every pane to go live")
        app.open_url = lambda url, new_tab=True: opened.append(url)  # type: ignore[method-assign]
        calls = refreshes(app)
        screen = await open_login(app, "github")
        await pilot.press("enter")  # device: the default method, highlighted
        await wait_until(lambda: any(isinstance(s, DeviceCodeShown) for s in screen.states), "code")
        shown = next(s for s in screen.states if isinstance(s, DeviceCodeShown))
        # the state arrives from the flow's worker; the screen draws it on a later turn
        await wait_until(lambda: shown.user_code in screen_text(app), "the code on screen")
        assert "login/device" in screen_text(app)
        assert opened == [shown.verification_uri]

        async with httpx.AsyncClient() as user:  # the user approves in the browser
            page = await user.post(
                shown.verification_uri, data={"user_code": shown.user_code, "action": "approve"}
            )
            assert page.status_code == 200
        await wait_until(lambda: not isinstance(app.screen, LoginScreen), "the screen to close")
        assert isinstance(screen.states[-1], LoggedIn)
        stored = await KeyringCredentialStore().load("github")
        assert stored is not None and stored.method == "device"
        await wait_until(lambda: len(calls) == 3, "the GitHub sections to refresh")
        assert sorted(calls) == sorted(s.id for s in app.backend.sections if s.account == "github")
        await wait_until(lambda: "logged in to github as me" in notes(app), "the notification")
        assert stored.token not in screen_text(app)


async def test_slack_oauth_shows_the_url_and_logs_in(
    stack: DemoStack, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BROWSER", "true")
    browser = FakeBrowser()
    app = stack.app(stack.engine())
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: all_live(app), "every pane to go live")
        seen: list[str] = []

        def open_url(url: str, new_tab: bool = True) -> None:
            seen.append(screen_text(app))  # what the user sees while the browser opens
            threading.Thread(target=browser, args=(url,), daemon=True).start()

        app.open_url = open_url  # type: ignore[method-assign]
        screen = await open_login(app, "slack")
        await pilot.press("enter")  # oauth, the default
        await wait_until(lambda: not isinstance(app.screen, LoginScreen), "the login to finish")
        waiting = next(s for s in screen.states if isinstance(s, WaitingForBrowser))
        assert browser.opened == [waiting.url] and "/oauth/v2/authorize" in waiting.url
        assert isinstance(screen.states[-1], LoggedIn)
        stored = await KeyringCredentialStore().load("slack")
        assert stored is not None and stored.token.startswith("xoxe.xoxp-1-")  # it rotates
        for secret in (stored.token, stored.refresh_token):
            assert secret and secret not in screen_text(app) and all(secret not in t for t in seen)


async def test_pasted_token_is_never_echoed_and_lands_in_the_keyring(
    stack: DemoStack, memory_keyring: MemoryKeyring
) -> None:
    token = stack.sim.account("github").token
    app = stack.app(stack.engine())
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: all_live(app), "every pane to go live")
        screen = await open_login(app, "github")
        await pilot.press("down", "enter")  # the second method: token
        await wait_until(lambda: token_field_focused(app), "the token field to take the focus")
        field = screen.query_one("#login-token")
        await type_text(pilot, token)
        assert field.value == token  # type: ignore[attr-defined]
        assert token not in screen_text(app)  # a password input: bullets only
        await pilot.press("enter")
        await wait_until(lambda: not isinstance(app.screen, LoginScreen), "the login to finish")
        assert isinstance(screen.states[-1], LoggedIn)
        stored = await KeyringCredentialStore().load("github")
        assert stored is not None and stored.token == token and stored.method == "token"
        assert token not in screen_text(app)


async def test_a_refused_token_offers_login_for_that_account(stack: DemoStack) -> None:
    """The simulator answers GitHub with 401: the panes say why, a notification names the key,
    and `L` opens the login screen on that account (never by itself)."""
    app = stack.app(stack.engine())
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: all_live(app), "every pane to go live")
        stack.sim.set_faults([{"service": "github", "error_rate": 1.0, "statuses": [401]}])
        await app.backend.refresh(None)
        await wait_until(lambda: "github: login expired" in notes(app), "the login notice")
        assert "press L to log in again" in notes(app)
        assert "L: log in" in status_line(app)
        assert not isinstance(app.screen, LoginScreen)
        await pilot.press("L")
        await wait_until(lambda: login_screen_on(app) is not None, "the login screen's account")
        assert login_screen_on(app) == account(stack, "github")


async def test_logging_in_from_the_dashboard_brings_a_tokenless_account_live(
    stack: DemoStack, memory_keyring: MemoryKeyring
) -> None:
    """A GitHub account with no token anywhere: its panes say the login is missing; a token
    pasted in the login screen goes to the keyring, the engine reads it from there, and the
    account's sections go live without a restart."""
    token = stack.sim.account("github").token
    accounts = [
        replace(a, token=None) if a.service == "github" else a for a in stack.settings.accounts
    ]
    stack.settings = replace(stack.settings, accounts=accounts)
    app = stack.app(stack.engine())
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: pane_titles(app).get("messages", "").endswith("live"), "Slack")
        notice = "github: not logged in; press L to log in"  # no token: never "expired"
        await wait_until(lambda: notice in notes(app), "the login notice")
        assert not pane_titles(app)["prs"].endswith("live")
        await pilot.press("L")  # the focused pane is the PRs: GitHub
        await wait_until(lambda: login_screen_on(app) is not None, "the login screen's account")
        await pilot.press("down", "enter")  # the token method
        await wait_until(lambda: token_field_focused(app), "the token field to take the focus")
        await type_text(pilot, token)
        await pilot.press("enter")
        await wait_until(lambda: not isinstance(app.screen, LoginScreen), "the login to finish")
        await wait_until(lambda: all_live(app), "the GitHub panes to go live", within=10)
        assert (await KeyringCredentialStore().load("github")).token == token  # type: ignore[union-attr]
        assert token not in screen_text(app)


# --- the real outbox's states on the rows -------------------------------------------------


def row_history(app: ZenApp, pane: str = "prs") -> list[tuple[str, RowState | None]]:
    """Record every row state the dashboard sets on `pane`'s list, in order."""
    items = app.screen.query_one(f"#list-{pane}", ItemList)
    seen: list[tuple[str, RowState | None]] = []
    real = items.set_row_state

    def recording(item_id: str, state: RowState | None) -> None:
        seen.append((item_id, state))
        real(item_id, state)

    items.set_row_state = recording  # type: ignore[method-assign]
    return seen


def states_of(history: list[tuple[str, RowState | None]], item_id: str) -> list[ActionState]:
    return [s.state for i, s in history if i == item_id and s is not None]


def mutations(stack: DemoStack, kind: str, pr: PullRequest) -> list[dict[str, object]]:
    """The simulator's record of `kind` changes applied to `pr` (its ref is owner/repo#n)."""
    log = stack.sim.counters()["mutation_log"]
    return [m for m in log if m["kind"] == kind and m.get("item") == f"{pr.repo}#{pr.number}"]


def cursor_pr(app: ZenApp) -> PullRequest:
    """The cursor's PR whole (its row leaves the number in the store: models.as_row)."""
    item = app.screen.query_one("#list-prs", ItemList).cursor_item
    assert item is not None
    item = app.backend.full_item(item)
    assert isinstance(item, PullRequest), item
    return item


async def test_approve_shows_the_outbox_states_on_the_row_and_reviews_once(
    stack: DemoStack,
) -> None:
    app = stack.app(stack.engine())
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: all_live(app), "every pane to go live")
        target = cursor_pr(app)
        history = row_history(app)
        await pilot.press("v")
        rows = app.screen.query_one("#list-prs", ItemList).row_states
        await wait_until(
            lambda: target.id in rows and rows[target.id].state is ActionState.DONE, "done"
        )
        states = states_of(history, target.id)
        assert states[0] is ActionState.PENDING and ActionState.SENDING in states, states
        assert states[-1] is ActionState.DONE and rows[target.id].kind == "approve"
        # a second (duplicate) send would have to be queued or in flight: wait until neither
        await wait_until(lambda: outbox_idle(app.backend), "the outbox to go idle")
        reviews = mutations(stack, "review", target)
        assert len(reviews) == 1 and reviews[0]["event"] == "APPROVE", reviews


async def test_a_label_during_an_outage_stays_pending_then_lands_once(stack: DemoStack) -> None:
    app = stack.app(stack.engine())
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: all_live(app), "every pane to go live")
        target = cursor_pr(app)
        rows = app.screen.query_one("#list-prs", ItemList).row_states
        history = row_history(app)
        stack.sim.set_faults([GITHUB_OUTAGE])
        await pilot.press("l", *"triage", "enter")

        def engine_says_pending() -> bool:  # the UI's own optimistic mark has no reason
            row = rows.get(target.id)
            return row is not None and row.state is ActionState.PENDING and bool(row.reason)

        await wait_until(engine_says_pending, "the outbox to report the label pending")
        assert ActionState.SENDING in states_of(history, target.id)  # it was tried, and failed
        assert ActionState.DONE not in states_of(history, target.id)
        assert mutations(stack, "label_added", target) == []
        prs = app.screen.query_one("#list-prs", ItemList)
        await wait_until(lambda: "add_label" in prs.render_line(0).text, "the row to say it")

        stack.sim.clear_faults()
        await wait_until(
            lambda: rows[target.id].state is ActionState.DONE, "the label to land", within=20
        )
        await wait_until(lambda: outbox_idle(app.backend), "the outbox to go idle")
        added = mutations(stack, "label_added", target)
        assert [m["label"] for m in added] == ["triage"], added


# --- the theme choice survives a restart --------------------------------------------------


def app_like_the_cli(stack: DemoStack) -> tuple[ZenApp, SyncEngine]:
    """Wired as `commands/dashboard.py` does: the saved theme (else the configured one)
    from the engine's store, and the store's set_setting to save a new choice."""
    engine = stack.engine()
    store = engine.store
    theme = store.get_setting(THEME_KEY) or stack.settings.ui.theme
    return stack.app(engine, theme=theme, settings_store=store.set_setting), engine


async def test_the_theme_chosen_in_the_palette_is_used_after_a_restart(stack: DemoStack) -> None:
    first, engine = app_like_the_cli(stack)
    async with first.run_test(size=WIDE) as pilot:
        await pilot.pause()
        assert first.theme == "zen-dark"
        await palette(pilot, "theme: zen-light")
        await wait_until(lambda: "zen-light" in screen_text(first), "the palette to offer it")
        await pilot.press("enter")
        await wait_until(lambda: first.theme == "zen-light", "the theme to switch")
        assert first.is_running
        await pilot.press("q")
        await wait_until(lambda: not first.is_running, "q to quit the app")
    assert engine.closed  # unmounting stopped the engine and closed its store

    second, engine = app_like_the_cli(stack)  # a new engine: the same data dir, a new store
    async with second.run_test(size=WIDE) as pilot:
        await pilot.pause()
        assert second.theme == "zen-light"
        assert engine.store.get_setting(THEME_KEY) == "zen-light"


# --- a refresh that retries or waits says so (issue 8, part 8) ----------------------------


def slow_retries(stack: DemoStack, service: str) -> None:
    """Retry waits long enough to watch (0.4 s, 0.8 s, 1 s), without jitter. The breaker
    counts every failed attempt, so the refresh's concurrent reads would open it (5) before
    one call reached its 4th attempt: here it stays closed, to watch the retries alone."""
    gateway = dict(stack.settings.gateway)
    gs = gateway[service]
    gateway[service] = replace(
        gs,
        retry=replace(gs.retry, initial_wait=0.4, max_wait=1.0, jitter=False),
        breaker=replace(gs.breaker, failure_threshold=100),
    )
    stack.settings = replace(stack.settings, gateway=gateway)


def titles_seen(app: ZenApp, pane: str) -> list[str]:
    """Every distinct border title `pane` shows from now on, in order."""
    from zen_tui.ui.widgets.pane import ItemPane

    widget = app.screen.query_one(f"#pane-{pane}", ItemPane)
    seen: list[str] = []
    real = widget.refresh_title

    def recording() -> None:
        real()
        title = str(widget.border_title)
        if not seen or seen[-1] != title:
            seen.append(title)

    widget.refresh_title = recording  # type: ignore[method-assign]
    return seen


async def test_a_retrying_refresh_says_so_beside_the_age_then_settles(stack: DemoStack) -> None:
    slow_retries(stack, "github")
    app = stack.app(stack.engine())
    async with app.run_test(size=WIDE):
        await wait_until(lambda: all_live(app), "every pane to go live")
        seen = titles_seen(app, "prs")
        stack.sim.set_faults([GITHUB_OUTAGE])
        refresh = asyncio.create_task(app.backend.refresh("prs:0:github"))
        await wait_until(lambda: "retrying 2/4" in pane_titles(app)["prs"], "retrying 2/4")
        title = pane_titles(app)["prs"]
        assert title.startswith("Pull requests ") and title.endswith(" old"), title
        assert "retrying 2/4 · " in status_line(app)
        await wait_until(lambda: "retrying 4/4" in pane_titles(app)["prs"], "the last attempt")
        await refresh
        await wait_until(lambda: "cached" in pane_titles(app)["prs"], "the cached badge")
        assert "retrying" not in pane_titles(app)["prs"] and "retrying" not in status_line(app)
        shown = [t.split("retrying ")[1][:3] for t in seen if "retrying" in t]
        labels = [label for label, _ in itertools.groupby(shown)]  # the age ticks on beside it
        # Each call that retries counts up on its own: the listing, then (its stale copy
        # shown) the PR reads of the same refresh.
        assert labels and labels == ["2/4", "3/4", "4/4"] * (len(labels) // 3), seen
        assert not any("retrying" in t for t in pane_titles(app).values())  # other panes: no


async def test_a_rate_limited_refresh_says_it_waits_and_for_how_long(stack: DemoStack) -> None:
    app = stack.app(stack.engine())
    async with app.run_test(size=WIDE):
        await wait_until(lambda: all_live(app), "every pane to go live")
        seen = titles_seen(app, "messages")
        stack.sim.set_faults([{"service": "slack", "rate_limit_rate": 1.0, "retry_after": 3}])
        refresh = asyncio.create_task(app.backend.refresh("messages:0:slack"))
        await wait_until(
            lambda: "waiting for rate limit" in pane_titles(app)["messages"], "the wait"
        )
        stack.sim.clear_faults()  # the retry after the wait succeeds
        await refresh
        await wait_until(lambda: pane_titles(app)["messages"].endswith("live"), "live again")
        waits = [t for t in seen if "waiting for rate limit" in t]
        assert waits[0].split("waiting for rate limit ")[1].startswith(("3s", "2s")), waits
        assert all(t.endswith(" old") for t in waits), waits

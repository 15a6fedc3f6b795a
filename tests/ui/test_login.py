"""The login screen over the FakeBackend with a scripted flow: how it is reached (welcome,
palette, `L` when a section's login expired), what each method shows, and what it never shows.
The same screen against the real simulator and keyring is in test_live_stack.py."""

from __future__ import annotations

from tests.fakes.backend import FROZEN_NOW, FakeBackend
from zen_tui.auth.states import LoggedIn, LoginFailed, WaitingForBrowser
from zen_tui.config import AccountConfig
from zen_tui.models import Cause, Freshness, FreshnessState, Snapshot
from zen_tui.ui.screens.dashboard import needs_login
from zen_tui.ui.screens.login import LoginScreen
from zen_tui.ui.widgets.preview import dedupe_errors

from .conftest import ScriptedFlow, WaitForWorkers, make_app, notes

GH = AccountConfig("gh", "github", "https://api.github.com")
AUTH = Cause.AUTH
SLACK = AccountConfig("slack", "slack", "https://slack.com/api")


def test_needs_login_and_error_dedupe() -> None:
    """The cause decides, not the words: a revoked Slack token worded its own way needs a
    login; a breaker whose reason mentions logging in does not."""
    assert needs_login(Freshness(FreshnessState.CACHED, 1.0, "Slack says token_revoked", AUTH))
    assert not needs_login(Freshness(FreshnessState.CACHED, 1.0, "log in again", Cause.BREAKER))
    assert not needs_login(None)
    assert dedupe_errors("jira: 429; jira: 429; jira: 429") == "jira: 429"
    assert dedupe_errors("a; b; a") == "a; b"


async def test_welcome_l_opens_login_with_the_public_services() -> None:
    flow = ScriptedFlow(LoggedIn("github", "octo"))
    app = make_app(FakeBackend(sections=()), login_flow=flow)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        await pilot.press("enter", "enter")  # github, then its default method: device
        await pilot.pause()
        assert flow.calls == [("github", "device", None)]
        assert not isinstance(app.screen, LoginScreen)
        assert "logged in to github as octo; list its sections in the config" in notes(app)[-1]


async def test_palette_offers_log_in_per_account(wait_for_workers: WaitForWorkers) -> None:
    flow = ScriptedFlow(LoginFailed("GitHub says access_denied; try again"))
    app = make_app(FakeBackend(), accounts=[GH, SLACK], login_flow=flow)
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p", *"log in: slack")
        await wait_for_workers(pilot)  # the palette's search
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LoginScreen) and screen.account == SLACK
        await pilot.press("enter")  # oauth, the default for Slack
        await pilot.pause()
        assert flow.calls == [("slack", "oauth", None)]
        assert "login failed: GitHub says access_denied" in shown(app)
        await pilot.press("escape")
        assert flow.cancelled and not isinstance(app.screen, LoginScreen)


async def test_expired_login_says_which_key_and_L_logs_that_account_in() -> None:
    backend = FakeBackend()
    flow = ScriptedFlow(WaitingForBrowser("https://github.com/login/oauth?x=1", False))
    app = make_app(backend, accounts=[GH, SLACK], login_flow=flow)
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.pause()
        section = backend.sections[0]  # prs, account gh
        expired = Freshness(FreshnessState.CACHED, FROZEN_NOW - 60, "token revoked", AUTH)
        snap = Snapshot(backend.items[section.id], expired)
        backend.publish(backend._section_event(section, snap))
        backend.publish(backend._section_event(section, snap))  # said once, not per update
        await pilot.pause()
        assert [n for n in notes(app) if "login expired" in n] == [
            "gh: login expired; press L to log in again"
        ]
        assert "L: log in" in str(app.screen.query_one("#status").render())
        assert not isinstance(app.screen, LoginScreen)  # never modal by itself
        await pilot.press("L")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LoginScreen) and screen.account == GH
        await pilot.press("enter")
        await pilot.pause()
        text = shown(app)
        assert "open this URL on this machine" in text and "github.com/login/oauth" in text


async def test_token_method_uses_a_password_field_and_refuses_empty() -> None:
    secret = "ghp_" + "supersecret_value_123"  # fake, built at run time
    flow = ScriptedFlow(LoggedIn("gh", "octo"))
    app = make_app(FakeBackend(), accounts=[GH], login_flow=flow)
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.pause()
        await pilot.press("L", "down", "enter")  # gh preselected; second method: token
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert flow.calls == [] and "the token is empty" in shown(app)
        await pilot.press(*secret)
        assert secret not in shown(app)
        await pilot.press("enter")
        await pilot.pause()
        assert flow.calls == [("gh", "token", secret)]
        assert secret not in shown(app)
        assert backend_refreshed(app) == ["prs:0:gh", "prs:1:gh", "issues:0:gh"]


def shown(app) -> str:  # type: ignore[no-untyped-def]
    """The screen's text (the SVG export, with its non-breaking spaces made plain)."""
    return app.export_screenshot().replace("&#160;", " ")


def backend_refreshed(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [s for s in app.backend.refreshed if s]

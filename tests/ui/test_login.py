"""The login screen over the FakeBackend with a scripted flow: how it is reached (welcome,
palette, `L` when a section's login expired), what each method shows, and what it never shows.
The same screen against the real simulator and keyring is in test_live_stack.py."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import httpx
import keyring.backends.fail
import pytest
from textual.widgets import Input, OptionList, Static

from tests.fakes.backend import FROZEN_NOW, FakeBackend
from tests.unit.auth.memory_keyring import use_keyring
from tools.demo_stack import wait_until
from zen_tui.auth.keyring_store import SessionOnlyStore
from zen_tui.auth.login import LoginFlow
from zen_tui.auth.provider import KeyringCredentialProvider
from zen_tui.auth.states import DeviceCodeShown, LoggedIn, LoginFailed, WaitingForBrowser
from zen_tui.config import AccountConfig
from zen_tui.gateway.credentials import Credential
from zen_tui.models import Cause, Freshness, FreshnessState, Snapshot
from zen_tui.ui.screens.dashboard import needs_login
from zen_tui.ui.screens.login import LoginScreen
from zen_tui.ui.widgets.preview import dedupe_errors

from .conftest import ScriptedFlow, WaitForWorkers, make_app, notes, palette, type_text

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
    said = "github: breaker open; github: server error 503; github: breaker open until 02:46:40"
    assert dedupe_errors(said) == "github: server error 503; github: breaker open until 02:46:40"
    assert dedupe_errors("jira: 429; jira: 4290") == "jira: 429; jira: 4290"  # words, not text


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
        await palette(pilot, "log in: slack")
        await wait_for_workers(pilot)  # the palette's search
        await pilot.press("enter")
        # the palette closes, then the login screen is pushed and mounted: wait for its account
        await wait_until(
            lambda: isinstance(app.screen, LoginScreen) and app.screen.account == SLACK,
            "the login screen on slack",
        )
        await pilot.press("enter")  # oauth, the default for Slack
        await wait_until(lambda: flow.calls, "the flow to start (a worker)")
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
        await type_text(pilot, secret)
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


# --- issue 14: only what can work here; no keyring said before any flow; one flow per enter --


async def test_only_the_methods_that_can_work_here_are_offered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without ZEN_GITHUB_CLIENT_ID the device flow cannot work: it is listed, disabled, with
    the variable to set; pasting a token is the default (on main: straight to 'login failed')."""
    monkeypatch.delenv("ZEN_GITHUB_CLIENT_ID")
    flow = ScriptedFlow(LoggedIn("gh", "octo"))
    app = make_app(FakeBackend(), accounts=[GH], login_flow=flow)
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.pause()
        await pilot.press("L")
        await pilot.pause()
        methods = app.screen.query_one("#login-methods", OptionList)
        options = [methods.get_option_at_index(i) for i in range(methods.option_count)]
        assert [(o.id, o.disabled) for o in options] == [("token", False), ("device", True)]
        assert "ZEN_GITHUB_CLIENT_ID" in str(options[1].prompt)
        assert "(default)" in str(options[0].prompt)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.query_one("#login-token", Input).has_focus
        assert flow.calls == []


def fake_token() -> str:
    return "test-" + secrets.token_hex(8)  # built at run time


def github_user(request: httpx.Request) -> httpx.Response:
    assert request.url.path == "/user"
    return httpx.Response(200, json={"login": "octo"})


async def test_without_a_keyring_the_choices_come_before_any_flow_and_session_keeps_it() -> None:
    """No usable keyring: said when the screen opens; choosing a method starts nothing but
    the choices; 'session' runs the real token login and the running dashboard's credential
    provider gets the token (on main the login ran and then failed to save, losing it)."""
    made: list[LoginFlow] = []

    def real_flow(account: AccountConfig, method: str, token: str | None) -> LoginFlow:
        made.append(
            LoginFlow(
                account,
                method,
                token=token,
                open_browser=None,
                transport=httpx.MockTransport(github_user),
            )
        )
        return made[-1]

    token = fake_token()
    app = make_app(FakeBackend(), accounts=[GH], login_flow=real_flow)
    with use_keyring(keyring.backends.fail.Keyring()):
        async with app.run_test(size=(120, 35)) as pilot:
            await pilot.pause()
            await pilot.press("L")
            await wait_until(lambda: "no usable OS keyring" in shown(app), "the keyring notice")
            await pilot.press("down", "enter")  # token
            await pilot.pause()
            await type_text(pilot, token)
            await pilot.press("enter")
            await wait_until(lambda: "where should the login go" in shown(app), "the choices")
            assert made == []  # nothing started yet
            await pilot.press("down", "enter")  # env: how
            await pilot.pause()
            assert "$GH_TOKEN or $GITHUB_TOKEN" in shown(app) and made == []
            await pilot.press("up", "enter")  # session
            await wait_until(lambda: not isinstance(app.screen, LoginScreen), "the login")
            assert len(made) == 1 and isinstance(made[0].store, SessionOnlyStore)
            assert token not in shown(app)
        credential = await KeyringCredentialProvider([GH]).get("gh")
    # the user the login named; this process's alone (never recorded for other processes)
    assert credential == Credential(token, who="octo", local=True)


class WaitingFlow:
    """A device flow that shows its code and waits for approval until cancelled."""

    URL = "https://github.com/login/device?" + "&".join(f"p{i}=v{i}" for i in range(20))

    def __init__(self) -> None:
        self.calls = 0
        self.cancelled = asyncio.Event()

    def __call__(self, account: AccountConfig, method: str, token: str | None) -> WaitingFlow:
        self.calls += 1
        return self

    async def run(self) -> Any:
        yield DeviceCodeShown("ABCD-1234", self.URL, 900)
        await self.cancelled.wait()
        yield LoginFailed("login cancelled")

    def cancel(self) -> None:
        self.cancelled.set()


@pytest.mark.parametrize(("keymap", "key"), [({}, "c"), ({"login-copy-url": "w"}, "w")])
async def test_enter_twice_starts_one_device_flow_and_c_copies_the_one_line_url(
    keymap: dict[str, str], key: str
) -> None:
    flow = WaitingFlow()
    app = make_app(FakeBackend(), accounts=[GH], login_flow=flow, keymap=keymap)
    copied: list[str] = []
    app.copy_to_clipboard = copied.append  # type: ignore[method-assign,assignment]
    app.open_url = lambda url, **_: None  # type: ignore[method-assign]
    async with app.run_test(size=(100, 35)) as pilot:
        await pilot.pause()
        await pilot.press("L", "enter", "enter")  # gh preselected; device, twice
        await wait_until(lambda: "ABCD-1234" in shown(app), "the device code")
        await pilot.press("enter")
        await pilot.pause()
        assert flow.calls == 1
        url = app.screen.query_one("#login-url", Static)
        assert url.region.height == 1 and len(WaitingFlow.URL) > url.region.width
        # what the key copies, under its key now: "(c copies it)" after the code read as
        # the code, and a remapped key was still called c
        assert f"({key} copies the address)" in shown(app)
        await pilot.press(key)
        assert copied == [WaitingFlow.URL]
        assert "copied the login URL" in notes(app)
        await pilot.press("escape")
        assert flow.cancelled.is_set()


async def test_welcome_i_asks_for_init() -> None:
    app = make_app(FakeBackend(sections=()))
    async with app.run_test() as pilot:
        await pilot.pause()
        assert "to write a starter config" in shown(app)
        await pilot.press("i")
    assert app.return_value == "init"


async def test_the_screen_says_which_login_is_in_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GH_TOKEN", fake_token())
    app = make_app(FakeBackend(), accounts=[GH, SLACK], login_flow=ScriptedFlow())
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.pause()
        app.action_login("gh")
        await wait_until(lambda: "gh uses $GH_TOKEN now" in shown(app), "the source")
        await pilot.press("escape")
        app.action_login("slack")
        await wait_until(lambda: "slack has no login yet" in shown(app), "no source")


async def test_a_refused_token_from_the_environment_is_named_not_login_again() -> None:
    """A token from an environment variable beats any login: the notice names the variable,
    never "press L to log in again" (a login would change nothing)."""
    backend = FakeBackend()
    app = make_app(backend, accounts=[GH, SLACK])
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.pause()
        section = backend.sections[0]  # prs, account gh
        said = "the token in $GH_TOKEN was refused (401); set a working one there"
        refused = Freshness(FreshnessState.CACHED, FROZEN_NOW - 60, said, AUTH)
        backend.publish(backend._section_event(section, Snapshot([], refused)))
        await pilot.pause()
        assert [n for n in notes(app) if n.startswith("gh: ")] == [f"gh: {said}"]

"""Pilot tests over the REAL stack (the simulator on a loopback port, the engine wired as the
dashboard wires it, real SQLite, the keyring in memory): a login made in the login screen is
used at once, without a restart.

- Jira 3LO: the account had no login; after the browser login its pane fills (the engine
  builds the account again at /ex/jira/{cloudid}: the simulator, as Atlassian, refuses the
  3LO token at the site URL);
- GitHub: a pasted token replaces the one in use: every later request carries it;
- "Log out: ACCOUNT" in the palette: the panes say "not logged in" at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from msgspec.structs import replace

from tests.unit.auth.browser_double import FakeBrowser
from tests.unit.auth.memory_keyring import MemoryKeyring, memory_keyring
from tools.demo_stack import DemoStack, all_live, demo_stack, pane_titles, wait_until
from zen_tui.auth.keyring_store import KeyringCredentialStore, StoredCredential
from zen_tui.models import FreshnessState, Issue, url_of
from zen_tui.sync.engine import SyncEngine
from zen_tui.ui.app import ZenApp
from zen_tui.ui.screens.login import LoginScreen
from zen_tui.ui.screens.modals import ConfirmModal
from zen_tui.ui.widgets.pane import ItemPane
from zen_tui.wiring import build_local, connect

from .conftest import WaitForWorkers, palette, type_text

__all__ = ["memory_keyring"]
pytestmark = pytest.mark.timeout(60)
WIDE = (140, 40)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[DemoStack]:
    with demo_stack(tmp_path, seed=3, size=120) as s:
        yield s


def without_token(stack: DemoStack, service: str) -> str:
    """The service's account with no token in the config (its login: the keyring)."""
    accounts = [
        replace(a, token=None) if a.service == service else a for a in stack.settings.accounts
    ]
    stack.settings = replace(stack.settings, accounts=accounts)
    return next(a.name for a in accounts if a.service == service)


def as_the_dashboard(stack: DemoStack) -> SyncEngine:
    """`zen-tui` wires it so (commands/dashboard.py): the store first, the network at start."""
    wired = build_local(stack.settings)
    return SyncEngine(wired, connect=partial(connect, wired))


def issues_of(app: ZenApp, account: str) -> list[Issue]:
    """The account's issues the Issues pane holds live (its sections are tabs: the one on
    show may be another account's)."""
    pane = app.screen.query_one("#pane-issues", ItemPane)
    mine = [s.id for s in pane.sections if s.account == account]
    live = [pane.snapshots[s] for s in mine if s in pane.snapshots]
    return [
        i
        for snap in live
        if snap.freshness.state is FreshnessState.LIVE
        for i in snap.items
        if isinstance(i, Issue)
    ]


async def test_a_jira_3lo_login_in_the_dashboard_fills_its_pane(
    stack: DemoStack, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BROWSER", "true")  # a GUI browser exists: the screen opens the URL
    name = without_token(stack, "jira")
    browser = FakeBrowser()
    app = stack.app(as_the_dashboard(stack))
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: pane_titles(app).get("prs", "").endswith("live"), "GitHub")
        await wait_until(lambda: "jira: not logged in" in notes(app), "the login notice")
        assert not issues_of(app, name)

        def open_url(url: str, new_tab: bool = True) -> None:  # the user's browser, approving
            threading.Thread(target=browser, args=(url,), daemon=True).start()

        app.open_url = open_url  # type: ignore[method-assign]
        app.action_login(name)
        await wait_until(lambda: isinstance(app.screen, LoginScreen), "the login screen")
        await pilot.pause()
        await pilot.press("enter")  # oauth (3LO), the default
        await wait_until(lambda: not isinstance(app.screen, LoginScreen), "the login to finish")
        await wait_until(lambda: bool(issues_of(app, name)), "the Jira issues to show")
        await wait_until(lambda: all_live(app), "every pane to go live")
        stored = await KeyringCredentialStore().load(name)
        assert stored is not None and stored.method == "oauth" and stored.base_url
        assert "/ex/jira/" in stored.base_url
        assert stored.token not in app.export_screenshot()
        whole = [app.backend.full_item(i) for i in issues_of(app, name)]  # rows: URLs stored
        assert all("/ex/jira/" not in url_of(i) for i in whole)  # links: the site


async def test_a_pasted_github_token_replaces_the_one_in_use(
    stack: DemoStack, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = without_token(stack, "github")
    github: Any = stack.sim.world.services["github"]  # the simulated GitHub, for setup
    await KeyringCredentialStore().save(name, StoredCredential(github.token))
    new_token = "fake-token-pasted-in-the-dashboard"
    github.extra_tokens.add(new_token)  # valid for the same user, as a new login's token
    seen: list[str | None] = []  # the token of each request the simulator answers

    def accepts(token: str | None, check: Callable[[str | None], bool] = github.accepts) -> bool:
        seen.append(token)
        return check(token)

    monkeypatch.setattr(github, "accepts", accepts)
    engine = as_the_dashboard(stack)
    app = stack.app(engine)
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: all_live(app), "every pane to go live")
        assert set(seen) == {github.token}
        before = engine.store.login_state(name)
        app.action_login(name)
        await wait_until(lambda: isinstance(app.screen, LoginScreen), "the login screen")
        await pilot.pause()
        await pilot.press("down", "enter")  # the token method
        await type_text(pilot, new_token)
        await pilot.press("enter")
        await wait_until(lambda: not isinstance(app.screen, LoginScreen), "the login")
        await wait_until(lambda: new_token in seen, "a request with the new token")
        await wait_until(lambda: all_live(app), "every pane to go live again")
        mark = len(seen)
        await pilot.press("R")  # refresh the focused section (GitHub's PRs) now
        await wait_until(lambda: len(seen) > mark, "GitHub requests after it")
        assert set(seen[mark:]) == {new_token}, "the new token only"
        assert new_token not in app.export_screenshot()
        # Every other running zen-tui sees the new login by the record's generation, bumped
        # once (on main: not at all), even if the fingerprint (the user) stayed the same
        after = engine.store.login_state(name)
        assert before is not None and after is not None and after[1] == before[1] + 1
        assert engine.changed_logins() == []  # its own login: never taken again


def notes(app: ZenApp) -> str:
    return "\n".join(n.message for n in app._notifications)


async def test_log_out_in_the_palette_takes_effect_at_once(
    stack: DemoStack, memory_keyring: MemoryKeyring, wait_for_workers: WaitForWorkers
) -> None:
    """ "Log out: ACCOUNT" (after a yes) deletes the stored token and builds the account again
    without it: its panes say "not logged in" now, and `L` logs in again."""
    name = without_token(stack, "github")
    store = KeyringCredentialStore()
    await store.save(name, StoredCredential(stack.sim.account("github").token))
    engine = as_the_dashboard(stack)
    app = stack.app(engine)
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: all_live(app), "every pane to go live")
        before = engine.store.login_state(name)
        await palette(pilot, f"Log out: {name}")
        await wait_for_workers(pilot)  # the palette's search
        await pilot.press("enter")
        await wait_until(lambda: isinstance(app.screen, ConfirmModal), "the question")
        assert app.screen.question.startswith(f"Log out of {name}?")  # type: ignore[attr-defined]
        await pilot.press("y")
        await wait_until(lambda: f"logged out of {name}" in notes(app), "the notice")
        await wait_until(lambda: f"{name}: not logged in" in notes(app), "the panes to say so")
        assert await store.load(name) is None
        assert not pane_titles(app)["prs"].endswith("live")
        assert before is not None  # recorded once for the other processes: logged out
        assert engine.store.login_state(name) == ("", before[1] + 1)


async def test_log_out_without_a_keyring_says_which_login_goes_on(
    stack: DemoStack, wait_for_workers: WaitForWorkers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seen from a terminal on a machine without a keyring, the token in `token_env`: "Log
    out: gh" said only "could not log out ...: ... or set `token_env` ... and export the
    token" (both done already), never that the account goes on using the variable."""
    import keyring
    import keyring.backends.fail

    token = stack.sim.account("github").token
    monkeypatch.setenv("ZEN_T_GH", token)
    accounts = [
        replace(a, token=None, token_env="ZEN_T_GH") if a.service == "github" else a
        for a in stack.settings.accounts
    ]
    stack.settings = replace(stack.settings, accounts=accounts)
    name = next(a.name for a in accounts if a.service == "github")
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        app = stack.app(as_the_dashboard(stack))
        async with app.run_test(size=WIDE) as pilot:
            await wait_until(lambda: all_live(app), "every pane to go live")
            await palette(pilot, f"Log out: {name}")
            await wait_for_workers(pilot)
            await pilot.press("enter")
            await wait_until(lambda: isinstance(app.screen, ConfirmModal), "the question")
            await pilot.press("y")
            await wait_until(lambda: f"could not log out of {name}" in notes(app), "the notice")
            await wait_until(lambda: "still uses $ZEN_T_GH" in notes(app), "the login in use")
            assert token not in notes(app)
    finally:
        keyring.set_keyring(previous)

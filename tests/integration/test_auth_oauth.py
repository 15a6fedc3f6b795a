"""Loopback-redirect OAuth against the simulator: Slack (PKCE) and Atlassian 3LO, with the test
acting as the browser; refresh-token rotation persisted in the (real-API) keyring."""

from __future__ import annotations

import dataclasses
import secrets
from pathlib import Path

import httpx
import msgspec
import pytest

from tests.helpers import files_holding
from tests.unit.auth.browser_double import FakeBrowser, sim_account
from tests.unit.auth.memory_keyring import MemoryKeyring, memory_keyring
from zen_tui.auth.endpoints import oauth_app
from zen_tui.auth.identity import whoami
from zen_tui.auth.keyring_store import KeyringCredentialStore, StoredCredential
from zen_tui.auth.login import LoginFlow
from zen_tui.auth.oauth import OAuthTokens, SlackOAuthFlow
from zen_tui.auth.pkce import Pkce
from zen_tui.auth.provider import KeyringCredentialProvider, effective_base_url
from zen_tui.auth.states import LoggedIn, LoginFailed, WaitingForBrowser
from zen_tui.gateway import Gateway
from zen_tui.gateway.clock import FakeClock
from zen_tui.gateway.credentials import Credential
from zen_tui.gateway.settings import default_settings
from zen_tui.logs import setup_logging, shutdown_logging
from zen_tui.simulator.server import SimulatorServer

__all__ = ["memory_keyring"]


async def login(
    sim: SimulatorServer, service: str, browser: FakeBrowser, wait: float = 10
) -> list[object]:
    flow = LoginFlow(sim_account(sim, service), "oauth", open_browser=browser, wait=wait)
    return [state async for state in flow.run()]


async def stored(account: str) -> StoredCredential:
    blob = await KeyringCredentialStore().load(account)
    assert blob is not None
    return blob


async def test_slack_pkce_login(sim: SimulatorServer, memory_keyring: MemoryKeyring) -> None:
    browser = FakeBrowser()
    states = await login(sim, "slack", browser)
    waiting = states[0]
    assert isinstance(waiting, WaitingForBrowser) and waiting.browser_opened
    assert (
        "code_challenge_method=S256" in waiting.url
        and "redirect_uri=http%3A%2F%2F127.0.0.1%3A" in waiting.url
    )
    assert browser.callback is not None and "close this tab" in browser.callback.text
    assert isinstance(states[-1], LoggedIn) and states[-1].username
    blob = await stored("slack")
    assert blob.token.startswith("xoxe.xoxp-1-") and blob.method == "oauth"  # rotating
    assert blob.refresh_token and blob.expires_at  # PKCE installs rotate


async def test_forged_state_stops_before_any_token_exchange(
    sim: SimulatorServer, memory_keyring: MemoryKeyring
) -> None:
    browser = FakeBrowser(forge_state=True)
    states = await login(sim, "slack", browser, wait=1)
    assert browser.callback is not None and browser.callback.status_code == 400
    assert isinstance(states[-1], LoginFailed) and "no answer from the browser" in states[-1].reason
    codes = sim.world.services["slack"].oauth.consent.codes
    assert codes and not any(grant.used for grant in codes.values())
    assert memory_keyring.entries == {}


async def test_a_forged_redirect_does_not_abort_the_login_in_progress(
    sim: SimulatorServer, memory_keyring: MemoryKeyring
) -> None:
    browser = FakeBrowser(forge_first=True)
    states = await login(sim, "slack", browser)
    assert browser.forged is not None and browser.forged.status_code == 400
    assert isinstance(states[-1], LoggedIn), states[-1]
    assert (await stored("slack")).token.startswith("xoxe.xoxp-1-")


async def test_denied_in_the_browser(sim: SimulatorServer, memory_keyring: MemoryKeyring) -> None:
    states = await login(sim, "jira", FakeBrowser(decision="deny"))
    assert isinstance(states[-1], LoginFailed) and "denied" in states[-1].reason


async def test_a_wrong_pkce_verifier_is_refused_by_slack(sim: SimulatorServer) -> None:
    base = sim.account("slack").base_url
    async with httpx.AsyncClient() as http:
        flow = SlackOAuthFlow(
            base_url=base, app=oauth_app("slack", base), http=http, open_browser=FakeBrowser()
        )
        steps = []
        async for step in flow.run():
            steps.append(step)
            flow.pkce = Pkce()  # after authorize: the exchange sends another verifier
    assert not any(isinstance(s, OAuthTokens) for s in steps)
    assert isinstance(steps[-1], LoginFailed) and "invalid_code_verifier" in steps[-1].reason


async def test_atlassian_3lo_finds_the_cloud_and_rotation_is_persisted(
    sim: SimulatorServer, memory_keyring: MemoryKeyring
) -> None:
    jira = sim.world.services["jira"]
    email = sim.account("jira").username
    states = await login(sim, "jira", FakeBrowser())
    assert states[-1] == LoggedIn("jira", email)
    first = await stored("jira")
    assert first.cloud_id == jira.cloud_id
    assert first.base_url == f"{sim.root_url}/jira/ex/jira/{jira.cloud_id}"
    assert first.refresh_token and first.basic_username is None

    provider = KeyringCredentialProvider([sim_account(sim, "jira")])
    assert await provider.get("jira") == Credential(  # with the base it works at
        first.token, expires_at=first.expires_at, who=first.login, base_url=first.base_url
    )
    fresh = await provider.refresh("jira")
    second = await stored("jira")
    assert fresh == Credential(
        second.token, expires_at=second.expires_at, who=second.login, base_url=first.base_url
    )
    assert second.token != first.token
    assert second.refresh_token not in (None, first.refresh_token)

    app = oauth_app("jira", sim.account("jira").base_url)
    async with httpx.AsyncClient() as http:
        reuse = await http.post(
            f"{sim.root_url}/jira/oauth/token",
            json={
                "grant_type": "refresh_token",
                "client_id": app.client_id,
                "client_secret": app.client_secret,
                "refresh_token": first.refresh_token,
            },
        )
    assert reuse.status_code == 403 and reuse.json()["error"] == "invalid_grant"
    assert await whoami("jira", "jira", second.base_url or "", Credential(second.token)) == email
    assert await provider.refresh("jira") is not None  # the saved new refresh token works


async def test_atlassian_3lo_picks_the_configured_site_whatever_the_order(
    sim: SimulatorServer, memory_keyring: MemoryKeyring
) -> None:
    """accessible-resources lists every granted site in no meaningful order: the login takes
    the one whose URL is the account's base_url, not the first."""
    jira = sim.world.services["jira"]
    jira.oauth.other_sites = [("0ther-c10ud", "elsewhere", "https://elsewhere.atlassian.net")]
    assert isinstance((await login(sim, "jira", FakeBrowser()))[-1], LoggedIn)
    chosen = await stored("jira")
    assert chosen.cloud_id == jira.cloud_id
    assert chosen.base_url == f"{sim.root_url}/jira/ex/jira/{jira.cloud_id}"


async def test_atlassian_3lo_without_the_configured_site_says_which_it_grants(
    sim: SimulatorServer, memory_keyring: MemoryKeyring
) -> None:
    jira = sim.world.services["jira"]
    jira.oauth.other_sites = [("0ther-c10ud", "elsewhere", "https://elsewhere.atlassian.net")]
    jira.oauth.grant_own_site = False  # the user approved another site only
    states = await login(sim, "jira", FakeBrowser())
    host = sim.root_url.split("://")[1]
    assert states[-1] == LoginFailed(
        f"this Atlassian login grants elsewhere.atlassian.net, not {host}: "
        f"choose {host} on the consent page, or set base_url to one of those"
    )
    assert await KeyringCredentialStore().load("jira") is None  # nothing half-saved


async def test_slack_refresh_rotates_too(
    sim: SimulatorServer, memory_keyring: MemoryKeyring
) -> None:
    await login(sim, "slack", FakeBrowser())
    first = await stored("slack")
    provider = KeyringCredentialProvider([sim_account(sim, "slack")])
    await provider.get("slack")
    assert await provider.refresh("slack") is not None
    second = await stored("slack")
    assert second.token != first.token and second.refresh_token != first.refresh_token
    base = sim.account("slack").base_url
    async with httpx.AsyncClient() as http:
        reuse = await http.post(
            f"{base}/oauth.v2.access",
            data={"grant_type": "refresh_token", "refresh_token": first.refresh_token or ""},
        )
    assert reuse.json() == {"ok": False, "error": "invalid_refresh_token"}
    assert await whoami("slack", "slack", base, Credential(second.token))


async def test_no_token_reaches_the_log_file(
    sim: SimulatorServer,
    memory_keyring: MemoryKeyring,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client_secret = "atl-client-" + secrets.token_urlsafe(24)  # the app's OAuth client secret
    monkeypatch.setenv("ZEN_ATLASSIAN_CLIENT_SECRET", client_secret)
    setup_logging(tmp_path, "DEBUG")
    try:
        await login(sim, "jira", FakeBrowser())
        first = await stored("jira")
        provider = KeyringCredentialProvider([sim_account(sim, "jira")])
        await provider.get("jira")
        await provider.refresh("jira")
        second = await stored("jira")
    finally:
        shutdown_logging()
    text = "".join(p.read_text() for p in (tmp_path / "logs").glob("zen-tui.log*"))
    assert "logged in to jira" in text and "refreshed the jira token" in text
    for secret in (first.token, first.refresh_token, second.token, second.refresh_token):
        assert secret and secret not in text
    assert client_secret not in text
    assert files_holding(tmp_path, [client_secret]) == []


async def test_no_rotated_slack_token_reaches_the_log(
    sim: SimulatorServer, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    """Slack's rotating tokens (`xoxe.xoxp-1-…`, refresh `xoxe-1-…`) through a login, a
    refresh and a refresh Slack refuses (a stale copy's spent refresh token), logged at
    DEBUG: none of them in any file, the refusal's code in the log."""
    setup_logging(tmp_path, "DEBUG")
    try:
        await login(sim, "slack", FakeBrowser())
        first = await stored("slack")
        provider = KeyringCredentialProvider([sim_account(sim, "slack")])
        await provider.get("slack")
        await provider.refresh("slack")
        second = await stored("slack")
        stale = msgspec.structs.replace(first, expires_at=0.0)  # another process's old copy
        await KeyringCredentialStore().save("slack", stale)
        assert await provider.refresh("slack") is None
    finally:
        shutdown_logging()
    assert first.token.startswith("xoxe.xoxp-1-") and second.token.startswith("xoxe.xoxp-1-")
    assert first.refresh_token and first.refresh_token.startswith("xoxe-1-")
    text = "".join(p.read_text() for p in (tmp_path / "logs").glob("zen-tui.log*"))
    assert "refreshed the slack token" in text and "invalid_refresh_token" in text
    tokens = (first.token, first.refresh_token, second.token, second.refresh_token)
    assert files_holding(tmp_path, tokens) == []


async def test_cancel_while_waiting_for_the_browser(sim: SimulatorServer) -> None:
    flow = LoginFlow(sim_account(sim, "slack"), "oauth", open_browser=None, wait=30)
    states = []
    async for state in flow.run():
        states.append(state)
        if isinstance(state, WaitingForBrowser):
            assert not state.browser_opened
            flow.cancel()
    assert states[-1] == LoginFailed("login cancelled")
    redirect = httpx.URL(states[0].url).params["redirect_uri"]
    async with httpx.AsyncClient() as http:
        with pytest.raises(httpx.ConnectError):  # the listener is gone
            await http.get(redirect, params={"state": "x", "code": "y"})


async def test_gateway_refreshes_an_expired_3lo_token_on_401(
    sim: SimulatorServer, memory_keyring: MemoryKeyring
) -> None:
    await login(sim, "jira", FakeBrowser())
    first = await stored("jira")
    account = sim_account(sim, "jira")
    gateway = Gateway(
        account="jira",
        service="jira",
        base_url=effective_base_url(account),
        settings=default_settings("jira"),
        credentials=KeyringCredentialProvider([account]),
    )
    try:
        assert (await gateway.request("GET", "/rest/api/3/myself")).status == 200
        oauth = sim.world.services["jira"].oauth
        oauth.access[first.token] = (0.0, oauth.access[first.token][1])  # revoked/expired
        me = await gateway.request("GET", "/rest/api/3/myself")
    finally:
        await gateway.aclose()
    assert me.status == 200 and me.json()["emailAddress"] == sim.account("jira").username
    second = await stored("jira")
    assert second.token != first.token and second.refresh_token != first.refresh_token
    assert not oauth.valid(first.token) and oauth.valid(second.token)


async def test_gateway_refreshes_a_slack_token_before_it_expires(
    sim: SimulatorServer, memory_keyring: MemoryKeyring
) -> None:
    """Slack says an expired rotating token with HTTP 200 `token_expired`, never a 401: the
    gateway must renew it from the expiry the login stated, or the user logs in every 12 h."""
    await login(sim, "slack", FakeBrowser())
    first = await stored("slack")
    assert first.expires_at is not None
    clock = FakeClock(start=first.expires_at - 3600)
    gateway = slack_gateway(sim, clock)
    slack = sim.world.services["slack"]
    try:
        assert (await gateway.request("GET", "/auth.test")).json()["ok"] is True
        with sim.world.lock:  # the token lapses on Slack's side at the stated time
            info = slack.tokens[first.token]
            slack.tokens[first.token] = dataclasses.replace(info, expires_at=0.0)
        clock.advance(3600)
        me = (await gateway.request("GET", "/auth.test")).json()
    finally:
        await gateway.aclose()
    assert me["ok"] is True, me
    second = await stored("slack")
    assert second.token != first.token and second.refresh_token != first.refresh_token


def slack_gateway(sim: SimulatorServer, clock: FakeClock) -> Gateway:
    account = sim_account(sim, "slack")
    return Gateway(
        account="slack",
        service="slack",
        base_url=effective_base_url(account),
        settings=default_settings("slack"),
        credentials=KeyringCredentialProvider([account], now=clock.time),
        clock=clock,
    )


def lapse_early(sim: SimulatorServer, token: str) -> None:
    """Slack stops taking the token long before the expiry its login stated (revoked or
    rotated elsewhere, a skewed clock): it answers HTTP 200 ok:false token_expired."""
    slack = sim.world.services["slack"]
    with sim.world.lock:
        slack.tokens[token] = dataclasses.replace(slack.tokens[token], expires_at=0.0)


def refreshes(sim: SimulatorServer) -> int:
    counts = sim.world.counters.snapshot()["requests"]
    return sum(c["count"] for c in counts if "oauth.v2.access" in c["endpoint"])


async def test_a_slack_token_refused_before_its_stated_expiry_is_refreshed_once(
    sim: SimulatorServer, memory_keyring: MemoryKeyring
) -> None:
    """No refresh was due by the clock (an hour left), yet Slack says token_expired: the
    gateway refreshes once and sends the call again, instead of asking for a login."""
    await login(sim, "slack", FakeBrowser())
    first = await stored("slack")
    assert first.expires_at is not None
    clock = FakeClock(start=first.expires_at - 3600)  # not near the stated expiry
    gateway = slack_gateway(sim, clock)
    try:
        assert (await gateway.request("GET", "/auth.test")).json()["ok"] is True
        lapse_early(sim, first.token)
        before = refreshes(sim)
        me = (await gateway.request("GET", "/auth.test")).json()
        again = (await gateway.request("GET", "/auth.test")).json()
    finally:
        await gateway.aclose()
    assert me["ok"] is True and again["ok"] is True, me
    assert refreshes(sim) - before == 1
    second = await stored("slack")
    assert second.token != first.token and second.refresh_token != first.refresh_token


async def test_a_refused_slack_token_asks_for_a_login_only_after_its_refresh_failed(
    sim: SimulatorServer, memory_keyring: MemoryKeyring
) -> None:
    """The refresh token was spent elsewhere too: one refresh is tried (once for this
    token, not at every call), then the client says to log in again."""
    from zen_tui.gateway.errors import AuthExpired
    from zen_tui.services.slack import SlackClient

    await login(sim, "slack", FakeBrowser())
    first = await stored("slack")
    assert first.expires_at is not None and first.refresh_token
    clock = FakeClock(start=first.expires_at - 3600)
    gateway = slack_gateway(sim, clock)
    client = SlackClient(sim_account(sim, "slack"), gateway, clock=clock)  # type: ignore[arg-type]
    slack = sim.world.services["slack"]
    try:
        lapse_early(sim, first.token)
        with sim.world.lock:  # rotated by another install: this refresh token is spent
            slack.oauth.refresh.pop(first.refresh_token)
        before = refreshes(sim)
        for _ in range(2):
            with pytest.raises(AuthExpired, match="token_expired; log in to the workspace"):
                await client.call("auth.test")
    finally:
        await gateway.aclose()
    assert refreshes(sim) - before == 1

"""A login that cannot be read now (LoginUnreadable: the keyring is locked, has no D-Bus, or
timed out) is not a logout: the gateway drops none of the account's cached answers and tells
the store no login change (which would delete its saved sections and hold its queued
actions). "Not logged in" (AuthExpired) still does. LoginUnreadable is an AuthExpired, so the
gateway must check it first; once the keyring answers, the same gateway learns the login."""

from __future__ import annotations

import httpx
import pytest

from zen_tui.auth.keyring_store import HEADLESS_HELP, KeyringUnavailable
from zen_tui.config import AccountConfig
from zen_tui.gateway import FakeClock
from zen_tui.gateway.credentials import Credential
from zen_tui.gateway.errors import AuthExpired, LoginUnreadable
from zen_tui.gateway.gateway import NO_LOGIN_HOLD
from zen_tui.wiring import LoginRequired

from .conftest import BASE, TOKEN, GatewayFactory
from .test_local_login import Recording

ACCOUNT = AccountConfig(name="github:me", service="github", base_url="https://api.github.com")


class Keyring:
    """The keyring provider's side: locked (KeyringUnavailable, as the provider turns it into
    LoginUnreadable), empty (None) or holding a login."""

    def __init__(self) -> None:
        self.state = "locked"

    async def get(self, account: str) -> Credential | None:
        if self.state == "locked":
            raise LoginUnreadable(service="github", account=account, message=HEADLESS_HELP)
        return Credential(TOKEN, who="ada") if self.state == "open" else None

    async def refresh(self, account: str) -> Credential | None:
        return None


class Dropping(Recording):
    def __init__(self) -> None:
        super().__init__()
        self.dropped: list[tuple[str, str | None]] = []

    def keep_only(self, account: str, owner: str | None, *, local: bool = False) -> None:
        self.dropped.append((account, owner))


async def test_an_unreadable_login_drops_nothing_and_a_readable_one_is_learnt_later(
    make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    keyring, store = Keyring(), Dropping()
    chain = LoginRequired([ACCOUNT], keyring)
    gateway = make_gateway(credentials=chain, persistent_cache=store)
    for _ in range(3):
        assert await gateway.login() is None
        with pytest.raises(LoginUnreadable, match="cannot read the login") as caught:
            await gateway.request("GET", "/user/repos", cache_type="listing")
        assert HEADLESS_HELP in str(caught.value)
    assert store.dropped == [] and store.logins == []  # on main: everything dropped
    assert not gateway.read_late

    keyring.state = "open"  # unlocked: the same gateway learns the login after the hold
    clock.advance(NO_LOGIN_HOLD + 0.01)
    user = await gateway.login()
    assert user is not None
    assert store.logins == [("github:me", user)]
    assert len(store.dropped) == 1 and store.dropped[0][1] is not None  # only older logins'
    assert gateway.read_late  # the engine builds it again (a Jira 3LO login's REST base)


async def test_not_logged_in_still_drops_the_accounts_answers(
    make_gateway: GatewayFactory,
) -> None:
    keyring, store = Keyring(), Dropping()
    keyring.state = "empty"
    gateway = make_gateway(credentials=LoginRequired([ACCOUNT], keyring), persistent_cache=store)
    assert await gateway.login() is None
    with pytest.raises(AuthExpired, match="not logged in") as caught:
        await gateway.request("GET", "/user/repos")
    assert not isinstance(caught.value, LoginUnreadable)
    assert store.dropped == [("github:me", None)] and store.logins == [("github:me", None)]
    assert not gateway.read_late


async def test_the_keyring_providers_failure_reaches_the_gateway_as_unreadable() -> None:
    """KeyringUnavailable from the store -> the provider -> LoginRequired: LoginUnreadable,
    its one line saying the keyring could not be read and what to do."""
    from zen_tui.auth.keyring_store import KeyringCredentialStore
    from zen_tui.auth.provider import KeyringCredentialProvider

    class LockedStore(KeyringCredentialStore):
        async def load(self, account: str) -> None:
            raise KeyringUnavailable(f"the OS keyring failed (KeyringLocked); {HEADLESS_HELP}")

    chain = LoginRequired([ACCOUNT], KeyringCredentialProvider([ACCOUNT], store=LockedStore()))
    with pytest.raises(LoginUnreadable) as caught:
        await chain.get(ACCOUNT.name)
    line = str(caught.value)
    assert (
        line.startswith("github: cannot read the login: the OS keyring failed") and "\n" not in line
    )
    assert HEADLESS_HELP in line


async def test_an_empty_token_env_is_named_beside_the_unreadable_keyring(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`token_env` set in the config, its variable empty (a failed `$(pass …)`): the keyring
    is asked next and cannot be read. Its advice alone ("or set `token_env` … and export the
    token") would send the user to what they already did: the line names the empty variable."""
    from zen_tui.auth.keyring_store import KeyringCredentialStore
    from zen_tui.auth.provider import KeyringCredentialProvider

    class LockedStore(KeyringCredentialStore):
        async def load(self, account: str) -> None:
            raise KeyringUnavailable(HEADLESS_HELP)

    monkeypatch.setenv("ZEN_TEST_GH_TOKEN", " ")
    account = AccountConfig(
        name="gh", service="github", base_url=ACCOUNT.base_url, token_env="ZEN_TEST_GH_TOKEN"
    )
    chain = LoginRequired([account], KeyringCredentialProvider([account], store=LockedStore()))
    with pytest.raises(LoginUnreadable) as caught:
        await chain.get("gh")
    line = str(caught.value)
    assert "$ZEN_TEST_GH_TOKEN (its token_env) is not set or empty; " + HEADLESS_HELP in line


async def test_a_login_for_another_rest_base_is_never_sent_at_this_one(
    make_gateway: GatewayFactory,
) -> None:
    """A Jira 3LO login works at its cloud URL only (Credential.base_url). A gateway built at
    the site URL (its login could not be read at the build) sends nothing with it: no 401 to
    answer with a refresh, which would spend the rotating refresh token. It says the account
    is being set up again (LoginUnreadable: nothing dropped) and asks for that (read_late)."""
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        return httpx.Response(401)

    cloud = "https://api.atlassian.com/ex/jira/c1oud"
    store = Dropping()
    gateway = make_gateway(
        service="jira",
        account="jira:me",
        credential=Credential(TOKEN, who="ada", base_url=cloud),
        handler=handler,
        persistent_cache=store,
    )
    for _ in range(2):
        with pytest.raises(LoginUnreadable, match="setting the account up again") as caught:
            await gateway.request("GET", "/rest/api/3/myself")
        assert TOKEN not in str(caught.value)
    assert sent == []
    assert gateway.read_late
    assert store.logins == [("jira:me", await gateway.login())]  # the login is the account's
    assert all(owner is not None for _, owner in store.dropped)  # never dropped as a logout

    here = make_gateway(  # the same login at its own base: sent as usual
        service="jira",
        account="jira:me",
        credential=Credential(TOKEN, who="ada", base_url=f"{BASE}/"),
        handler=lambda request: httpx.Response(200, json={}),
    )
    assert (await here.request("GET", "/rest/api/3/myself")).status == 200
    assert not here.read_late

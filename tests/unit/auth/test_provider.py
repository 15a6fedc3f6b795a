"""KeyringCredentialProvider: env first, keyring next, refresh grants, rotation saved first."""

from __future__ import annotations

import asyncio
import json

import httpx
import keyring
import keyring.backends.fail
import keyring.errors
import pytest
from msgspec.structs import replace

from tests.unit.auth.memory_keyring import MemoryKeyring
from zen_tui.auth.keyring_store import KeyringCredentialStore, StoredCredential
from zen_tui.auth.provider import KeyringCredentialProvider, effective_base_url
from zen_tui.config import AccountConfig
from zen_tui.gateway.credentials import Credential
from zen_tui.gateway.errors import LoginUnreadable

NOW = 1_700_000_000.0
JIRA = AccountConfig("jira", "jira", "https://acme.atlassian.net", token_env="ZEN_T_JIRA")
SLACK = AccountConfig("slack", "slack", "https://slack.com/api")
GITHUB = AccountConfig("github", "github", "https://api.github.com")
OLD = StoredCredential(
    "old-access-token-1", "oauth", refresh_token="old-refresh-1", expires_at=NOW + 3600
)


class TokenServer:
    """A token endpoint that rotates: each refresh token works once."""

    def __init__(self) -> None:
        self.calls: list[dict[str, str]] = []
        self.paths: list[str] = []
        self.live = {"old-refresh-1"}
        self.seen_keyring: list[str | None] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content.startswith(b"{") else {}
        if not body:
            body = dict(httpx.QueryParams(request.content.decode()))
        self.calls.append(body)
        self.paths.append(request.url.path)
        if body.get("refresh_token") not in self.live:
            return httpx.Response(403, json={"error": "invalid_grant"})
        self.live.discard(body["refresh_token"])
        n = len(self.calls)
        self.live.add(f"new-refresh-{n}")
        return httpx.Response(
            200,
            json={
                "access_token": f"new-access-token-{n}",
                "refresh_token": f"new-refresh-{n}",
                "expires_in": 3600,
            },
        )


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> TokenServer:
    monkeypatch.setenv("ZEN_ATLASSIAN_CLIENT_ID", "cid")
    monkeypatch.setenv("ZEN_ATLASSIAN_CLIENT_SECRET", "csecret")
    monkeypatch.setenv("ZEN_SLACK_CLIENT_ID", "scid")
    monkeypatch.setenv("ZEN_GITHUB_CLIENT_ID", "Iv1.gh")
    monkeypatch.delenv("ZEN_GITHUB_CLIENT_SECRET", raising=False)
    monkeypatch.delenv("ZEN_T_JIRA", raising=False)
    return TokenServer()


def provider(server: TokenServer, now: float = NOW) -> KeyringCredentialProvider:
    return KeyringCredentialProvider(
        [JIRA, SLACK, GITHUB],
        transport=httpx.MockTransport(server.handler),
        now=lambda: now,
    )


async def test_env_token_beats_the_keyring(
    memory_keyring: MemoryKeyring, server: TokenServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    await KeyringCredentialStore().save("jira", OLD)
    p = provider(server)
    assert await p.get("jira") == Credential("old-access-token-1", expires_at=NOW + 3600)
    monkeypatch.setenv("ZEN_T_JIRA", "env-token-123")
    assert await p.get("jira") == Credential(
        "env-token-123", local=True, env="ZEN_T_JIRA"
    )  # this process's
    assert await p.refresh("jira") is None  # the env token is what the user chose
    assert server.calls == []


async def test_jira_api_token_is_basic_auth(memory_keyring: MemoryKeyring, server: TokenServer):
    await KeyringCredentialStore().save(
        "jira", StoredCredential("ATATT-api-token", "token", basic_username="me@x.com")
    )
    assert await provider(server).get("jira") == Credential("ATATT-api-token", "me@x.com")


async def test_refresh_rotates_and_saves_before_handing_out(
    memory_keyring: MemoryKeyring, server: TokenServer
) -> None:
    store = KeyringCredentialStore()
    await store.save("jira", OLD)
    p = provider(server)
    await p.get("jira")
    fresh = await p.refresh("jira")
    assert fresh == Credential("new-access-token-1", expires_at=NOW + 3600)
    saved = await store.load("jira")
    assert saved is not None
    assert (saved.token, saved.refresh_token) == ("new-access-token-1", "new-refresh-1")
    assert saved.expires_at == NOW + 3600
    assert server.calls[0] == {
        "grant_type": "refresh_token",
        "client_id": "cid",
        "client_secret": "csecret",
        "refresh_token": "old-refresh-1",
    }
    assert memory_keyring.writes == 2  # login + one write for the rotated pair


@pytest.mark.parametrize("replaced_by", ["a login", "a logout"])
async def test_a_refresh_never_saves_over_a_login_made_while_its_grant_ran(
    replaced_by: str, memory_keyring: MemoryKeyring, server: TokenServer
) -> None:
    """The user logs in again (or out) while the refresh grant is on the wire: the refreshed
    pair belongs to the replaced login; saving it would bring that login back over the new
    one that every running zen-tui reads at its login check (on main: it did)."""
    await KeyringCredentialStore().save("jira", OLD)
    new_login = StoredCredential("new-login-token", "oauth", refresh_token="new-login-refresh")
    answer = server.handler

    def meanwhile(request: httpx.Request) -> httpx.Response:
        if replaced_by == "a login":
            memory_keyring.set_password("zen-tui", "jira", new_login.to_json())
        else:
            memory_keyring.delete_password("zen-tui", "jira")
        return answer(request)

    server.handler = meanwhile  # type: ignore[method-assign]
    p = provider(server)
    await p.get("jira")
    fresh = await p.refresh("jira")
    stored = await KeyringCredentialStore().load("jira")
    if replaced_by == "a login":
        assert stored == new_login and fresh is not None and fresh.token == "new-login-token"
    else:
        assert stored is None and fresh is None
    assert len(server.calls) == 1


async def test_concurrent_refreshes_spend_the_refresh_token_once(
    memory_keyring: MemoryKeyring, server: TokenServer
) -> None:
    await KeyringCredentialStore().save("jira", OLD)
    p = provider(server)
    await p.get("jira")
    results = await asyncio.gather(*(p.refresh("jira") for _ in range(3)))
    assert len(server.calls) == 1
    assert {r.token for r in results if r} == {"new-access-token-1"}


async def test_an_expired_token_is_refreshed_on_get(
    memory_keyring: MemoryKeyring, server: TokenServer
) -> None:
    await KeyringCredentialStore().save("slack", OLD)
    p = provider(server, now=NOW + 3590)  # within the skew of the expiry
    assert await p.get("slack") == Credential("new-access-token-1", expires_at=NOW + 7190)
    assert server.calls[0]["grant_type"] == "refresh_token"
    assert server.calls[0]["client_id"] == "scid" and "client_secret" not in server.calls[0]


async def test_refused_refresh_and_no_refresh_token_give_none(
    memory_keyring: MemoryKeyring, server: TokenServer
) -> None:
    store = KeyringCredentialStore()
    await store.save("jira", StoredCredential("a-token-1", "oauth", refresh_token="dead-1"))
    await store.save("github", StoredCredential("gho_token_1", "device"))
    p = provider(server)
    assert await p.refresh("jira") is None
    assert await p.refresh("github") is None
    kept = StoredCredential("a-token-1", "oauth", refresh_token="dead-1")
    assert await store.load("jira") == kept


async def test_no_keyring_becomes_login_unreadable_with_the_fix(server: TokenServer) -> None:
    """Not a plain AuthExpired: a keyring that cannot be read is no logout (the gateway drops
    nothing of the account for it)."""
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        with pytest.raises(LoginUnreadable) as info:
            await provider(server).get("github")
    finally:
        keyring.set_keyring(previous)
    assert "token_env" in str(info.value) and info.value.account == "github"


def test_effective_base_url_follows_a_3lo_login(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ZEN_T_JIRA", raising=False)
    assert effective_base_url(JIRA) == JIRA.base_url  # nothing stored
    rest = "https://api.atlassian.com/ex/jira/c-1"
    keyring.set_password("zen-tui", "jira", StoredCredential("t-123456", base_url=rest).to_json())
    assert effective_base_url(JIRA) == rest
    assert effective_base_url(GITHUB) == GITHUB.base_url
    monkeypatch.setenv("ZEN_T_JIRA", "env-token-123")  # an API token from the env: the site
    assert effective_base_url(JIRA) == JIRA.base_url


async def test_expiring_github_app_tokens_refresh_at_the_oauth_endpoint(
    memory_keyring: MemoryKeyring, server: TokenServer
) -> None:
    await KeyringCredentialStore().save("github", replace(OLD, method="device"))
    p = provider(server)
    await p.get("github")
    assert await p.refresh("github") == Credential("new-access-token-1", expires_at=NOW + 3600)
    assert server.paths == ["/login/oauth/access_token"]
    assert server.calls[0] == {
        "client_id": "Iv1.gh",
        "grant_type": "refresh_token",
        "refresh_token": "old-refresh-1",
    }


async def test_a_rotated_pair_that_cannot_be_saved_is_not_used(
    memory_keyring: MemoryKeyring, server: TokenServer
) -> None:
    await KeyringCredentialStore().save("jira", OLD)
    p = provider(server)
    await p.get("jira")

    def refuse(service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("collection is locked")

    memory_keyring.set_password = refuse  # type: ignore[method-assign]
    with pytest.raises(LoginUnreadable, match="log in again") as info:
        await p.refresh("jira")
    assert len(server.calls) == 1  # the grant ran; its result was never handed out
    assert "new-access-token-1" not in str(info.value)


def test_a_slack_user_tokens_rotation_fields_are_read_beside_it_in_authed_user() -> None:
    """Slack's code exchange: the user token, its refresh token and expiry in authed_user; the
    top-level ones (here a bot's) belong to another token and must not be paired with it."""
    from zen_tui.auth.provider import apply_grant

    start = StoredCredential(token="-", method="oauth")
    body = {
        "ok": True,
        "access_token": "xoxb-bot",
        "token_type": "bot",
        "refresh_token": "bot-refresh",
        "expires_in": 600,
        "authed_user": {
            "id": "U1",
            "access_token": "xoxp-user",
            "token_type": "user",
            "refresh_token": "user-refresh",
            "expires_in": 43200,
        },
    }
    stored = apply_grant(start, body, NOW)
    assert (stored.token, stored.refresh_token, stored.expires_at) == (
        "xoxp-user",
        "user-refresh",
        NOW + 43200,
    )
    # a refresh: the renewed user token at the top level, authed_user holds only the id
    renewed = {
        "ok": True,
        "access_token": "xoxp-user-2",
        "token_type": "user",
        "refresh_token": "user-refresh-2",
        "expires_in": 43200,
        "authed_user": {"id": "U1"},
    }
    again = apply_grant(stored, renewed, NOW + 40000)
    assert (again.token, again.refresh_token, again.expires_at) == (
        "xoxp-user-2",
        "user-refresh-2",
        NOW + 40000 + 43200,
    )


async def test_a_session_only_login_is_handed_out_as_this_process_s_alone(
    memory_keyring: MemoryKeyring,
) -> None:
    """Credential.local: the gateway never records it for other processes (store/logins.py);
    the keyring's login is everyone's. A logout of the session login falls back to it."""
    from zen_tui.auth.keyring_store import SessionOnlyStore

    session: dict[str, StoredCredential] = {}
    store = KeyringCredentialStore(session=session)
    await KeyringCredentialStore(session={}).save("github", StoredCredential("kr", login="me"))
    p = KeyringCredentialProvider([GITHUB], store=store)
    assert await p.get("github") == Credential("kr", who="me")
    await SessionOnlyStore(session=session).save("github", StoredCredential("ss", login="ada"))
    assert await p.get("github") == Credential("ss", who="ada", local=True)
    assert await store.delete("github")  # the session's: the keyring's entry stays
    assert await p.get("github") == Credential("kr", who="me")

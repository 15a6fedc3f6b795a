"""Logging in with what the user already has: the account's token_env, then GH_TOKEN /
GITHUB_TOKEN (GH_ENTERPRISE_TOKEN for GHES), then `gh auth token`, then the keyring; Jira's
JIRA_API_TOKEN with the email, Slack's SLACK_TOKEN. `gh` is a stub script on PATH."""

from __future__ import annotations

import pytest

from tests.unit.auth.gh_stub import fake_token, gh_stub
from tests.unit.auth.memory_keyring import MemoryKeyring
from zen_tui.auth import ambient
from zen_tui.auth.keyring_store import KeyringCredentialStore, StoredCredential
from zen_tui.auth.provider import KeyringCredentialProvider
from zen_tui.auth.status import login_status
from zen_tui.config import AccountConfig
from zen_tui.gateway.credentials import Credential

__all__ = ["gh_stub"]
GITHUB = AccountConfig("gh", "github", "https://api.github.com", token_env="ZEN_T_GH")
GHES = AccountConfig("corp", "github", "https://git.corp.example/api/v3")
JIRA = AccountConfig("work", "jira", "https://acme.atlassian.net", email="me@acme.example")
SLACK = AccountConfig("team", "slack", "https://slack.com/api")
SIM = AccountConfig("sim", "github", "http://127.0.0.1:8765/github")


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZEN_T_GH", raising=False)


async def test_the_documented_order_for_github(
    memory_keyring: MemoryKeyring, gh_stub, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored, from_gh = fake_token("keyring"), fake_token("gh")
    await KeyringCredentialStore().save("gh", StoredCredential(stored, "token"))

    async def seen() -> tuple[Credential | None, str | None]:
        # a new provider each time: the gh answer is cached per provider
        credential = await KeyringCredentialProvider([GITHUB]).get("gh")
        return credential, (await login_status(GITHUB))["source"]

    assert await seen() == (Credential(stored), "keyring")  # not local: every process's
    gh_stub(from_gh)
    assert await seen() == (Credential(from_gh), "gh")  # gh's login is every terminal's too
    # The environment is this process's alone (one terminal's export): local
    github_token = fake_token("github-token")
    monkeypatch.setenv("GITHUB_TOKEN", github_token)
    assert await seen() == (
        Credential(github_token, local=True, env="GITHUB_TOKEN"),
        "env:GITHUB_TOKEN",
    )
    gh_token = fake_token("gh-token")
    monkeypatch.setenv("GH_TOKEN", gh_token)
    assert await seen() == (Credential(gh_token, local=True, env="GH_TOKEN"), "env:GH_TOKEN")
    own = fake_token("own")
    monkeypatch.setenv("ZEN_T_GH", own)
    assert await seen() == (Credential(own, local=True, env="ZEN_T_GH"), "env:ZEN_T_GH")


async def test_gh_is_asked_for_the_enterprise_host(
    memory_keyring: MemoryKeyring, gh_stub, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = fake_token("ghes")
    args = gh_stub(token, host="git.corp.example")
    assert await KeyringCredentialProvider([GHES]).get("corp") == Credential(token)
    assert args.read_text().split() == ["auth", "token", "--hostname", "git.corp.example"]
    monkeypatch.setenv("GH_TOKEN", fake_token("dotcom"))  # github.com's token: not for GHES
    assert await KeyringCredentialProvider([GHES]).get("corp") == Credential(token)
    enterprise = fake_token("enterprise")
    monkeypatch.setenv("GH_ENTERPRISE_TOKEN", enterprise)
    assert await KeyringCredentialProvider([GHES]).get("corp") == Credential(
        enterprise, local=True, env="GH_ENTERPRISE_TOKEN"
    )
    assert (await login_status(GHES))["source"] == "env:GH_ENTERPRISE_TOKEN"


async def test_gh_is_asked_once_per_provider(memory_keyring: MemoryKeyring, gh_stub) -> None:
    args = gh_stub(fake_token("gh"))
    provider = KeyringCredentialProvider([GITHUB])
    first = [await provider.get("gh") for _ in range(5)]
    assert len(set(first)) == 1 and len(args.read_text().splitlines()) == 1


async def test_absent_logged_out_or_slow_gh_falls_through_to_the_keyring(
    memory_keyring: MemoryKeyring, gh_stub, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = fake_token("keyring")
    await KeyringCredentialStore().save("gh", StoredCredential(stored, "token"))
    assert await KeyringCredentialProvider([GITHUB]).get("gh") == Credential(stored)  # no gh
    gh_stub(None)  # gh installed, not logged in
    assert await KeyringCredentialProvider([GITHUB]).get("gh") == Credential(stored)
    gh_stub(fake_token("slow"), sleep=5)
    monkeypatch.setattr(ambient, "GH_TIMEOUT", 0.3)
    assert await KeyringCredentialProvider([GITHUB]).get("gh") == Credential(stored)


async def test_refresh_after_a_401_asks_gh_again_and_only_a_new_token_counts(
    memory_keyring: MemoryKeyring, gh_stub
) -> None:
    first = fake_token("first")
    gh_stub(first)
    provider = KeyringCredentialProvider([GITHUB])
    assert await provider.get("gh") == Credential(first)
    assert await provider.refresh("gh") is None  # the same token again: nothing better
    second = fake_token("second")
    gh_stub(second)  # the user ran `gh auth login` again
    assert await provider.refresh("gh") == Credential(second)


async def test_jira_api_token_needs_the_email_and_slack_token(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    jira, slack = fake_token("jira"), fake_token("slack")
    monkeypatch.setenv("JIRA_API_TOKEN", jira)
    monkeypatch.setenv("SLACK_TOKEN", slack)
    provider = KeyringCredentialProvider([JIRA, SLACK])
    assert await provider.get("work") == Credential(
        jira, "me@acme.example", local=True, env="JIRA_API_TOKEN"
    )
    assert await provider.get("team") == Credential(slack, local=True, env="SLACK_TOKEN")
    assert (await login_status(JIRA))["source"] == "env:JIRA_API_TOKEN"
    assert (await login_status(SLACK))["source"] == "env:SLACK_TOKEN"
    no_email = AccountConfig("work", "jira", "https://acme.atlassian.net")
    assert await KeyringCredentialProvider([no_email]).get("work") is None


async def test_a_simulator_account_never_gets_a_real_token(
    memory_keyring: MemoryKeyring, gh_stub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GH_TOKEN", fake_token("real"))
    args = gh_stub(fake_token("gh"))
    assert await KeyringCredentialProvider([SIM]).get("sim") is None
    assert (await login_status(SIM))["source"] is None
    assert not args.exists()  # gh was not even asked


def test_found_never_shows_the_token() -> None:
    token = fake_token("secret")
    assert token not in repr(ambient.Found("gh", Credential(token)))


def test_login_methods_say_why_they_cannot_work_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """No OAuth app id: the device flow/OAuth is offered with the variable to set, and the
    default becomes the token paste (on main `auth login` went straight to 'login failed')."""
    from zen_tui.auth.login import default_method, method_choices

    for var in ("ZEN_GITHUB_CLIENT_ID", "ZEN_SLACK_CLIENT_ID", "ZEN_ATLASSIAN_CLIENT_ID"):
        monkeypatch.delenv(var, raising=False)
    (device, why), token = method_choices(GITHUB)
    assert device == "device" and why is not None and "ZEN_GITHUB_CLIENT_ID" in why
    assert token == ("token", None) and default_method(GITHUB) == "token"
    assert default_method(SLACK) == "token" and default_method(JIRA) == "token"
    assert default_method(SIM) == "device"  # the simulator has its own app
    monkeypatch.setenv("ZEN_GITHUB_CLIENT_ID", "Iv1.test")
    assert method_choices(GITHUB)[0] == ("device", None) and default_method(GITHUB) == "device"


async def test_existing_tokens_are_masked_in_logs(
    memory_keyring: MemoryKeyring, gh_stub, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zen_tui.logs import redact

    from_env, from_gh = fake_token("env-masked"), fake_token("gh-masked")
    monkeypatch.setenv("SLACK_TOKEN", from_env)
    gh_stub(from_gh)
    assert await KeyringCredentialProvider([SLACK]).get("team") == Credential(
        from_env, local=True, env="SLACK_TOKEN"
    )
    assert await KeyringCredentialProvider([GITHUB]).get("gh") == Credential(from_gh)
    line = f"sent {from_env} and {from_gh}"
    assert from_env not in redact(line) and from_gh not in redact(line)


async def test_a_missing_login_names_every_way_to_provide_one(
    memory_keyring: MemoryKeyring,
) -> None:
    from zen_tui.gateway.errors import AuthExpired
    from zen_tui.wiring import credentials_for

    provider = credentials_for([GITHUB, SIM])
    with pytest.raises(AuthExpired) as missing:
        await provider.get("gh")
    assert missing.value.message == (
        "not logged in: run `zen-tui auth login gh` or set $ZEN_T_GH or $GH_TOKEN or "
        "$GITHUB_TOKEN or run `gh auth login`"
    )
    with pytest.raises(AuthExpired) as simulated:  # the simulator: only its own login
        await provider.get("sim")
    assert simulated.value.message == "not logged in: run `zen-tui auth login sim`"


async def test_env_credential_is_the_one_the_provider_hands_out(
    memory_keyring: MemoryKeyring, gh_stub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ambient.env_credential (read before any keyring or network: the rows of that login
    are read at the first paint) is the credential the provider hands out, local; gh's
    login and the keyring's are not this environment's, nor local."""
    for var in ("GH_TOKEN", "GITHUB_TOKEN", "ZEN_T_GH", "SLACK_TOKEN", "JIRA_API_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    gh_stub(fake_token("gh"))
    assert ambient.env_credential(GITHUB) is None
    from_gh = await KeyringCredentialProvider([GITHUB]).get("gh")
    assert from_gh is not None and not from_gh.local
    for var in ("GH_TOKEN", "ZEN_T_GH"):  # the account's own variable wins
        monkeypatch.setenv(var, fake_token(var))
        ahead = ambient.env_credential(GITHUB)
        assert ahead is not None and ahead.local, var
        assert await KeyringCredentialProvider([GITHUB]).get("gh") == ahead, var
    monkeypatch.setenv("JIRA_API_TOKEN", fake_token("jira"))
    ahead = ambient.env_credential(JIRA)
    assert ahead is not None and ahead.username == "me@acme.example"
    assert await KeyringCredentialProvider([JIRA]).get("work") == ahead
    assert ambient.env_credential(SIM) is None  # the simulator never gets a real token
    demo = AccountConfig("demo", "github", "https://api.github.com", token="demo-token")
    assert ambient.env_credential(demo) is None  # its own token wins over the environment

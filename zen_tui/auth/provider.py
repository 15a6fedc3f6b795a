"""`KeyringCredentialProvider`: the CredentialProvider the gateway uses in production.

get(): the account's `token_env` variable first (it overrides a stored login), then a login
the user already has (GH_TOKEN / GITHUB_TOKEN / GH_ENTERPRISE_TOKEN, `gh auth token`,
JIRA_API_TOKEN, SLACK_TOKEN: see ambient.py), then the keyring.
An expired OAuth token with a refresh token is refreshed before it is handed out.
refresh(): runs the provider's refresh grant; rotating refresh tokens (Atlassian, Slack) are
saved together with the new access token in one keyring write BEFORE the new token is used,
so a crash can never leave only the already-invalidated refresh token behind; never over a
login made while the grant ran. A refresh keeps the login: it bumps no login generation
(store/logins.py), and other processes read the new pair at their next 401 or expiry.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from typing import Any

import httpx
import msgspec

from zen_tui.auth import ambient, grants
from zen_tui.auth.endpoints import (
    AtlassianEndpoints,
    AuthConfigError,
    SlackEndpoints,
    github_root,
    oauth_app,
)
from zen_tui.auth.keyring_store import (
    KeyringCredentialStore,
    KeyringUnavailable,
    StoredCredential,
)
from zen_tui.config import AccountConfig
from zen_tui.gateway.credentials import Credential
from zen_tui.gateway.errors import LoginUnreadable

log = logging.getLogger(__name__)
EXPIRY_SKEW = 60.0  # refresh this many seconds before the stated expiry


class EnvCredentialProvider:
    """Tokens from environment variables: account -> (env var name, username or None)."""

    def __init__(self, mapping: dict[str, tuple[str, str | None]]) -> None:
        self._mapping = dict(mapping)
        self._handed_out: dict[str, Credential] = {}

    async def get(self, account: str) -> Credential | None:
        entry = self._mapping.get(account)
        if entry is None:
            return None
        env_var, username = entry
        token = os.environ.get(env_var, "").strip()
        if not token:
            return None
        # The environment is this process's alone (one terminal's export): what it fetches and
        # queues is kept apart from the keyring's login (Credential.local).
        credential = Credential(token=token, username=username, local=True, env=env_var)
        self._handed_out[account] = credential
        return credential

    async def refresh(self, account: str) -> Credential | None:
        # Only a token that changed since the last get() is worth one more try.
        previous = self._handed_out.get(account)
        current = await self.get(account)
        return current if current is not None and current != previous else None

    def env_var(self, account: str) -> str | None:
        entry = self._mapping.get(account)
        return entry[0] if entry else None


def to_credential(stored: StoredCredential, *, local: bool = False) -> Credential:
    """`local`: a session-only login (Credential.local)."""
    return Credential(
        token=stored.token,
        username=stored.basic_username,
        expires_at=stored.expires_at,
        who=stored.login,
        local=local,
        base_url=stored.base_url,
    )


def apply_grant(stored: StoredCredential, body: dict[str, Any], now: float) -> StoredCredential:
    """The blob after a token response: new access token, rotated refresh token, expiry.

    Slack's code exchange puts a user token in `authed_user` with its own `refresh_token` and
    `expires_in` beside it (the top-level ones belong to the bot token); a refresh answers
    with the renewed token at the top level. Read each token's fields where it sits."""
    user = body.get("authed_user")
    source = user if isinstance(user, dict) and user.get("access_token") else body
    token = source.get("access_token")
    if not isinstance(token, str) or not token:
        raise grants.GrantError("the token response holds no access token")
    expires_in = source.get("expires_in")
    return msgspec.structs.replace(
        stored,
        token=token,
        refresh_token=source.get("refresh_token") or stored.refresh_token,
        expires_at=now + float(expires_in) if isinstance(expires_in, int | float) else None,
        saved_at=now,
    )


class KeyringCredentialProvider:
    def __init__(
        self,
        accounts: list[AccountConfig],
        *,
        store: KeyringCredentialStore | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.accounts = {a.name: a for a in accounts}
        self.store = store or KeyringCredentialStore()
        self.env = EnvCredentialProvider(
            {a.name: (a.token_env, a.email) for a in accounts if a.token_env}
        )
        self._transport = transport
        self._now = now
        self._locks: dict[str, asyncio.Lock] = {}
        self._handed_out: dict[str, str] = {}  # account -> last keyring token given out
        self._gh: dict[str, ambient.Found | None] = {}  # `gh auth token`, asked once
        self._existing: dict[str, ambient.Found | None] = {}  # the existing login last used
        self._gh_lock = asyncio.Lock()

    async def get(self, account: str) -> Credential | None:
        credential = await self.env.get(account)
        if credential is not None:
            return credential
        existing = await self._existing_login(account, fresh=False)
        if existing is not None:
            return existing.credential
        stored = await self._load(account)
        if stored is None:
            return None
        if self._expired(stored) and stored.refresh_token:
            refreshed = await self._refresh_locked(account, stored.token)
            stored = refreshed or stored
        self._handed_out[account] = stored.token
        return to_credential(stored, local=self.store.session_only(account))

    async def refresh(self, account: str) -> Credential | None:
        credential = await self.env.refresh(account)
        if credential is not None:
            return credential
        if self.env.env_var(account) and await self.env.get(account) is not None:
            return None  # the env token wins; a keyring refresh would not be used
        before = self._existing.get(account)
        if before is not None:  # an existing login was used: only a different one is worth a try
            after = await self._existing_login(account, fresh=True)
            return after.credential if after is not None and after != before else None
        stored = await self._refresh_locked(account, self._handed_out.get(account))
        if stored is None:
            return None
        self._handed_out[account] = stored.token
        return to_credential(stored, local=self.store.session_only(account))

    async def _existing_login(self, account: str, *, fresh: bool) -> ambient.Found | None:
        """The environment is read every time (cheap); `gh` runs once, or again on refresh."""
        config = self.accounts.get(account)
        if config is None:
            return None
        found = ambient.from_env(config)
        if found is None:
            async with self._gh_lock:  # concurrent first requests share one `gh` run
                if fresh or account not in self._gh:
                    self._gh[account] = await ambient.from_gh_cli(config)
            found = self._gh[account]
        self._existing[account] = found
        return found

    async def _refresh_locked(self, account: str, failed: str | None) -> StoredCredential | None:
        """One refresh per account at a time; a caller that waited gets the token another
        caller already refreshed instead of spending the (single-use) refresh token again."""
        lock = self._locks.setdefault(account, asyncio.Lock())
        async with lock:
            stored = await self._load(account)
            if stored is None:
                return None
            if failed is not None and stored.token != failed and not self._expired(stored):
                return stored
            if not stored.refresh_token:
                return None
            try:
                return await self._run_refresh(account, stored)
            except (grants.GrantError, AuthConfigError) as exc:
                log.warning("token refresh for %s failed: %s", account, exc)
                return None
            except KeyringUnavailable as exc:  # refreshed but not saved: log in again
                raise self._unreadable(account, f"{exc}; then log in again") from None

    async def _run_refresh(self, account: str, stored: StoredCredential) -> StoredCredential | None:
        config = self.accounts.get(account)
        if config is None or stored.refresh_token is None:
            return None
        app = oauth_app(config.service, config.base_url)
        async with grants.new_client(self._transport) as http:
            if config.service == "jira":
                ep = AtlassianEndpoints.for_base(config.base_url)
                body = await grants.atlassian_refresh(http, ep, app, stored.refresh_token)
            elif config.service == "github":
                root = github_root(config.base_url)
                body = await grants.github_refresh(http, root, app, stored.refresh_token)
            elif config.service == "slack":
                slack = SlackEndpoints.for_base(config.base_url)
                body = await grants.slack_refresh(http, slack, app, stored.refresh_token)
            else:
                return None
        new = apply_grant(stored, body, self._now())
        current = await self.store.load(account)
        if current is None or current.token != stored.token:
            # A login or logout (or another process's refresh) replaced it while the grant
            # ran: saving would bring the replaced login back over the new one, which every
            # running zen-tui is about to read (store/logins.py). The keyring's one wins.
            log.info("%s: replaced during its token refresh; keeping the new login", account)
            return current
        await self.store.save(account, new)  # persist the rotated pair before using it
        log.info("refreshed the %s token for %s", config.service, account)
        return new

    async def _load(self, account: str) -> StoredCredential | None:
        """The stored login; a keyring that cannot be read now surfaces as LoginUnreadable
        with the fix in it: not a logout, so nothing of the account is dropped."""
        try:
            return await self.store.load(account)
        except KeyringUnavailable as exc:
            raise self._unreadable(account, str(exc)) from None

    def _unreadable(self, account: str, message: str) -> LoginUnreadable:
        config = self.accounts.get(account)
        service = config.service if config is not None else "unknown"
        if config is not None and config.token_env:  # the login meant to be used is not there
            message = f"${config.token_env} (its token_env) is not set or empty; {message}"
        return LoginUnreadable(service=service, account=account, message=message)

    def _expired(self, stored: StoredCredential) -> bool:
        return stored.expires_at is not None and self._now() >= stored.expires_at - EXPIRY_SKEW


def effective_base_url(account: AccountConfig, store: KeyringCredentialStore | None = None) -> str:
    """The REST base URL the account's gateway should use: a Jira 3LO login stored its
    api.atlassian.com/ex/jira/{cloudid} URL; everything else (and a token from token_env, or
    an unusable keyring) keeps the configured base_url. Blocking: call it at start-up."""
    if account.service != "jira" or account.token or _env_token(account):
        return account.base_url
    try:
        stored = (store or KeyringCredentialStore()).load_blocking(account.name)
    except KeyringUnavailable:
        return account.base_url
    return stored.base_url if stored is not None and stored.base_url else account.base_url


def _env_token(account: AccountConfig) -> bool:
    if account.token_env and os.environ.get(account.token_env, "").strip():
        return True
    return ambient.from_env(account) is not None  # JIRA_API_TOKEN: the site URL, not 3LO

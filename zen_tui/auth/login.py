"""In-app login for one account; the API the CLI and the UI login screen call.

    flow = LoginFlow(account_config, method="device")      # or "oauth", "token" (token=...)
    async for state in flow.run():
        match state:
            case DeviceCodeShown(user_code, uri, _): ...   # show the code, uri
            case WaitingForBrowser(url, opened): ...       # "approve in the browser" (+ url)
            case SlowedDown(interval): ...                  # optional notice
            case LoggedIn(account, username): ...           # done: the token is in the keyring
            case LoginFailed(reason): ...                   # one line, what to do next
    flow.cancel()   # from elsewhere (Esc in a modal): the iteration ends with LoginFailed

Methods: GitHub `device` (default) or `token`; Slack `oauth` (default, PKCE) or `token`;
Jira `oauth` (3LO, default when ZEN_ATLASSIAN_CLIENT_ID is set or for the simulator) or
`token` (API token with the account's `email`). Every token is checked with one cheap call
through the Gateway before it is saved, so a typo never lands in the keyring.
"""

from __future__ import annotations

import asyncio
import logging
import webbrowser
from collections.abc import AsyncIterator

import httpx
import msgspec

from zen_tui.auth import grants
from zen_tui.auth.browser import Browser
from zen_tui.auth.device_flow import DeviceFlow, DeviceToken
from zen_tui.auth.endpoints import (
    GITHUB_SCOPE,
    AuthConfigError,
    github_root,
    oauth_app,
)
from zen_tui.auth.identity import TokenRejected, whoami
from zen_tui.auth.keyring_store import KeyringCredentialStore, KeyringUnavailable, StoredCredential
from zen_tui.auth.oauth import DEFAULT_WAIT, AtlassianOAuthFlow, OAuthTokens, SlackOAuthFlow
from zen_tui.auth.provider import to_credential
from zen_tui.auth.states import (
    DeviceCodeShown,
    LoggedIn,
    LoginFailed,
    LoginState,
    SlowedDown,
    WaitingForBrowser,
)
from zen_tui.config import AccountConfig
from zen_tui.gateway.clock import Clock, SystemClock
from zen_tui.redaction import register_secret

log = logging.getLogger(__name__)
METHODS = {"github": ("device", "token"), "slack": ("oauth", "token"), "jira": ("oauth", "token")}

__all__ = [
    "DeviceCodeShown",
    "LoggedIn",
    "LoginFailed",
    "LoginFlow",
    "LoginState",
    "SlowedDown",
    "WaitingForBrowser",
    "default_method",
]


def method_choices(account: AccountConfig) -> list[tuple[str, str | None]]:
    """Every login method of the account's service with why it cannot work here (None: it
    can). A device/OAuth login needs the app's client id; pasting a token always works."""
    choices: list[tuple[str, str | None]] = []
    for method in METHODS.get(account.service, ("token",)):
        reason = None
        if method != "token":
            try:
                oauth_app(account.service, account.base_url)
            except AuthConfigError as exc:
                reason = str(exc)
        choices.append((method, reason))
    return choices


def default_method(account: AccountConfig) -> str:
    """The first method that can work here: the device flow or OAuth when its app is set
    (or the simulator), else pasting a token."""
    return next(m for m, reason in [*method_choices(account), ("token", None)] if reason is None)


class LoginFlow:
    def __init__(
        self,
        account: AccountConfig,
        method: str | None = None,
        *,
        token: str | None = None,  # method "token": the pasted token
        store: KeyringCredentialStore | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        open_browser: Browser | None = webbrowser.open,
        wait: float = DEFAULT_WAIT,
    ) -> None:
        self.account = account
        self.method = method or default_method(account)
        self._token = token
        self.store = store or KeyringCredentialStore()
        self.transport = transport
        self.clock = clock or SystemClock()
        self.open_browser = open_browser
        self.wait = wait
        self._cancelled = asyncio.Event()
        self._device: DeviceFlow | None = None

    def cancel(self) -> None:
        self._cancelled.set()
        if self._device is not None:
            self._device.cancel()

    async def run(self) -> AsyncIterator[LoginState]:
        allowed = METHODS.get(self.account.service, ("token",))
        if self.method not in allowed:
            yield LoginFailed(
                f"{self.account.service} accounts log in with --method "
                f"{' or '.join(allowed)}, not {self.method}"
            )
            return
        stored: StoredCredential | None = None
        try:
            async for state in self._obtain():
                if isinstance(state, StoredCredential):
                    stored = state
                    register_secret(stored.token)  # masked in logs from this moment
                    register_secret(stored.refresh_token)
                else:
                    yield state
        except (AuthConfigError, grants.GrantError) as exc:
            yield LoginFailed(str(exc))
            return
        if stored is None:
            return  # the sub-flow already reported why
        yield await self._finish(stored)

    async def _obtain(
        self,
    ) -> AsyncIterator[
        DeviceCodeShown | WaitingForBrowser | SlowedDown | LoginFailed | StoredCredential
    ]:
        if self.method == "token":
            yield self._pasted()
            return
        app = oauth_app(self.account.service, self.account.base_url)
        async with grants.new_client(self.transport) as http:
            if self.method == "device":
                self._device = DeviceFlow(
                    root_url=github_root(self.account.base_url),
                    client_id=app.client_id,
                    scope=GITHUB_SCOPE,
                    http=http,
                    clock=self.clock,
                    open_browser=self.open_browser,
                )
                if self._cancelled.is_set():
                    self._device.cancel()
                async for step in self._device.run():
                    if isinstance(step, DeviceToken):
                        yield self._device_login(step)
                    else:
                        yield step
                return
            flow_type = SlackOAuthFlow if self.account.service == "slack" else AtlassianOAuthFlow
            flow = flow_type(
                base_url=self.account.base_url,
                app=app,
                http=http,
                open_browser=self.open_browser,
                wait=self.wait,
                now=self.clock.time,
            )
            async for oauth_step in _until_cancelled(flow.run(), self._cancelled):
                yield oauth_step.stored if isinstance(oauth_step, OAuthTokens) else oauth_step

    def _pasted(self) -> StoredCredential | LoginFailed:
        token = (self._token or "").strip()
        if not token:
            return LoginFailed("no token given; paste the token when asked")
        basic = None
        if self.account.service == "jira":
            if not self.account.email:
                return LoginFailed(
                    f'a Jira API token needs your Atlassian email: add email = "you@example.com" '
                    f'to the [[accounts]] entry named "{self.account.name}" in the config'
                )
            basic = self.account.email
        return self._stamp(StoredCredential(token, "token", basic_username=basic))

    def _device_login(self, step: DeviceToken) -> StoredCredential:
        now = self.clock.time()
        expires_at = now + step.expires_in if step.expires_in is not None else None
        return StoredCredential(
            step.token,
            "device",
            refresh_token=step.refresh_token,
            expires_at=expires_at,
            scope=step.scope,
            saved_at=now,
        )

    def _stamp(self, stored: StoredCredential) -> StoredCredential:
        return msgspec.structs.replace(stored, saved_at=self.clock.time())

    async def _finish(self, stored: StoredCredential) -> LoggedIn | LoginFailed:
        """Check the token with one call, then save it (one keyring write)."""
        name = self.account.name
        base = stored.base_url or self.account.base_url
        try:
            login = await whoami(
                name, self.account.service, base, to_credential(stored), self.transport
            )
        except TokenRejected as exc:
            log.warning("login to %s (%s) refused: %s", name, self.method, exc)
            return LoginFailed(f"{exc}; check the token and log in again")
        stored = msgspec.structs.replace(stored, login=login)
        try:
            await self.store.save(name, stored)
        except KeyringUnavailable as exc:
            log.warning("login to %s succeeded but was not saved: %s", name, exc)
            return LoginFailed(f"the token was approved but cannot be saved: {exc}")
        log.info("logged in to %s as %s (%s), token saved in the keyring", name, login, self.method)
        return LoggedIn(name, login)


async def _until_cancelled(
    steps: AsyncIterator[WaitingForBrowser | OAuthTokens | LoginFailed], cancelled: asyncio.Event
) -> AsyncIterator[WaitingForBrowser | OAuthTokens | LoginFailed]:
    """The browser flow's steps, ending with LoginFailed as soon as `cancelled` is set."""
    iterator = aiter(steps)
    while True:
        nxt = asyncio.ensure_future(anext(iterator))
        stop = asyncio.ensure_future(cancelled.wait())
        done, _ = await asyncio.wait({nxt, stop}, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if nxt not in done:
            nxt.cancel()  # unwinds the flow: its loopback listener closes
            await asyncio.wait({nxt})
            yield LoginFailed("login cancelled")
            return
        try:
            yield nxt.result()
        except StopAsyncIteration:
            return

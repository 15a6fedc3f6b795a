"""Browser OAuth through a loopback redirect: Slack OAuth v2 (PKCE, no secret) and Atlassian
3LO (client secret, no PKCE; then accessible-resources for the cloud id).

`run()` yields `WaitingForBrowser(url)` once the listener is up and the browser was asked to
open the authorize URL, then an `OAuthTokens` (the blob to store) or `LoginFailed`. The `state`
is checked before any token exchange. Cancel by cancelling the iterating task.
"""

from __future__ import annotations

import time
import webbrowser
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import msgspec

from zen_tui.auth import grants
from zen_tui.auth.browser import Browser, try_open
from zen_tui.auth.endpoints import (
    ATLASSIAN_SCOPE,
    SLACK_USER_SCOPE,
    AtlassianEndpoints,
    OAuthApp,
    SlackEndpoints,
)
from zen_tui.auth.keyring_store import StoredCredential
from zen_tui.auth.loopback import LoopbackRedirect, RedirectError
from zen_tui.auth.pkce import Pkce, new_state
from zen_tui.auth.provider import apply_grant
from zen_tui.auth.states import LoginFailed, WaitingForBrowser
from zen_tui.text_safety import clean

DEFAULT_WAIT = 300.0  # seconds the user has to approve in the browser


class OAuthTokens(msgspec.Struct, frozen=True):
    stored: StoredCredential


OAuthStep = WaitingForBrowser | OAuthTokens | LoginFailed


class _LoopbackFlow:
    def __init__(
        self,
        *,
        base_url: str,
        app: OAuthApp,
        http: httpx.AsyncClient,
        open_browser: Browser | None = webbrowser.open,
        wait: float = DEFAULT_WAIT,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = base_url
        self.app = app
        self.http = http
        self.open_browser = open_browser
        self.wait_seconds = wait
        self.now = now
        self.state = new_state()

    async def run(self) -> AsyncIterator[OAuthStep]:
        async with LoopbackRedirect(state=self.state) as listener:
            url = self.authorize_url(listener.redirect_uri)
            opened = await try_open(self.open_browser, url)
            yield WaitingForBrowser(url, opened)
            try:
                code = await listener.wait(self.state, self.wait_seconds)
            except RedirectError as exc:
                yield LoginFailed(str(exc))
                return
        try:
            yield OAuthTokens(await self.exchange(code, listener.redirect_uri))
        except grants.GrantError as exc:
            yield LoginFailed(str(exc))

    def authorize_url(self, redirect_uri: str) -> str:
        raise NotImplementedError

    async def exchange(self, code: str, redirect_uri: str) -> StoredCredential:
        raise NotImplementedError


class SlackOAuthFlow(_LoopbackFlow):
    """Slack OAuth v2 as a public client: PKCE S256, user scopes only (a user token)."""

    def __init__(self, *, pkce: Pkce | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.endpoints = SlackEndpoints.for_base(self.base_url)
        self.pkce = pkce or Pkce()

    def authorize_url(self, redirect_uri: str) -> str:
        query = {
            "client_id": self.app.client_id,
            "user_scope": SLACK_USER_SCOPE,
            "redirect_uri": redirect_uri,
            "state": self.state,
            "code_challenge": self.pkce.challenge,
            "code_challenge_method": "S256",
        }
        return f"{self.endpoints.authorize}?{urlencode(query)}"

    async def exchange(self, code: str, redirect_uri: str) -> StoredCredential:
        body = await grants.slack_code(
            self.http, self.endpoints, self.app, code, redirect_uri, self.pkce.verifier
        )
        user = body.get("authed_user")
        if not isinstance(user, dict) or not user.get("access_token"):
            raise grants.GrantError("Slack returned no user token (user_scope not granted?)")
        start = StoredCredential(token="-", method="oauth", scope=str(user.get("scope", "")))
        return apply_grant(start, body, self.now())


class AtlassianOAuthFlow(_LoopbackFlow):
    """Atlassian 3LO: the app's client secret at the token endpoint, then the cloud id."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.endpoints = AtlassianEndpoints.for_base(self.base_url)

    def authorize_url(self, redirect_uri: str) -> str:
        query = {
            "audience": "api.atlassian.com",
            "client_id": self.app.client_id,
            "scope": ATLASSIAN_SCOPE,
            "redirect_uri": redirect_uri,
            "state": self.state,
            "response_type": "code",
            "prompt": "consent",
        }
        return f"{self.endpoints.authorize}?{urlencode(query)}"

    async def exchange(self, code: str, redirect_uri: str) -> StoredCredential:
        body = await grants.atlassian_code(self.http, self.endpoints, self.app, code, redirect_uri)
        start = StoredCredential(token="-", method="oauth", scope=str(body.get("scope", "")))
        stored = apply_grant(start, body, self.now())
        sites = await grants.atlassian_sites(self.http, self.endpoints, stored.token)
        site = _pick_site(sites, self.base_url)
        if site is None:
            raise grants.GrantError(_no_site(sites, self.base_url))
        cloud_id = str(site["id"])
        return msgspec.structs.replace(
            stored, cloud_id=cloud_id, base_url=self.endpoints.rest_base(cloud_id)
        )


def _pick_site(sites: list[dict[str, Any]], base_url: str) -> dict[str, Any] | None:
    """The granted site whose URL is the configured base URL. Never "the first": the list's
    order means nothing, and another site's issues under this account's browse links would
    be wrong without a word."""
    host = urlsplit(base_url).netloc
    for site in sites:
        if urlsplit(str(site.get("url", ""))).netloc == host:
            return site
    return None


def _no_site(sites: list[dict[str, Any]], base_url: str) -> str:
    """Why no site fits, in one line, with the fix."""
    host = urlsplit(base_url).netloc or base_url
    granted = [urlsplit(str(s.get("url", ""))).netloc for s in sites if s.get("url")]
    if not granted:
        return "this Atlassian login grants access to no Jira site; approve your site"
    return (
        f"this Atlassian login grants {', '.join(clean(g) for g in granted)}, not {host}: "
        f"choose {host} on the consent page, or set base_url to one of those"
    )

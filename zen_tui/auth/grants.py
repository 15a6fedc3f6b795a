"""OAuth token-endpoint calls (code exchange and refresh) for Atlassian and Slack.

These go straight over httpx, not through the Gateway: the Gateway asks the credential
provider for tokens, and the token endpoints are not rate-limited API calls. Failures raise
`GrantError` with the provider's error code and never the request body.
"""

from __future__ import annotations

from typing import Any

import httpx

from zen_tui.auth.endpoints import AtlassianEndpoints, OAuthApp, SlackEndpoints
from zen_tui.json_input import loads

TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class GrantError(Exception):
    """The token endpoint refused or failed; str() is one secret-free line."""


def new_client(transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """Verified against the gateway's trust store (gateway/tls.py), not httpx's own copy of
    certifi: the same CAs for the token endpoints as for the APIs, loaded once."""
    from zen_tui.gateway.tls import shared_ssl_context

    verify = shared_ssl_context() if transport is None else True
    return httpx.AsyncClient(timeout=TIMEOUT, transport=transport, verify=verify)


async def _post(http: httpx.AsyncClient, what: str, url: str, **kwargs: Any) -> dict[str, Any]:
    try:
        response = await http.post(url, headers={"Accept": "application/json"}, **kwargs)
    except httpx.HTTPError as exc:
        from zen_tui.gateway.classify import tls_refusal

        refused = tls_refusal(exc)
        why = f"cannot reach {url}" if refused is None else f"{url}: {refused}"
        raise GrantError(f"{what}: {why} ({type(exc).__name__})") from None
    try:
        body = loads(response.content)  # a document nested too deeply is a ValueError too
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise GrantError(f"{what}: HTTP {response.status_code} without a JSON object") from None
    if response.status_code >= 400 or body.get("error") or body.get("ok") is False:
        code = body.get("error") or f"HTTP {response.status_code}"
        raise GrantError(f"{what} refused: {code}")
    return body


async def atlassian_code(
    http: httpx.AsyncClient,
    ep: AtlassianEndpoints,
    app: OAuthApp,
    code: str,
    redirect_uri: str,
) -> dict[str, Any]:
    payload = {
        "grant_type": "authorization_code",
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "code": code,
        "redirect_uri": redirect_uri,
    }
    return await _post(http, "Atlassian token exchange", ep.token, json=payload)


async def atlassian_refresh(
    http: httpx.AsyncClient, ep: AtlassianEndpoints, app: OAuthApp, refresh_token: str
) -> dict[str, Any]:
    payload = {
        "grant_type": "refresh_token",
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "refresh_token": refresh_token,
    }
    return await _post(http, "Atlassian token refresh", ep.token, json=payload)


async def atlassian_sites(
    http: httpx.AsyncClient, ep: AtlassianEndpoints, access_token: str
) -> list[dict[str, Any]]:
    try:
        response = await http.get(
            ep.resources,
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        )
        sites = loads(response.content) if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        sites = None
    if not isinstance(sites, list):
        raise GrantError("Atlassian accessible-resources: no list of sites in the answer")
    return [s for s in sites if isinstance(s, dict) and s.get("id")]


async def slack_code(
    http: httpx.AsyncClient,
    ep: SlackEndpoints,
    app: OAuthApp,
    code: str,
    redirect_uri: str,
    verifier: str,
) -> dict[str, Any]:
    form = {
        "client_id": app.client_id,
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,  # PKCE: a public client sends no client_secret
    }
    return await _post(http, "Slack oauth.v2.access", ep.access, data=form)


def _refresh_form(app: OAuthApp, refresh_token: str) -> dict[str, str]:
    """The refresh grant of a public client (Slack PKCE, GitHub App): no secret unless added."""
    return {
        "client_id": app.client_id,
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
    }


async def slack_refresh(
    http: httpx.AsyncClient, ep: SlackEndpoints, app: OAuthApp, refresh_token: str
) -> dict[str, Any]:
    form = _refresh_form(app, refresh_token)
    return await _post(http, "Slack token refresh", ep.access, data=form)


async def github_refresh(
    http: httpx.AsyncClient, root_url: str, app: OAuthApp, refresh_token: str
) -> dict[str, Any]:
    """GitHub App user tokens (8 h) refresh at the same endpoint as the device flow polls."""
    form = _refresh_form(app, refresh_token)
    if app.client_secret:
        form["client_secret"] = app.client_secret
    return await _post(
        http, "GitHub token refresh", f"{root_url}/login/oauth/access_token", data=form
    )

"""Simulated Atlassian OAuth 2.0 (3LO): consent page, code exchange, refresh rotation."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.helpers import mounted_client
from zen_tui.simulator.core.world import World
from zen_tui.simulator.jira.service import JiraSim

REDIRECT = "http://127.0.0.1:53682/callback"
AUTH = {
    "audience": "api.atlassian.com",
    "client_id": "cid",
    "response_type": "code",
    "scope": "read:jira-work offline_access",
    "redirect_uri": REDIRECT,
    "state": "s-42",
    "prompt": "consent",
}


@pytest.fixture
def jira() -> JiraSim:
    world = World(seed=3, size=100)
    sim = JiraSim(world, "api-token", "me@example.com")
    world.add(sim)
    return sim


@pytest.fixture
async def client(jira: JiraSim) -> AsyncIterator[httpx.AsyncClient]:
    async with mounted_client(jira) as c:
        yield c


async def approve(client: httpx.AsyncClient, decision: str = "allow") -> dict[str, list[str]]:
    page = await client.get("/oauth/authorize", params=AUTH)
    assert page.status_code == 200 and "<form" in page.text and "offline_access" in page.text
    r = await client.post("/oauth/authorize", data={**AUTH, "decision": decision})
    assert r.status_code == 302
    location = r.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return parse_qs(urlsplit(location).query)


async def exchange(client: httpx.AsyncClient, **extra: str) -> httpx.Response:
    body = {
        "grant_type": "authorization_code",
        "client_id": "cid",
        "client_secret": "sec",
        "redirect_uri": REDIRECT,
        **extra,
    }
    return await client.post("/oauth/token", json=body)


async def test_code_flow_state_round_trip_and_bearer_use(
    client: httpx.AsyncClient, jira: JiraSim
) -> None:
    query = await approve(client)
    assert query["state"] == ["s-42"]
    r = await exchange(client, code=query["code"][0])
    assert r.status_code == 200
    tokens = r.json()
    assert tokens["expires_in"] == 3600 and tokens["refresh_token"]
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    sites = (await client.get("/oauth/token/accessible-resources", headers=auth)).json()
    assert sites[0]["id"] == jira.cloud_id and sites[0]["url"] == "http://sim/jira"
    me = await client.get(f"/ex/jira/{jira.cloud_id}/rest/api/3/myself", headers=auth)
    assert me.status_code == 200 and me.json()["accountId"] == jira.me
    other = await client.get("/ex/jira/not-a-cloud/rest/api/3/myself", headers=auth)
    assert other.status_code == 404 and "accessible-resources" in other.json()["errorMessages"][0]
    reused = await exchange(client, code=query["code"][0])
    assert reused.status_code == 403 and reused.json()["error"] == "invalid_grant"


async def test_refresh_rotation_invalidates_the_used_token(client: httpx.AsyncClient) -> None:
    first = (await exchange(client, code=(await approve(client))["code"][0])).json()
    refresh = {
        "grant_type": "refresh_token",
        "client_id": "cid",
        "client_secret": "sec",
        "refresh_token": first["refresh_token"],
    }
    second = await client.post("/oauth/token", json=refresh)
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    again = await client.post("/oauth/token", json=refresh)
    assert again.status_code == 403
    assert again.json() == {
        "error": "invalid_grant",
        "error_description": "Unknown or invalid refresh token.",
    }
    newest = {**refresh, "refresh_token": second.json()["refresh_token"]}
    assert (await client.post("/oauth/token", json=newest)).status_code == 200


async def test_deny_secret_and_redirect_errors(client: httpx.AsyncClient) -> None:
    denied = await approve(client, "deny")
    assert denied == {"error": ["access_denied"], "state": ["s-42"]}
    code = (await approve(client))["code"][0]
    no_secret = await client.post(
        "/oauth/token", data={"grant_type": "authorization_code", "client_id": "cid", "code": code}
    )
    assert no_secret.status_code == 401 and "client_secret" in no_secret.json()["error_description"]
    wrong = await exchange(client, code=code, redirect_uri="http://127.0.0.1:1/other")
    assert wrong.status_code == 403 and "redirect_uri" in wrong.json()["error_description"]
    missing = await client.get("/oauth/authorize", params={"client_id": "cid"})
    assert missing.status_code == 400 and "redirect_uri" in missing.text


async def test_expired_access_token_is_401(jira: JiraSim, client: httpx.AsyncClient) -> None:
    tokens = (await exchange(client, code=(await approve(client))["code"][0])).json()
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    me = f"/ex/jira/{jira.cloud_id}/rest/api/3/myself"
    assert (await client.get(me, headers=auth)).status_code == 200
    jira.oauth.access[tokens["access_token"]] = (0.0, "")
    assert (await client.get(me, headers=auth)).status_code == 401


async def test_a_3lo_token_is_refused_at_the_site_url(
    jira: JiraSim, client: httpx.AsyncClient
) -> None:
    """As Atlassian: 3LO calls go via api.atlassian.com/ex/jira/{cloudid}, never the site URL
    (the API token still works there)."""
    tokens = (await exchange(client, code=(await approve(client))["code"][0])).json()
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    site = await client.get("/rest/api/3/myself", headers=auth)
    assert site.status_code == 401
    assert site.json()["errorMessages"] == ["Client must be authenticated to access this resource."]
    via_cloud = await client.get(f"/ex/jira/{jira.cloud_id}/rest/api/3/myself", headers=auth)
    assert via_cloud.status_code == 200
    basic = httpx.BasicAuth("me@example.com", "api-token")
    assert (await client.get("/rest/api/3/myself", auth=basic)).status_code == 200


async def test_oauth_traffic_spends_a_points_quota(
    jira: JiraSim, client: httpx.AsyncClient
) -> None:
    jira.points_per_hour = 50
    tokens = (await exchange(client, code=(await approve(client))["code"][0])).json()
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    search = {"jql": "project in (ZEN, OPS, WEB, API)", "maxResults": 30}  # all 30 issues
    rest = f"/ex/jira/{jira.cloud_id}/rest/api/3"
    first = await client.post(f"{rest}/search/jql", json=search, headers=auth)
    assert first.status_code == 200
    assert first.headers["Beta-RateLimit-Policy"] == '"tenant-app-quota";q=50;w=3600'
    assert first.headers["Beta-RateLimit"].startswith('"tenant-app-quota";r=19;t=')
    assert (await client.post(f"{rest}/search/jql", json=search, headers=auth)).is_success
    limited = await client.get(f"{rest}/myself", headers=auth)
    assert limited.status_code == 429
    assert limited.headers["RateLimit-Reason"] == "jira-quota-tenant-based"
    assert limited.headers["X-Beta-RateLimit-Reason"] == "jira-quota-tenant-based"
    to_the_hour = 3600 - time.time() % 3600  # the quota resets on the hour
    assert abs(int(limited.headers["Retry-After"]) - to_the_hour) <= 2
    basic = httpx.BasicAuth("me@example.com", "api-token")  # API-token traffic is not affected
    assert (await client.get("/rest/api/3/myself", auth=basic)).status_code == 200

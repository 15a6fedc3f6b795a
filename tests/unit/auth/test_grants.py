"""The OAuth token and accessible-resources calls against a scripted server: a body nested
too deeply for json.loads (RecursionError, no ValueError) is an answer without JSON."""

from __future__ import annotations

import httpx
import pytest

from zen_tui.auth import grants
from zen_tui.auth.endpoints import AtlassianEndpoints, OAuthApp, SlackEndpoints

DEEP = b"[" * 100_000 + b"]" * 100_000
ATLASSIAN = AtlassianEndpoints.for_base("https://example.atlassian.net")
SLACK = SlackEndpoints.for_base("https://slack.com/api")
APP = OAuthApp(client_id="cid", client_secret="not-a-real-secret")


def deep_server(status: int) -> httpx.AsyncClient:
    transport = httpx.MockTransport(lambda request: httpx.Response(status, content=DEEP))
    return httpx.AsyncClient(transport=transport)


@pytest.mark.parametrize("status", [200, 400])
async def test_a_token_answer_nested_too_deeply_is_a_grant_error(status: int) -> None:
    async with deep_server(status) as http:
        with pytest.raises(grants.GrantError) as atlassian:
            await grants.atlassian_refresh(http, ATLASSIAN, APP, "r")
        with pytest.raises(grants.GrantError) as slack:
            await grants.slack_code(http, SLACK, APP, "code", "http://127.0.0.1:1/cb", "v")
    assert str(atlassian.value) == (f"Atlassian token refresh: HTTP {status} without a JSON object")
    assert str(slack.value).endswith(f": HTTP {status} without a JSON object")


async def test_a_list_of_sites_nested_too_deeply_is_no_list() -> None:
    async with deep_server(200) as http:
        with pytest.raises(grants.GrantError) as info:
            await grants.atlassian_sites(http, ATLASSIAN, "at")
    assert str(info.value) == "Atlassian accessible-resources: no list of sites in the answer"

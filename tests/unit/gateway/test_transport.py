"""Auth + transport: headers per service, timeouts, deprecations, 410, request ids, JSON, links."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx
import pytest
import respx

from zen_tui.auth.provider import EnvCredentialProvider
from zen_tui.gateway import ApiError, ApiGone, AuthExpired, BadResponse, Gateway
from zen_tui.gateway.credentials import Credential
from zen_tui.gateway.events import ApiDeprecation
from zen_tui.gateway.settings import TimeoutSettings

from .conftest import TOKEN, settings_for


async def test_github_sends_version_headers_user_agent_and_bearer(router, make_gateway):
    route = router.get("/user").respond(200, json={})
    await make_gateway().request("GET", "/user")
    sent = route.calls[0].request.headers
    assert sent["Accept"] == "application/vnd.github+json"
    assert sent["X-GitHub-Api-Version"] == "2022-11-28"
    assert sent["User-Agent"].startswith("zen-tui/")
    assert sent["Authorization"] == f"Bearer {TOKEN}"


async def test_jira_uses_basic_auth_and_json_accept(router, make_gateway):
    route = router.get("/rest/api/3/myself").respond(200, json={})
    gw = make_gateway(
        settings_for("jira"),
        service="jira",
        account="jira:site",
        credential=Credential("ATATTtoken", username="me@example.com"),
    )
    await gw.request("GET", "/rest/api/3/myself")
    sent = route.calls[0].request.headers
    assert sent["Accept"] == "application/json"
    expected = base64.b64encode(b"me@example.com:ATATTtoken").decode()
    assert sent["Authorization"] == f"Basic {expected}"


async def test_timeouts_come_from_settings(router, make_gateway):
    from msgspec.structs import replace

    route = router.get("/t").respond(200, json={})
    timeouts = TimeoutSettings(connect=1.5, read=2.5, write=3.5, pool=4.5)
    await make_gateway(replace(settings_for(), timeouts=timeouts)).request("GET", "/t")
    sent = route.calls[0].request.extensions["timeout"]
    assert sent == {"connect": 1.5, "read": 2.5, "write": 3.5, "pool": 4.5}


async def test_deprecation_headers_emit_an_event_and_show_in_health(router, make_gateway, recorder):
    headers = {"Deprecation": "true", "Sunset": "Wed, 11 Nov 2026 23:59:59 GMT"}
    router.get("/old").respond(200, json={}, headers=headers)
    gw = make_gateway()
    await gw.request("GET", "/old", endpoint="/old")
    await gw.request("GET", "/old", endpoint="/old")
    [event] = recorder.of(ApiDeprecation)  # reported once, not on every call
    assert event.endpoint == "/old" and "sunset Wed, 11 Nov 2026" in event.message
    assert gw.health().deprecations == [event.message]


async def test_410_is_api_gone_naming_the_endpoint(router, make_gateway, recorder):
    router.get("/rest/api/3/search").respond(410, json={"errorMessages": ["removed"]})
    gw = make_gateway(settings_for("jira"), service="jira", account="jira:site")
    with pytest.raises(ApiGone) as info:
        await gw.request("GET", "/rest/api/3/search", endpoint="/rest/api/3/search")
    assert "GET /rest/api/3/search is gone" in str(info.value)
    assert "update zen-tui" in str(info.value)
    assert recorder.of(ApiDeprecation)


async def test_errors_carry_full_context(router, make_gateway):
    router.get("/repos/o/r/pulls/9").respond(
        422, json={"message": "Validation Failed"}, headers={"x-github-request-id": "AB:CD"}
    )
    with pytest.raises(ApiError) as info:
        await make_gateway().request(
            "GET", "/repos/o/r/pulls/9", endpoint="/repos/{owner}/{repo}/pulls/{n}"
        )
    err = info.value
    assert str(err) == "github: 422 Validation Failed"
    assert (err.account, err.method, err.status, err.attempt) == ("github:me", "GET", 422, 1)
    assert err.endpoint == "/repos/{owner}/{repo}/pulls/{n}"
    assert err.request_id == "AB:CD"
    assert err.detail() == (
        "github: 422 Validation Failed | account=github:me | GET /repos/{owner}/{repo}/pulls/{n}"
        " | status=422 | attempt=1 | request_id=AB:CD"
    )


async def test_missing_credentials_is_a_one_line_auth_error(make_gateway):
    from zen_tui.gateway.credentials import StaticCredentialProvider

    gw = make_gateway(credentials=StaticCredentialProvider({}))
    with pytest.raises(AuthExpired, match="no token for account 'github:me'"):
        await gw.request("GET", "/user")


async def test_malformed_json_is_bad_response_with_context(router, make_gateway):
    router.get("/bad").respond(200, content=b"{not json")
    response = await make_gateway().request("GET", "/bad", endpoint="/bad")
    with pytest.raises(BadResponse) as info:
        response.json()
    assert info.value.service == "github" and info.value.endpoint == "/bad"


async def test_links_are_parsed(router, make_gateway):
    link = '<https://api.test/x?page=2>; rel="next", <https://api.test/x?page=5>; rel="last"'
    router.get("/x").respond(200, json=[], headers={"Link": link})
    response = await make_gateway().request("GET", "/x")
    assert response.links == {
        "next": "https://api.test/x?page=2",
        "last": "https://api.test/x?page=5",
    }


async def test_absolute_urls_from_links_work(router, make_gateway):
    route = router.get("/x", params={"page": "2"}).respond(200, json=[2])
    response = await make_gateway().request("GET", "https://api.test/x?page=2", endpoint="/x")
    assert response.json() == [2] and route.called


async def test_slack_ok_false_is_returned_as_is(router, make_gateway):
    router.post("/api/chat.postMessage").respond(200, json={"ok": False, "error": "not_in_channel"})
    gw = make_gateway(settings_for("slack"), service="slack", account="slack:T1")
    response = await gw.request("POST", "/api/chat.postMessage", json={})
    assert response.json()["ok"] is False


async def test_env_credential_provider(monkeypatch) -> None:
    provider = EnvCredentialProvider({"jira:site": ("ZEN_JIRA", "me@x"), "gh": ("ZEN_GH", None)})
    monkeypatch.delenv("ZEN_GH", raising=False)
    assert await provider.get("gh") is None
    assert await provider.get("unknown") is None
    monkeypatch.setenv("ZEN_JIRA", "t1")
    assert await provider.get("jira:site") == Credential("t1", "me@x", local=True, env="ZEN_JIRA")
    assert await provider.refresh("jira:site") is None  # same token: nothing new to try
    monkeypatch.setenv("ZEN_JIRA", "t2")
    assert await provider.refresh("jira:site") == Credential(
        "t2", "me@x", local=True, env="ZEN_JIRA"
    )
    assert "t2" not in repr(Credential("t2"))


async def test_a_bad_base_url_is_a_one_line_error(make_gateway):
    from zen_tui.gateway import Gateway
    from zen_tui.gateway.credentials import StaticCredentialProvider

    gw = Gateway(
        account="gh",
        service="github",
        base_url="htp://api.example",
        settings=settings_for(),
        credentials=StaticCredentialProvider({"gh": Credential("t")}),
    )
    with pytest.raises(ApiError, match="check the account's base_url"):
        await gw.request("GET", "/user")
    await gw.aclose()


async def test_links_with_commas_in_the_url_and_several_rels(router, make_gateway):
    link = (
        '<https://api.test/x?q=a,b&page=2>; rel="next", '
        '<https://api.test/x?page=1>; rel="first prev"'
    )
    router.get("/x").respond(200, json=[], headers={"Link": link})
    response = await make_gateway().request("GET", "/x")
    assert response.links == {
        "next": "https://api.test/x?q=a,b&page=2",
        "first": "https://api.test/x?page=1",
        "prev": "https://api.test/x?page=1",
    }


async def test_under_a_base_path_the_cache_names_the_url_the_request_went_to(clock, bus):
    """GitHub Enterprise: base_url https://host/api/v3; "/repos" goes to /api/v3/repos, and
    the cached answer, its URL and expire() all agree on that address."""
    from zen_tui.gateway import Gateway
    from zen_tui.gateway.credentials import StaticCredentialProvider

    with respx.mock(assert_all_called=False) as mock:
        route = mock.get("https://ghe.test/api/v3/repos").respond(200, json=[1])
        gw = Gateway(
            account="gh",
            service="github",
            base_url="https://ghe.test/api/v3",
            settings=settings_for(),
            credentials=StaticCredentialProvider({"gh": Credential("t")}),
            bus=bus,
            clock=clock,
        )
        first = await gw.request("GET", "/repos", cache_type="listing")
        hit = await gw.request("GET", "/repos", cache_type="listing")
        assert (hit.cache, hit.url) == ("hit", first.url)
        assert first.url == "https://ghe.test/api/v3/repos"
        gw.expire("listing", "/repos")
        await gw.request("GET", "/repos", cache_type="listing")
        assert route.call_count == 2  # expired the very entry the reads used
        await gw.aclose()


async def test_every_gateway_client_shares_one_verifying_ssl_context() -> None:
    """The CA bundle is loaded once per process, not once per account (start-up cost)."""
    import ssl

    from zen_tui.gateway.profiles import profile_for
    from zen_tui.gateway.transport import build_client

    clients = [
        build_client(url, settings_for(service), profile_for(service), None)
        for url, service in (("https://a.example", "github"), ("https://b.example", "jira"))
    ]
    contexts = {id(c._transport._pool._ssl_context) for c in clients}  # type: ignore[attr-defined]
    context = clients[0]._transport._pool._ssl_context  # type: ignore[attr-defined]
    assert len(contexts) == 1
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    for client in clients:
        await client.aclose()


async def test_the_http_client_is_built_at_the_first_request_not_before(
    router, make_gateway, monkeypatch
) -> None:
    """Building a gateway (what the dashboard does before its first paint) builds no HTTP
    client and loads no CA bundle; the first request builds one, later ones reuse it, and
    closing a gateway that never called closes nothing."""
    from zen_tui.gateway import transport

    built: list[str] = []
    real = transport.build_client

    def counting(base_url: str, *args: object) -> object:
        built.append(base_url)
        return real(base_url, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(transport, "build_client", counting)
    idle, busy = make_gateway(), make_gateway()
    assert built == []
    route = router.get("/user").respond(200, json={})
    await busy.request("GET", "/user")
    await busy.request("GET", "/user", revalidate=True)
    assert built == ["https://api.test"] and route.call_count == 2
    await idle.aclose()
    await busy.aclose()
    assert built == ["https://api.test"]


class CountingRefresh:
    """One expiring token; refresh() counts its calls and has nothing better to give."""

    def __init__(self, expires_at: float) -> None:
        self.credential = Credential(TOKEN, expires_at=expires_at)
        self.refreshes = 0

    async def get(self, account: str) -> Credential | None:
        return self.credential

    async def refresh(self, account: str) -> Credential | None:
        self.refreshes += 1
        return None


async def test_an_expiring_token_is_refreshed_once_not_on_every_request(
    router, make_gateway, clock
):
    """Past its stated expiry the gateway asks for a new token before sending; when there is
    none, it sends the old one (the server decides) and does not ask again each request."""
    creds = CountingRefresh(expires_at=clock.time() + 3600)
    route = router.get("/user").respond(200, json={})
    gateway = make_gateway(credentials=creds)
    await gateway.request("GET", "/user")
    assert creds.refreshes == 0  # an hour left: nothing to do
    clock.advance(3600 - 30)  # inside the skew before the expiry
    for _ in range(3):
        await gateway.request("GET", "/user")
    assert creds.refreshes == 1
    assert route.calls[-1].request.headers["Authorization"] == f"Bearer {TOKEN}"


async def test_githubs_422_reasons_are_part_of_the_message(router, make_gateway):
    """validation-error: {resource, field, code[, message]}; the first three are shown."""
    errors = [
        {"resource": "Label", "code": "invalid", "field": "color"},
        {"resource": "Issue", "code": "custom", "field": "title", "message": "title is too long"},
    ]
    router.post("/repos/o/r/labels").respond(
        422, json={"message": "Validation Failed", "errors": errors}
    )
    with pytest.raises(ApiError) as info:
        await make_gateway().request("POST", "/repos/o/r/labels", json={"name": "x"})
    assert str(info.value) == "github: 422 Validation Failed: color invalid; title is too long"


class Rotating:
    """Hands out tok-0, then tok-1, ... at each refresh (None once `left` runs out)."""

    def __init__(self, left: int) -> None:
        self.n, self.left, self.refreshes = 0, left, 0

    async def get(self, account: str) -> Credential | None:
        return Credential(f"tok-{self.n}", expires_at=None)

    async def refresh(self, account: str) -> Credential | None:
        self.refreshes += 1
        if self.left <= 0:
            return None
        self.left -= 1
        self.n += 1
        return Credential(f"tok-{self.n}")


def slack_refusing(*refused: str) -> Any:
    """Slack's auth.test: HTTP 200 token_expired for the `refused` tokens, ok for others."""

    def handle(request: httpx.Request) -> httpx.Response:
        token = request.headers["Authorization"].removeprefix("Bearer ")
        if token in refused:
            return httpx.Response(200, json={"ok": False, "error": "token_expired"})
        return httpx.Response(200, json={"ok": True, "token": token})

    return handle


def renewing_slack(make_gateway: Any, handler: Any) -> tuple[Gateway, Rotating]:
    """A Slack gateway answered by `handler`, its credentials a Rotating (5 renewals)."""
    creds = Rotating(left=5)
    gateway = make_gateway(service="slack", account="slack:T1", credentials=creds, handler=handler)
    return gateway, creds


async def test_slack_token_expired_before_any_stated_expiry_is_refreshed_and_resent(
    make_gateway,
):
    gw, creds = renewing_slack(make_gateway, slack_refusing("tok-0"))
    answers = await asyncio.gather(*(gw.request("GET", "/api/auth.test") for _ in range(3)))
    assert [a.json() for a in answers] == [{"ok": True, "token": "tok-1"}] * 3
    assert creds.refreshes == 1  # concurrent refusals of one token: one refresh


async def test_a_renewed_token_refused_too_is_not_refreshed_again(make_gateway):
    gw, creds = renewing_slack(make_gateway, slack_refusing("tok-0", "tok-1"))
    for _ in range(3):
        answer = await gw.request("GET", "/api/auth.test")
        assert answer.json() == {"ok": False, "error": "token_expired"}  # log in again
    assert creds.refreshes == 1


async def test_other_slack_errors_and_other_services_refresh_nothing(make_gateway):
    not_found = {"ok": False, "error": "channel_not_found"}
    gw, creds = renewing_slack(make_gateway, lambda r: httpx.Response(200, json=not_found))
    await gw.request("GET", "/api/conversations.history")
    github = make_gateway(
        credentials=creds,
        handler=lambda r: httpx.Response(200, json={"ok": False, "error": "token_expired"}),
    )
    await github.request("GET", "/user")
    assert creds.refreshes == 0

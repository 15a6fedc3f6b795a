"""Redirects through the whole gateway: followed inside the base URL only, bounded, and a
permanent one remembered.

The GitHub rename redirects themselves (301 reads, 307 writes) are exercised against the real
simulator in tests/integration/test_repo_rename.py; here a MockTransport plays servers that
misbehave in ways the simulator never does.
"""

from __future__ import annotations

import httpx
import pytest

from zen_tui.gateway import Gateway
from zen_tui.gateway.errors import BadResponse, OffOrigin

from .conftest import BASE, TOKEN, GatewayFactory

Seen = list[tuple[str, str, str | None, bytes]]


def server(routes: dict[str, httpx.Response], seen: Seen) -> object:
    def handler(request: httpx.Request) -> httpx.Response:
        auth = request.headers.get("authorization")
        seen.append((request.method, str(request.url), auth, request.content))
        return routes.get(request.url.path, httpx.Response(200, json={"at": request.url.path}))

    return handler


def moved(status: int, location: str) -> httpx.Response:
    return httpx.Response(status, headers={"location": location}, json={"message": "Moved"})


@pytest.fixture
def seen() -> Seen:
    return []


def gateway(make_gateway: GatewayFactory, seen: Seen, **routes: httpx.Response) -> Gateway:
    table = {"/" + path.replace("__", "/"): answer for path, answer in routes.items()}
    return make_gateway(handler=server(table, seen))


async def test_a_redirect_to_another_origin_is_refused_before_the_body_goes_there(
    make_gateway: GatewayFactory, seen: Seen
) -> None:
    gw = gateway(make_gateway, seen, comments=moved(307, "https://elsewhere.test/comments"))
    with pytest.raises(OffOrigin, match=r"refused a redirect to https://elsewhere\.test:443"):
        await gw.request("POST", "/comments", json={"body": "secret plan"})
    assert [url for _m, url, _a, _b in seen] == [f"{BASE}/comments"]  # nothing sent there


async def test_a_redirect_outside_the_base_path_on_the_same_host_never_gets_the_token(
    make_gateway: GatewayFactory, seen: Seen
) -> None:
    """httpx alone would follow it with the Authorization header (same origin)."""
    gw = make_gateway(handler=server({"/api/x": moved(301, "https://api.test/jira/rest/x")}, seen))
    gw.base_url = BASE + "/api"  # the client is built at the first request, from this
    with pytest.raises(OffOrigin, match="outside the base URL"):
        await gw.request("GET", "/x")
    assert [url for _m, url, _a, _b in seen] == [f"{BASE}/api/x"]


async def test_a_redirect_loop_is_a_bad_response_after_a_few_hops(
    make_gateway: GatewayFactory, seen: Seen
) -> None:
    gw = gateway(make_gateway, seen, a=moved(301, f"{BASE}/b"), b=moved(302, f"{BASE}/a"))
    with pytest.raises(BadResponse, match="redirect"):
        await gw.request("GET", "/a")
    assert len(seen) == 6  # the request and five hops: not httpx's twenty


async def test_307_keeps_method_body_and_token_and_303_turns_into_a_get(
    make_gateway: GatewayFactory, seen: Seen
) -> None:
    gw = gateway(make_gateway, seen, old=moved(307, f"{BASE}/new"), form=moved(303, f"{BASE}/done"))
    answer = await gw.request("PATCH", "/old", json={"state": "closed"})
    assert answer.status == 200 and answer.url == f"{BASE}/new"
    assert seen[1] == ("PATCH", f"{BASE}/new", f"Bearer {TOKEN}", b'{"state":"closed"}')
    seen.clear()
    await gw.request("POST", "/form", json={"x": 1})
    assert [(m, body) for m, _u, _a, body in seen] == [("POST", b'{"x":1}'), ("GET", b"")]


async def test_a_permanent_move_is_remembered_a_temporary_one_is_not(
    make_gateway: GatewayFactory, seen: Seen
) -> None:
    gw = gateway(
        make_gateway,
        seen,
        repos__o__r__pulls=moved(301, f"{BASE}/repositories/7/pulls?state=all"),
        maybe=moved(307, f"{BASE}/later"),
    )
    for _ in range(2):
        answer = await gw.request("GET", "/repos/o/r/pulls", params={"state": "all"})
        assert answer.url == f"{BASE}/repositories/7/pulls?state=all"
    assert [url for _m, url, _a, _b in seen] == [
        f"{BASE}/repos/o/r/pulls?state=all",
        f"{BASE}/repositories/7/pulls?state=all",
        f"{BASE}/repositories/7/pulls?state=all",  # the second call: straight there
    ]
    seen.clear()
    for _ in range(2):
        await gw.request("POST", "/maybe", json={})
    assert [url for _m, url, _a, _b in seen].count(f"{BASE}/maybe") == 2

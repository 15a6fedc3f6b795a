"""What the gateway does once, not on every request: the gateway overhead benchmark
(benchmarks/gateway_overhead.py) holds it to < 10% over raw httpx, and resolving a URL the
way httpx does (four URL parses and a urljoin) was the largest part of its own cost when it
ran for every request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

import zen_tui.gateway.gateway as gateway_module
import zen_tui.gateway.transport as transport_module

from .conftest import BASE, GatewayFactory


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"at": request.url.path}, headers={"ETag": '"v1"'})


@pytest.fixture
def joins(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each URL httpx.URL.join resolved (the gateway's _absolute is its only caller here)."""
    seen: list[str] = []
    join: Callable[..., httpx.URL] = httpx.URL.join

    def counting(self: httpx.URL, url: Any) -> httpx.URL:
        seen.append(str(url))
        return join(self, url)

    monkeypatch.setattr(httpx.URL, "join", counting)
    return seen


@pytest.mark.parametrize("cache_type", [None, "listing"], ids=["no cache", "cached read"])
async def test_polling_one_path_resolves_its_url_once_at_most(
    make_gateway: GatewayFactory, joins: list[str], cache_type: str | None
) -> None:
    gw = make_gateway(handler=ok)
    for _ in range(5):  # revalidate: each asks the server, as polls of a changed list do
        answer = await gw.request("GET", "/repos/o/r/pulls", cache_type=cache_type, revalidate=True)
        assert answer.status == 200
    assert len(joins) <= 1, joins
    # expire() finds the cached answer under the same resolved URL
    gw.expire("listing", "/repos/o/r/pulls")
    assert len(joins) <= 1, joins


async def test_the_resolved_urls_kept_are_bounded_and_stay_right(
    make_gateway: GatewayFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gateway_module, "MAX_ABSOLUTES", 3)
    seen: list[str] = []

    def moved_once(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path == "/old":
            return httpx.Response(301, headers={"location": f"{BASE}/new"})
        return ok(request)

    gw = make_gateway(handler=moved_once)
    await gw.request("GET", "/old")
    for n in range(5):  # more paths than are kept: the oldest go first
        await gw.request("GET", f"/items/{n}", cache_type="listing")
    assert len(gw._absolutes) == 3
    assert list(gw._absolutes) == ["/items/2", "/items/3", "/items/4"]
    seen.clear()
    answer = await gw.request("GET", "/old")  # resolved again: still straight to the move
    assert (answer.url, seen) == (f"{BASE}/new", [f"{BASE}/new"])


async def test_header_names_are_read_once_each_and_the_ones_kept_are_bounded(
    make_gateway: GatewayFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An answer's field names are decoded and lowered once per name, not per answer; a
    server sending ever new names fills the memory of them only up to MAX_FIELD_NAMES, and
    its figures are read right all the same, whatever the case of their names."""
    monkeypatch.setattr(transport_module, "_FIELD_NAMES", {})
    monkeypatch.setattr(transport_module, "MAX_FIELD_NAMES", 4)
    sent = iter(range(1000))

    def answer(request: httpx.Request) -> httpx.Response:
        n = next(sent)
        headers = {f"X-Noise-{n}": "1", "X-RateLimit-Remaining": str(4000 - n)}
        headers |= {"X-RateLimit-Limit": "5000", "x-ratelimit-reset": "1700003600"}
        return httpx.Response(200, json={}, headers=headers)

    gw = make_gateway(handler=answer)
    for n in range(6):
        await gw.request("GET", "/repos/o/r/pulls")
        assert gw.health().buckets["core"].remaining == 4000 - n
    assert len(transport_module._FIELD_NAMES) == 4

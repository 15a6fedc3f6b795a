"""GitHub device flow: the error sequence a client must handle, and the /login/device page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qs

import httpx
import pytest

from tests.helpers import ManualClock
from zen_tui.simulator.app import build_app
from zen_tui.simulator.core.world import World
from zen_tui.simulator.github.oauth import GRANT
from zen_tui.simulator.github.service import GitHubSim


@pytest.fixture
async def client(clock: ManualClock) -> AsyncIterator[httpx.AsyncClient]:
    world = World(seed=2, size=60, clock=clock)
    world.add(GitHubSim(world, "seed-token"))
    transport = httpx.ASGITransport(app=build_app(world))
    async with httpx.AsyncClient(transport=transport, base_url="http://sim/github") as c:
        yield c


JSON = {"Accept": "application/json"}


async def start(client: httpx.AsyncClient) -> dict[str, str]:
    r = await client.post(
        "/login/device/code", data={"client_id": "Iv1.abc", "scope": "repo"}, headers=JSON
    )
    assert r.status_code == 200
    return r.json()


async def poll(client: httpx.AsyncClient, code: str, client_id: str = "Iv1.abc") -> dict:
    data = {"client_id": client_id, "device_code": code, "grant_type": GRANT}
    r = await client.post("/login/oauth/access_token", data=data, headers=JSON)
    assert r.status_code == 200  # errors are 200 with an `error` field, as on GitHub
    return r.json()


async def test_device_code_is_form_encoded_by_default(client: httpx.AsyncClient) -> None:
    r = await client.post("/login/device/code", data={"client_id": "Iv1.abc"})
    assert r.headers["content-type"].startswith("application/x-www-form-urlencoded")
    fields = parse_qs(r.text)
    assert len(fields["device_code"][0]) == 40
    assert fields["interval"] == ["5"] and fields["expires_in"] == ["900"]


async def test_full_sequence_pending_slow_down_approve_token_works(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    grant = await start(client)
    assert grant["verification_uri"] == "http://sim/github/login/device"
    assert len(grant["user_code"]) == 9 and grant["user_code"][4] == "-"
    assert (await poll(client, grant["device_code"]))["error"] == "authorization_pending"
    clock.now += 1  # faster than the interval
    slow = await poll(client, grant["device_code"])
    assert slow == {"error": "slow_down", "interval": 10}
    clock.now += 10
    assert (await poll(client, grant["device_code"]))["error"] == "authorization_pending"
    page = await client.get("/login/device")
    assert "<form" in page.text and 'name="user_code"' in page.text
    approved = await client.post(
        "/login/device", data={"user_code": grant["user_code"].lower(), "action": "approve"}
    )
    assert approved.status_code == 200 and "authorized" in approved.text
    clock.now += 10
    token = await poll(client, grant["device_code"])
    assert token["token_type"] == "bearer" and token["scope"] == "repo"
    assert token["access_token"].startswith("gho_")
    me = await client.get("/user", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert me.status_code == 200 and me.json()["login"] == "me"
    clock.now += 10
    assert (await poll(client, grant["device_code"]))["error"] == "incorrect_device_code"


async def test_denied_expired_and_incorrect(client: httpx.AsyncClient, clock: ManualClock) -> None:
    denied = await start(client)
    await client.post("/login/device", data={"user_code": denied["user_code"], "action": "deny"})
    assert (await poll(client, denied["device_code"]))["error"] == "access_denied"
    expiring = await start(client)
    clock.now += 901
    assert (await poll(client, expiring["device_code"]))["error"] == "expired_token"
    assert (await poll(client, "f" * 40))["error"] == "incorrect_device_code"
    wrong_grant = await client.post(
        "/login/oauth/access_token",
        data={"client_id": "Iv1.abc", "device_code": "x", "grant_type": "password"},
        headers=JSON,
    )
    assert wrong_grant.json()["error"] == "unsupported_grant_type"


async def test_device_page_rejects_unknown_code(client: httpx.AsyncClient) -> None:
    r = await client.post("/login/device", data={"user_code": "ZZZZ-ZZZZ", "action": "approve"})
    assert r.status_code == 400 and "not valid" in r.text


async def test_json_request_body_is_accepted(client: httpx.AsyncClient) -> None:
    r = await client.post("/login/device/code", json={"client_id": "Iv1.abc"}, headers=JSON)
    assert "device_code" in r.json()

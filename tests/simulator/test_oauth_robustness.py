"""Random malformed requests to every OAuth endpoint (GitHub device flow, Atlassian 3LO, Slack
v2) never crash the simulator: undecodable bytes, wrong content types, junk JSON, bad forms."""

from __future__ import annotations

import base64
import random
from typing import Any

import httpx

from zen_tui.simulator.app import build_app, create_world

JUNK = [
    b"{not json",
    b"[]",
    b'"x"',
    b"null",
    b"123",
    b"\xff\xfe",
    b"a=1&b",
    b"%%%",
    b"",
    b'{"grant_type": 5, "client_id": [1], "code": {"a": 1}, "refresh_token": null}',
    b'{"device_code": [], "client_id": {}}',
]
CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "text/plain", None]
ENDPOINTS = [
    ("POST", "/github/login/device/code"),
    ("POST", "/github/login/oauth/access_token"),
    ("GET", "/github/login/device"),
    ("POST", "/github/login/device"),
    ("GET", "/jira/oauth/authorize"),
    ("POST", "/jira/oauth/authorize"),
    ("POST", "/jira/oauth/token"),
    ("GET", "/jira/oauth/token/accessible-resources"),
    ("GET", "/slack/oauth/v2/authorize"),
    ("POST", "/slack/oauth/v2/authorize"),
    ("POST", "/slack/api/oauth.v2.access"),
]
AUTH = ["Bearer x", "Basic !!!", "Basic " + base64.b64encode(b"\xff:\xfe").decode(), "Bearer"]


def form(rng: random.Random) -> dict[str, str]:
    choices = {
        "grant_type": ["authorization_code", "refresh_token", "x", ""],
        "client_id": ["", "cid"],
        "redirect_uri": ["", "http://127.0.0.1:1/cb", "notaurl"],
        "decision": ["allow", "deny", ""],
        "code": ["x", ""],
        "refresh_token": ["y"],
        "device_code": ["z"],
        "code_verifier": ["v"],
        "user_code": ["AAAA-BBBB", ""],
        "response_type": ["code", "token"],
        "scope": ["read:jira-work offline_access", ""],
    }
    return {k: rng.choice(v) for k, v in choices.items() if rng.random() < 0.6}


def request(rng: random.Random) -> tuple[str, str, dict[str, Any]]:
    method, path = rng.choice(ENDPOINTS)
    kwargs: dict[str, Any] = {"headers": {}}
    roll = rng.random()
    if roll < 0.4:
        kwargs["content"] = rng.choice(JUNK)
        if (content_type := rng.choice(CONTENT_TYPES)) is not None:
            kwargs["headers"]["content-type"] = content_type
    elif roll < 0.7 and method == "POST":
        kwargs["data"] = form(rng)
    else:
        kwargs["params"] = form(rng)
    if rng.random() < 0.3:
        kwargs["headers"]["authorization"] = rng.choice(AUTH)
    return method, path, kwargs


async def test_oauth_endpoints_survive_random_bad_requests() -> None:
    world = create_world(seed=1, size=60)
    rng = random.Random(5)
    transport = httpx.ASGITransport(app=build_app(world))  # an app exception fails the test
    statuses = set()
    async with httpx.AsyncClient(transport=transport, base_url="http://s") as c:
        for _ in range(800):
            method, path, kwargs = request(rng)
            r = await c.request(method, path, **kwargs)
            assert r.status_code < 500, (method, path, kwargs, r.text)
            assert r.headers.get("content-type") or r.status_code in (204, 302)
            statuses.add(r.status_code)
    assert {200, 302, 400, 401} <= statuses

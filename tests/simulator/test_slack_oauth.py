"""Simulated Slack OAuth v2 with PKCE: consent page, oauth.v2.access, rotation."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.helpers import mounted_client
from zen_tui.simulator.core.world import World
from zen_tui.simulator.slack.oauth import s256
from zen_tui.simulator.slack.service import SlackSim

REDIRECT = "http://127.0.0.1:40123/slack/callback"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636 appendix B


def challenge(verifier: str) -> str:  # independent of the simulator's s256
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().strip("=")


@pytest.fixture
def slack() -> SlackSim:
    world = World(seed=5, size=100)
    sim = SlackSim(world, "user-token")
    world.add(sim)
    return sim


@pytest.fixture
async def client(slack: SlackSim) -> AsyncIterator[httpx.AsyncClient]:
    async with mounted_client(slack) as c:
        yield c


async def authorize(client: httpx.AsyncClient, *, pkce: bool = True, **extra: str) -> dict:
    params = {
        "client_id": "123.456",
        "user_scope": "search:read,channels:history",
        "redirect_uri": REDIRECT,
        "state": "st/8",
        **extra,
    }
    if pkce:
        params |= {"code_challenge": challenge(VERIFIER), "code_challenge_method": "S256"}
    page = await client.get("/oauth/v2/authorize", params=params)
    assert page.status_code == 200 and "search:read" in page.text
    r = await client.post("/oauth/v2/authorize", data={**params, "decision": "allow"})
    assert r.status_code == 302 and r.headers["location"].startswith(REDIRECT)
    return parse_qs(urlsplit(r.headers["location"]).query)


async def access(client: httpx.AsyncClient, **params: str) -> dict:
    r = await client.post("/api/oauth.v2.access", data={"client_id": "123.456", **params})
    assert r.status_code == 200
    return r.json()


def test_s256_matches_rfc7636_vector() -> None:
    assert s256(VERIFIER) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert s256(VERIFIER) == challenge(VERIFIER)


async def test_pkce_exchange_gives_a_working_user_token(
    client: httpx.AsyncClient, slack: SlackSim
) -> None:
    query = await authorize(client)
    assert query["state"] == ["st/8"]
    body = await access(
        client, code=query["code"][0], code_verifier=VERIFIER, redirect_uri=REDIRECT
    )
    assert body["ok"] is True and "access_token" not in body  # user scopes only
    user = body["authed_user"]
    assert user["token_type"] == "user" and user["id"] == slack.me.id
    # A user token's rotation fields sit beside it in authed_user, as Slack's SDKs read them
    # (bolt-python async_oauth_flow: user_refresh_token = authed_user["refresh_token"]).
    assert user["expires_in"] == 43200 and user["refresh_token"].startswith("xoxe-1-")
    assert "refresh_token" not in body and "expires_in" not in body
    r = await client.get(
        "/api/search.messages",
        params={"query": "deploy"},
        headers={"Authorization": f"Bearer {user['access_token']}"},
    )
    assert r.json()["ok"] is True
    r = await client.get(
        "/api/chat.postMessage", headers={"Authorization": f"Bearer {user['access_token']}"}
    )
    assert r.json()["error"] == "missing_scope" and r.json()["needed"] == "chat:write"


async def test_wrong_verifier_then_code_still_unused(client: httpx.AsyncClient) -> None:
    code = (await authorize(client))["code"][0]
    bad = await access(client, code=code, code_verifier="x" * 43)
    assert bad == {"ok": False, "error": "invalid_code_verifier"}
    good = await access(client, code=code, code_verifier=VERIFIER)
    assert good["ok"] is True
    assert await access(client, code=code, code_verifier=VERIFIER) == {
        "ok": False,
        "error": "invalid_code",
    }


async def test_without_pkce_a_client_secret_is_required(client: httpx.AsyncClient) -> None:
    code = (await authorize(client, pkce=False, scope="chat:write"))["code"][0]
    assert (await access(client, code=code))["error"] == "bad_client_secret"
    basic = base64.b64encode(b"123.456:secret").decode()
    r = await client.post(
        "/api/oauth.v2.access", data={"code": code}, headers={"Authorization": f"Basic {basic}"}
    )
    body = r.json()
    assert body["ok"] is True and body["token_type"] == "bot" and body["bot_user_id"]
    assert "refresh_token" not in body and body["access_token"].startswith("xoxb-")


async def test_rotating_tokens_have_slacks_shapes(client: httpx.AsyncClient) -> None:
    """Slack's token-rotation guide: a rotating token is `xoxe.xoxb-1-…` (bot) or
    `xoxe.xoxp-1-…` (user), 12 hours long, its refresh token `xoxe-1-…`, each body opaque
    base64; a refresh gives the same shapes again."""
    query = await authorize(client, scope="chat:write")
    body = await access(client, code=query["code"][0], code_verifier=VERIFIER)
    user = body["authed_user"]
    shapes = {
        "xoxe.xoxb-1-": body["access_token"],
        "xoxe.xoxp-1-": user["access_token"],
        "xoxe-1-": body["refresh_token"],
    }
    assert user["refresh_token"].startswith("xoxe-1-") and body["expires_in"] == 43200
    for prefix, token in shapes.items():
        assert token.startswith(prefix) and token[len(prefix) :].isalnum(), token
        opaque = base64.b64decode(token[len(prefix) :] + "==").decode()
        assert opaque.startswith("2-T")  # team, user and a secret, dash-separated
    renewed = await access(client, grant_type="refresh_token", refresh_token=body["refresh_token"])
    assert renewed["access_token"].startswith("xoxe.xoxb-1-")
    assert renewed["refresh_token"].startswith("xoxe-1-") and renewed["expires_in"] == 43200


async def test_refresh_rotation_and_denied_consent(client: httpx.AsyncClient) -> None:
    tokens = await access(client, code=(await authorize(client))["code"][0], code_verifier=VERIFIER)
    first = tokens["authed_user"]["refresh_token"]
    refreshed = await access(client, grant_type="refresh_token", refresh_token=first)
    # A refresh answers with the one renewed token at the top level (python-slack-sdk's
    # TokenRotator reads token_type == "user", access_token, refresh_token, expires_in there).
    assert refreshed["ok"] is True and refreshed["token_type"] == "user"
    assert refreshed["access_token"].startswith("xoxe.xoxp-1-")
    assert refreshed["expires_in"] == 43200
    assert refreshed["refresh_token"] != first and "access_token" not in refreshed["authed_user"]
    reused = await access(client, grant_type="refresh_token", refresh_token=first)
    assert reused == {"ok": False, "error": "invalid_refresh_token"}
    r = await client.post(
        "/oauth/v2/authorize",
        data={"client_id": "1", "redirect_uri": REDIRECT, "state": "s", "decision": "deny"},
    )
    assert parse_qs(urlsplit(r.headers["location"]).query) == {
        "error": ["access_denied"],
        "state": ["s"],
    }


async def test_a_rotating_token_expires_with_token_expired_on_http_200() -> None:
    now = [1_800_000_000.0]
    world = World(seed=5, size=100, clock=lambda: now[0])
    slack = SlackSim(world, "user-token")
    world.add(slack)
    async with mounted_client(slack) as client:
        code = (await authorize(client))["code"][0]
        user = (await access(client, code=code, code_verifier=VERIFIER))["authed_user"]
        auth = {"Authorization": f"Bearer {user['access_token']}"}
        assert (await client.get("/api/auth.test", headers=auth)).json()["ok"] is True
        now[0] += user["expires_in"]
        r = await client.get("/api/auth.test", headers=auth)
        assert r.status_code == 200 and r.json() == {"ok": False, "error": "token_expired"}
        renewed = await access(
            client, grant_type="refresh_token", refresh_token=user["refresh_token"]
        )
        fresh = {"Authorization": f"Bearer {renewed['access_token']}"}
        assert (await client.get("/api/auth.test", headers=fresh)).json()["ok"] is True

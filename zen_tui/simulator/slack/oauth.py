"""Simulated Slack OAuth v2: `/slack/oauth/v2/authorize` (page + form post) and the
`oauth.v2.access` method, with PKCE (S256).

With a `code_challenge` at authorize, the exchange needs the matching `code_verifier` and no
client secret (a public client); such installs get rotating tokens (`expires_in` + a
single-use `refresh_token`), shaped as Slack's are: `xoxe.xoxp-1-…` / `xoxe.xoxb-1-…`
for the 12-hour tokens (`expires_in` 43200) and `xoxe-1-…` for the refresh token (Slack's
"Using token rotation" guide). Without PKCE, `client_secret` is required and the tokens are
the long-lived `xoxp-…` / `xoxb-…`. Errors are HTTP 200 ok:false like every Slack method.

Where Slack puts the rotation fields (as Slack's own SDKs read them: bolt-python
`slack_bolt/oauth/async_oauth_flow.py` and python-slack-sdk
`slack_sdk/oauth/token_rotation/rotator.py`): the code exchange gives the bot token's
`refresh_token`/`expires_in` at the top level and the user token's inside `authed_user`, next to
its `access_token`; a refresh answers with the one rotated token at the top level
(`access_token`, `token_type` "bot" or "user", `refresh_token`, `expires_in`). An expired
token is refused with `token_expired` (HTTP 200, ok:false).
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from zen_tui.simulator.core.oauth import ConsentFlow, Grant, request_params

# (kind, user_id, scopes, ttl seconds or None) -> token
Granter = Callable[[str, str, frozenset[str], float | None], str]
TOKEN_TTL = 43200


@dataclass
class _Install:
    bot_scopes: frozenset[str]
    user_scopes: frozenset[str]


@dataclass
class _Rotating:
    """What one refresh token renews: the bot or the user token of an install."""

    kind: str  # "bot" | "user"
    scopes: frozenset[str]


def s256(verifier: str) -> str:
    """RFC 7636 S256: BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def rotating_token(prefix: str, team_id: str, user_id: str) -> str:
    """A token of Slack's token rotation: `prefix` (`xoxe.xoxp-1-`, `xoxe.xoxb-1-`, `xoxe-1-`
    for a refresh token) and an opaque base64 body, unpadded, as Slack's token-rotation guide
    and the tokens seen in the wild show (their body decodes to dash-separated ids and hex:
    only letters and digits come out, never `+`, `/` or `=`)."""
    body = f"2-{team_id}-{user_id}-{uuid.uuid4().int % 10**13}-{uuid.uuid4().hex}"
    return prefix + base64.b64encode(body.encode()).decode().rstrip("=")


def _scopes(text: str | None) -> frozenset[str]:
    return frozenset(s for s in (text or "").replace(",", " ").split() if s)


class SlackOAuth:
    def __init__(
        self,
        clock: Callable[[], float],
        ids: dict[str, str],  # team_id, app_id, user_id (the installing user), bot_user_id
        grant: Granter,
    ) -> None:
        self.ids = ids
        self.consent = ConsentFlow("Slack", clock, ("client_id", "redirect_uri"))
        self.grant = grant
        self.refresh: dict[str, _Rotating] = {}

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/oauth/v2/authorize", self.consent.page, methods=["GET"]),
            Route("/oauth/v2/authorize", self.consent.decide, methods=["POST"]),
        ]

    async def access(self, request: Request) -> Response:
        try:
            p = await request_params(request)
        except ValueError:
            return _fail("invalid_json")
        _basic_client(request, p)
        if p.get("grant_type") == "refresh_token":
            rotating = self.refresh.pop(p.get("refresh_token", ""), None)  # once only
            if rotating is None:
                return _fail("invalid_refresh_token")
            return JSONResponse(self._renew(rotating))
        if not p.get("client_id"):
            return _fail("invalid_client_id")
        pending = self.consent.codes.get(p.get("code", ""))
        if pending is None or pending.used:
            return _fail("invalid_code")
        challenge = pending.extra.get("code_challenge")
        if challenge:
            if pending.extra.get("code_challenge_method", "plain") != "S256":
                return _fail("invalid_code_challenge_method")
            if s256(p.get("code_verifier", "")) != challenge:
                return _fail("invalid_code_verifier")
        elif not p.get("client_secret"):
            return _fail("bad_client_secret")
        grant = self.consent.redeem(p["code"], p["client_id"], p.get("redirect_uri"))
        if isinstance(grant, str):
            return _fail("bad_redirect_uri" if "redirect_uri" in grant else "invalid_code")
        return JSONResponse(self._issue(_install(grant), rotating=bool(challenge)))

    def _issue(self, install: _Install, *, rotating: bool) -> dict[str, object]:
        """The code exchange: the bot token at the top level, the user's in `authed_user`,
        each with its own `refresh_token`/`expires_in` when the install rotates tokens."""
        ttl = TOKEN_TTL if rotating else None
        body: dict[str, object] = {**self._envelope(), "authed_user": {"id": self.ids["user_id"]}}
        if install.bot_scopes:
            token = self.grant("bot", self.ids["bot_user_id"], install.bot_scopes, ttl)
            body.update(
                access_token=token,
                token_type="bot",
                scope=",".join(sorted(install.bot_scopes)),
                bot_user_id=self.ids["bot_user_id"],
                **self._rotation("bot", install.bot_scopes, rotating),
            )
        if install.user_scopes:
            token = self.grant("user", self.ids["user_id"], install.user_scopes, ttl)
            body["authed_user"] = {
                "id": self.ids["user_id"],
                "access_token": token,
                "token_type": "user",
                "scope": ",".join(sorted(install.user_scopes)),
                **self._rotation("user", install.user_scopes, rotating),
            }
        return body

    def _renew(self, rotating: _Rotating) -> dict[str, object]:
        """A refresh grant: the renewed token and its next refresh token at the top level."""
        owner = self.ids["user_id" if rotating.kind == "user" else "bot_user_id"]
        token = self.grant(rotating.kind, owner, rotating.scopes, TOKEN_TTL)
        return {
            **self._envelope(),
            "access_token": token,
            "token_type": rotating.kind,
            "scope": ",".join(sorted(rotating.scopes)),
            "authed_user": {"id": self.ids["user_id"]},
            **self._rotation(rotating.kind, rotating.scopes, True),
        }

    def _rotation(self, kind: str, scopes: frozenset[str], rotating: bool) -> dict[str, object]:
        if not rotating:
            return {}
        refresh = rotating_token("xoxe-1-", self.ids["team_id"], self.ids["user_id"])
        self.refresh[refresh] = _Rotating(kind, scopes)
        return {"refresh_token": refresh, "expires_in": TOKEN_TTL}

    def _envelope(self) -> dict[str, object]:
        return {
            "ok": True,
            "app_id": self.ids["app_id"],
            "team": {"id": self.ids["team_id"], "name": "zen-sim"},
            "enterprise": None,
            "is_enterprise_install": False,
        }


def _install(grant: Grant) -> _Install:
    return _Install(_scopes(grant.scope), _scopes(grant.extra.get("user_scope")))


def _basic_client(request: Request, p: dict[str, str]) -> None:
    """Slack prefers client_id:client_secret in HTTP Basic; fold them into the params."""
    scheme, _, cred = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            cid, _, secret = base64.b64decode(cred).decode().partition(":")
        except ValueError:
            return
        p.setdefault("client_id", cid)
        p.setdefault("client_secret", secret)


def _fail(error: str) -> Response:
    return JSONResponse({"ok": False, "error": error})

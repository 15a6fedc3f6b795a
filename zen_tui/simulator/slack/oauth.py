"""Simulated Slack OAuth v2: `/slack/oauth/v2/authorize` (page + form post) and the
`oauth.v2.access` method, with PKCE (S256).

With a `code_challenge` at authorize, the exchange needs the matching `code_verifier` and no
client secret (a public client); such installs get rotating tokens (`expires_in` + a
single-use `refresh_token`). Without PKCE, `client_secret` is required. Errors are HTTP 200
ok:false like every Slack method.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from zen_tui.simulator.core.oauth import ConsentFlow, Grant, new_secret, request_params

Granter = Callable[[str, str, frozenset[str]], str]  # (kind, user_id, scopes) -> token
TOKEN_TTL = 43200


@dataclass
class _Install:
    bot_scopes: frozenset[str]
    user_scopes: frozenset[str]


def s256(verifier: str) -> str:
    """RFC 7636 S256: BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


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
        self.refresh: dict[str, _Install] = {}

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
            install = self.refresh.pop(p.get("refresh_token", ""), None)  # rotation: once only
            if install is None:
                return _fail("invalid_refresh_token")
            return JSONResponse(self._issue(install, rotating=True))
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
        body: dict[str, object] = {
            "ok": True,
            "app_id": self.ids["app_id"],
            "team": {"id": self.ids["team_id"], "name": "zen-sim"},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": self.ids["user_id"]},
        }
        if install.bot_scopes:
            token = self.grant("bot", self.ids["bot_user_id"], install.bot_scopes)
            body.update(
                access_token=token,
                token_type="bot",
                scope=",".join(sorted(install.bot_scopes)),
                bot_user_id=self.ids["bot_user_id"],
            )
        if install.user_scopes:
            token = self.grant("user", self.ids["user_id"], install.user_scopes)
            body["authed_user"] = {
                "id": self.ids["user_id"],
                "access_token": token,
                "token_type": "user",
                "scope": ",".join(sorted(install.user_scopes)),
            }
        if rotating:
            refresh = new_secret("sim-slack-r-")
            self.refresh[refresh] = install
            body.update(expires_in=TOKEN_TTL, refresh_token=refresh)
        return body


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

"""Simulated Atlassian OAuth 2.0 (3LO): authorize page, token endpoint with rotating refresh
tokens, accessible-resources (every granted site: `other_sites` first, then this one).
Served under the Jira prefix: `/jira/oauth/...`.

As the real service: `client_secret` is mandatory (no PKCE for public clients), access tokens
last 3600 s, a refresh token works once (its reuse gets 403 invalid_grant), and a refresh token
is only issued when `offline_access` was requested.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from zen_tui.simulator.core.oauth import ConsentFlow, new_secret, request_params

ACCESS_TTL = 3600


@dataclass
class _Session:
    client_id: str
    scope: str


class AtlassianOAuth:
    def __init__(self, clock: Callable[[], float], cloud_id: str, site_name: str) -> None:
        self.clock = clock
        self.cloud_id = cloud_id
        self.site_name = site_name
        self.consent = ConsentFlow(
            "Atlassian", clock, ("client_id", "redirect_uri", "response_type")
        )
        self.access: dict[str, tuple[float, str]] = {}  # token -> (expires_at, scope)
        self.refresh: dict[str, _Session] = {}  # live refresh tokens only
        # Other sites the user granted (id, name, url), listed before this one: as on the real
        # service, accessible-resources holds every granted site, in no meaningful order.
        self.other_sites: list[tuple[str, str, str]] = []
        self.grant_own_site = True  # False: the user chose only other sites at consent

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/oauth/authorize", self.consent.page, methods=["GET"]),
            Route("/oauth/authorize", self.consent.decide, methods=["POST"]),
            Route("/oauth/token", self.token, methods=["POST"]),
            Route("/oauth/token/accessible-resources", self.resources, methods=["GET"]),
        ]

    def valid(self, token: str) -> bool:
        entry = self.access.get(token)
        return entry is not None and entry[0] > self.clock()

    def _issue(self, session: _Session) -> dict[str, object]:
        access = new_secret("sim-atl-")
        self.access[access] = (self.clock() + ACCESS_TTL, session.scope)
        body: dict[str, object] = {
            "access_token": access,
            "expires_in": ACCESS_TTL,
            "token_type": "Bearer",
            "scope": session.scope,
        }
        if "offline_access" in session.scope.split():
            refresh = new_secret("sim-atl-r-")
            self.refresh[refresh] = session
            body["refresh_token"] = refresh
        return body

    async def token(self, request: Request) -> Response:
        try:
            p = await request_params(request)
        except ValueError:
            return _error(400, "invalid_request", "Send a JSON object or a urlencoded form.")
        if not p.get("client_id") or not p.get("client_secret"):
            return _error(
                401,
                "access_denied",
                "client_id and client_secret are required "
                "(Atlassian OAuth does not support PKCE for public clients).",
            )
        grant_type = p.get("grant_type")
        if grant_type == "authorization_code":
            grant = self.consent.redeem(p.get("code", ""), p["client_id"], p.get("redirect_uri"))
            if isinstance(grant, str):
                return _error(403, "invalid_grant", grant)
            return JSONResponse(self._issue(_Session(grant.client_id, grant.scope)))
        if grant_type == "refresh_token":
            session = self.refresh.pop(p.get("refresh_token", ""), None)  # rotation: once only
            if session is None or session.client_id != p["client_id"]:
                return _error(403, "invalid_grant", "Unknown or invalid refresh token.")
            return JSONResponse(self._issue(session))
        return _error(
            400, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token."
        )

    async def resources(self, request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        token = auth[7:] if auth.lower().startswith("bearer ") else ""
        if not self.valid(token):
            return _error(401, "unauthorized", "A valid Bearer access token is required.")
        site = f"{request.url.scheme}://{request.url.netloc}{request.scope.get('root_path', '')}"
        scope = self.access[token][1]
        own = [(self.cloud_id, self.site_name, site)] if self.grant_own_site else []
        sites = [*self.other_sites, *own]
        return JSONResponse(
            [
                {
                    "id": cloud_id,
                    "name": name,
                    "url": url,
                    "scopes": scope.split(),
                    "avatarUrl": f"{url}/avatar.png",
                }
                for cloud_id, name, url in sites
            ]
        )


def _error(status: int, error: str, description: str) -> Response:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)

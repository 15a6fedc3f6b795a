"""GitHub's OAuth device flow (RFC 8628 as GitHub implements it) and its /login/device page."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

if TYPE_CHECKING:
    from zen_tui.simulator.github.service import GitHubSim

GRANT = "urn:ietf:params:oauth:grant-type:device_code"
EXPIRES_IN = 900
INTERVAL = 5
ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"  # GitHub-style user codes avoid vowels and look-alikes


@dataclass
class DeviceCode:
    device_code: str
    user_code: str
    client_id: str
    scope: str
    expires_at: float
    interval: int = INTERVAL
    last_poll: float | None = None
    status: str = "pending"  # pending | approved | denied | used


class DeviceFlow:
    def __init__(self, sim: GitHubSim) -> None:
        self.sim = sim
        self.codes: dict[str, DeviceCode] = {}

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/login/device/code", self.device_code, methods=["POST"]),
            Route("/login/oauth/access_token", self.access_token, methods=["POST"]),
            Route("/login/device", self.page, methods=["GET", "POST"]),
        ]

    def _now(self) -> float:
        return self.sim.world.clock()

    async def device_code(self, request: Request) -> Response:
        params = await _params(request)
        client_id = params.get("client_id", "")
        if not client_id:
            return _reply(request, {"error": "unauthorized_client"}, status=400)
        rng = self.sim.world.rng
        with self.sim.world.lock:
            device = "".join(rng.choice("0123456789abcdef") for _ in range(40))
            user = "".join(rng.choice(ALPHABET) for _ in range(8))
            code = DeviceCode(
                device,
                f"{user[:4]}-{user[4:]}",
                client_id,
                params.get("scope", ""),
                self._now() + EXPIRES_IN,
            )
            self.codes[device] = code
        uri = str(request.base_url).rstrip("/") + request.scope.get("root_path", "")
        return _reply(
            request,
            {
                "device_code": code.device_code,
                "user_code": code.user_code,
                "verification_uri": f"{uri}/login/device",
                "expires_in": EXPIRES_IN,
                "interval": code.interval,
            },
        )

    async def access_token(self, request: Request) -> Response:
        params = await _params(request)
        with self.sim.world.lock:
            return _reply(request, self._poll(params))

    def _poll(self, params: dict[str, str]) -> dict[str, Any]:
        if params.get("grant_type") != GRANT:
            return {"error": "unsupported_grant_type"}
        code = self.codes.get(params.get("device_code", ""))
        if code is None or code.status == "used" or code.client_id != params.get("client_id"):
            return {"error": "incorrect_device_code"}
        now = self._now()
        if now >= code.expires_at:
            return {"error": "expired_token"}
        if code.status == "denied":
            return {"error": "access_denied"}
        too_fast = code.last_poll is not None and now - code.last_poll < code.interval
        code.last_poll = now
        if too_fast:
            code.interval += 5
            return {"error": "slow_down", "interval": code.interval}
        if code.status == "pending":
            return {"error": "authorization_pending"}
        code.status = "used"
        token = self.sim.new_device_token()
        self.sim.world.counters.mutation("github", "oauth_token_issued", client_id=code.client_id)
        return {"access_token": token, "token_type": "bearer", "scope": code.scope}

    async def page(self, request: Request) -> Response:
        """The page where a user enters the code and approves or denies (browser or form post)."""
        if request.method == "GET":
            return HTMLResponse(_form(request.query_params.get("user_code", "")))
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        entered = form.get("user_code", "").strip().upper()
        with self.sim.world.lock:
            code = next(
                (
                    c
                    for c in self.codes.values()
                    if c.user_code == entered and c.status == "pending"
                ),
                None,
            )
            if code is None or self._now() >= code.expires_at:
                return HTMLResponse(_form(entered, "That code is not valid or has expired."), 400)
            code.status = "denied" if form.get("action") == "deny" else "approved"
        verdict = "denied" if code.status == "denied" else "authorized"
        return HTMLResponse(_page(f"<h1>Device {verdict}</h1><p>You can close this window.</p>"))


async def _params(request: Request) -> dict[str, str]:
    """Form-encoded (GitHub's default), JSON, or query parameters."""
    raw = (await request.body()).decode("utf-8", "replace")
    params = dict(request.query_params)
    if "json" in request.headers.get("content-type", ""):
        try:
            data = json.loads(raw or "{}")
            params.update({k: str(v) for k, v in data.items()})
        except (ValueError, AttributeError):
            pass
    else:
        params.update(parse_qsl(raw))
    return params


def _reply(request: Request, body: dict[str, Any], status: int = 200) -> Response:
    """JSON when asked with Accept: application/json, else form-encoded like GitHub."""
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(body, status_code=status)
    return Response(
        urlencode(body), status_code=status, media_type="application/x-www-form-urlencoded"
    )


def _page(body: str) -> str:
    head = "<head><title>Device activation</title></head>"
    return f"<!doctype html><html>{head}<body>{body}</body></html>"


def _form(code: str, error: str = "") -> str:
    message = f'<p role="alert">{html.escape(error)}</p>' if error else ""
    return _page(
        "<h1>Device activation</h1>"
        f"{message}"
        '<form method="post" action="device">'
        "<label>Enter the code shown on your device "
        f'<input name="user_code" value="{html.escape(code)}" autofocus></label> '
        '<button name="action" value="approve">Authorize</button> '
        '<button name="action" value="deny">Cancel</button>'
        "</form>"
    )

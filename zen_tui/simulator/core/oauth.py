"""The consent step shared by the simulated Atlassian and Slack OAuth authorize pages.

GET shows an HTML page (works in a browser); POST of that form (or a plain form post from a
test) with `decision=allow|deny` redirects to `redirect_uri` with `code` or `error`, and `state`
passed through. Codes are single-use and expire after 10 minutes.
"""

from __future__ import annotations

import html
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

CODE_TTL = 600.0


@dataclass
class Grant:
    """What the user approved; redeemed once at the token endpoint."""

    client_id: str
    redirect_uri: str
    scope: str
    created: float
    extra: dict[str, str] = field(default_factory=dict)
    used: bool = False


def new_secret(prefix: str = "", nbytes: int = 24) -> str:
    return prefix + secrets.token_urlsafe(nbytes)


async def request_params(request: Request) -> dict[str, str]:
    """Query string plus a urlencoded-form or JSON body, as strings (OAuth endpoints and Slack
    methods accept both). ValueError when a JSON body is not a JSON object."""
    params = dict(request.query_params.items())
    if request.method not in ("POST", "PUT"):
        return params
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        body: Any = json.loads(raw or b"{}")
        if not isinstance(body, dict):
            raise ValueError("the JSON body must be an object")
        params.update(
            {
                k: v if isinstance(v, str) else json.dumps(v)
                for k, v in body.items()
                if v is not None
            }
        )
    else:
        params.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    return params


class ConsentFlow:
    """Authorize page + decision + code store for one provider."""

    def __init__(
        self, provider: str, clock: Callable[[], float], required: tuple[str, ...]
    ) -> None:
        self.provider = provider
        self.clock = clock
        self.required = required  # request parameters the page insists on
        self.codes: dict[str, Grant] = {}

    def _missing(self, params: dict[str, str]) -> Response | None:
        missing = [name for name in self.required if not params.get(name)]
        if missing:
            return PlainTextResponse(
                f"{self.provider} authorize: missing parameter(s) {', '.join(missing)}; "
                "add them to the authorize URL.",
                status_code=400,
            )
        return None

    async def page(self, request: Request) -> Response:
        params = dict(request.query_params)
        if (error := self._missing(params)) is not None:
            return error
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in params.items()
        )
        scopes = html.escape(
            " ".join(filter(None, [params.get("scope"), params.get("user_scope")]))
        )
        body = (
            f"<!doctype html><title>{self.provider} (simulated) - authorize</title>"
            f"<h1>Authorize {html.escape(params['client_id'])}?</h1>"
            f"<p>Requested scopes: <code>{scopes}</code></p>"
            f'<form method="post">{hidden}'
            '<button name="decision" value="allow">Allow</button> '
            '<button name="decision" value="deny">Deny</button></form>'
        )
        return HTMLResponse(body)

    async def decide(self, request: Request) -> Response:
        try:
            params = await request_params(request)
        except ValueError:
            return PlainTextResponse("Send the decision as a form or JSON object.", 400)
        if (error := self._missing(params)) is not None:
            return error
        redirect_uri, state = params["redirect_uri"], params.get("state")
        if params.get("decision", "allow") != "allow":
            return _redirect(redirect_uri, {"error": "access_denied", "state": state})
        code = new_secret()
        scope = params.get("scope", "")
        extra = {k: v for k, v in params.items() if k not in ("client_id", "redirect_uri", "scope")}
        self.codes[code] = Grant(params["client_id"], redirect_uri, scope, self.clock(), extra)
        return _redirect(redirect_uri, {"code": code, "state": state})

    def redeem(self, code: str, client_id: str, redirect_uri: str | None) -> Grant | str:
        """The grant for `code`, or an error description. Marks the code used."""
        grant = self.codes.get(code)
        if grant is None or grant.used or self.clock() - grant.created > CODE_TTL:
            return "The authorization code is unknown, expired or already used."
        if grant.client_id != client_id:
            return "The authorization code was issued to another client_id."
        if redirect_uri is not None and redirect_uri != grant.redirect_uri:
            return "redirect_uri does not match the one used at authorize."
        grant.used = True
        return grant


def _redirect(uri: str, params: dict[str, str | None]) -> Response:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return RedirectResponse(f"{uri}{'&' if '?' in uri else '?'}{query}", status_code=302)

"""GitHub's OAuth device flow (RFC 8628): show a code, the user approves in a browser, we poll.

`DeviceFlow.run()` is an async iterator of states: `DeviceCodeShown` first (the caller shows
the code: a modal in the UI, a line in the CLI), `SlowedDown` when GitHub asks for a longer
interval, and finally `DeviceToken` on success or `LoginFailed`. Cancel by calling `cancel()`
or by cancelling the task that iterates; either stops polling at once.
"""

from __future__ import annotations

import asyncio
import logging
import webbrowser
from collections.abc import AsyncIterator
from typing import Any

import httpx

from zen_tui.auth.browser import Browser, try_open
from zen_tui.auth.states import DeviceCodeShown, LoginFailed, SlowedDown
from zen_tui.gateway.clock import Clock, SystemClock, sleep_unless
from zen_tui.gateway.credentials import SecretRecord
from zen_tui.json_input import loads
from zen_tui.web_links import refusal

log = logging.getLogger(__name__)

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
SLOW_DOWN_STEP = 5.0  # RFC 8628 section 3.5
DEFAULT_INTERVAL = 5.0
OUTCOMES = {
    "expired_token": "the code expired before it was approved; run the login again",
    "access_denied": "the login was denied in the browser",
    "incorrect_device_code": "GitHub did not recognise the device code; run the login again",
    "device_flow_disabled": "device flow is not enabled for this OAuth app (enable it in the "
    "app's settings, or use --method token)",
    "incorrect_client_credentials": "GitHub does not know this client id; check "
    "ZEN_GITHUB_CLIENT_ID",
    "unsupported_grant_type": "GitHub refused the device grant type",
}


class DeviceToken(SecretRecord, frozen=True):
    _secret = ("token", "refresh_token")

    token: str
    scope: str
    # GitHub App user tokens expire (8 h) and come with a refresh token; OAuth-app ones don't.
    refresh_token: str | None = None
    expires_in: float | None = None


class DeviceFlow:
    def __init__(
        self,
        *,
        root_url: str,  # https://github.com, or the simulator's {root}/github
        client_id: str,
        scope: str,
        http: httpx.AsyncClient,
        clock: Clock | None = None,
        open_browser: Browser | None = webbrowser.open,
    ) -> None:
        self.root_url = root_url.rstrip("/")
        self.client_id = client_id
        self.scope = scope
        self.http = http
        self.clock = clock or SystemClock()
        self.open_browser = open_browser
        self._cancelled = asyncio.Event()

    def cancel(self) -> None:
        self._cancelled.set()

    def _verification_uri(self, code: dict[str, Any]) -> str:
        """The page the user is sent to (and the browser opened on). It comes from the
        server, so a URI off GitHub's web host (file://, a look-alike phishing page) is
        replaced by GitHub's own device page rather than shown or opened."""
        default = f"{self.root_url}/login/device"
        uri = str(code.get("verification_uri", default))
        refused = refusal(uri, "github", self.root_url)
        if refused:
            log.warning("device flow: verification_uri ignored (%s); using %s", refused, default)
            return default
        return uri

    async def run(
        self,
    ) -> AsyncIterator[DeviceCodeShown | SlowedDown | DeviceToken | LoginFailed]:
        code = await self._post(
            "/login/device/code", {"client_id": self.client_id, "scope": self.scope}
        )
        if "device_code" not in code or "user_code" not in code:
            yield LoginFailed(_reason(code, "GitHub did not return a device code"))
            return
        expires_in = float(code.get("expires_in", 900))
        uri = self._verification_uri(code)
        yield DeviceCodeShown(str(code["user_code"]), uri, expires_in)
        await try_open(self.open_browser, uri)
        interval = float(code.get("interval", DEFAULT_INTERVAL))
        deadline = self.clock.monotonic() + expires_in
        form = {"client_id": self.client_id, "device_code": str(code["device_code"])}
        form["grant_type"] = GRANT_TYPE
        while True:
            if await self._wait(interval):
                yield LoginFailed("login cancelled")
                return
            if self.clock.monotonic() >= deadline:
                yield LoginFailed(OUTCOMES["expired_token"])
                return
            answer = await self._post("/login/oauth/access_token", form)
            error = answer.get("error")
            if error == "authorization_pending":
                continue
            if error == "slow_down":
                interval = max(interval + SLOW_DOWN_STEP, float(answer.get("interval", 0)))
                yield SlowedDown(interval)
                continue
            token = answer.get("access_token")
            if error or not isinstance(token, str) or not token:
                yield LoginFailed(_reason(answer, "GitHub returned no token"))
                return
            refresh = answer.get("refresh_token")
            expires = answer.get("expires_in")
            yield DeviceToken(
                token,
                str(answer.get("scope", "")),
                refresh if isinstance(refresh, str) and refresh else None,
                float(expires) if isinstance(expires, int | float) else None,
            )
            return

    async def _wait(self, seconds: float) -> bool:
        """Sleep `seconds`; True if cancelled meanwhile."""
        await sleep_unless(self.clock.sleep, seconds, self._cancelled)
        return self._cancelled.is_set()

    async def _post(self, path: str, form: dict[str, str]) -> dict[str, Any]:
        try:
            response = await self.http.post(
                self.root_url + path, data=form, headers={"Accept": "application/json"}
            )
            body = loads(response.content)  # NestedTooDeeply is a ValueError too
        except httpx.HTTPError as exc:
            return {"error": "network", "error_description": type(exc).__name__}
        except ValueError:
            return {"error": "bad_response"}
        return body if isinstance(body, dict) else {"error": "bad_response"}


def _reason(body: dict[str, Any], default: str) -> str:
    error = str(body.get("error") or "")
    if error in OUTCOMES:
        return OUTCOMES[error]
    if error == "network":
        return f"cannot reach GitHub ({body.get('error_description')}); check the network"
    return f"{default} ({error})" if error else default

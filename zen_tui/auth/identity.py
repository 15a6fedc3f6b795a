"""Who a token belongs to, asked through the Gateway with one cheap call per service:
GitHub `GET /user`, Jira `GET /rest/api/3/myself`, Slack `auth.test`."""

from __future__ import annotations

from typing import Any

import httpx

from zen_tui.gateway import Gateway, Priority
from zen_tui.gateway.credentials import Credential, StaticCredentialProvider
from zen_tui.gateway.errors import GatewayError
from zen_tui.gateway.settings import default_settings


class TokenRejected(Exception):
    """The service did not accept the token; str() is one secret-free line."""


_CALLS = {
    "github": ("GET", "/user"),
    "jira": ("GET", "/rest/api/3/myself"),
    "slack": ("POST", "/auth.test"),
}


async def whoami(
    account: str,
    service: str,
    base_url: str,
    credential: Credential,
    transport: httpx.AsyncBaseTransport | None = None,
) -> str | None:
    """The login/email/user the token acts as; TokenRejected when it does not work."""
    method, path = _CALLS[service]
    gateway = Gateway(
        account=account,
        service=service,
        base_url=base_url,
        settings=default_settings(service),
        credentials=StaticCredentialProvider({account: credential}),
        transport=transport,
    )
    try:
        response = await gateway.request(method, path, priority=Priority.INTERACTIVE)
        body = response.json()
    except GatewayError as exc:
        raise TokenRejected(f"{service} did not accept the token: {exc.summary()}") from None
    finally:
        await gateway.aclose()
    return _name(service, body)


def _name(service: str, body: Any) -> str | None:
    if not isinstance(body, dict):
        raise TokenRejected(f"{service} answered the identity check without a JSON object")
    if service == "slack" and body.get("ok") is not True:
        raise TokenRejected(f"slack did not accept the token: {body.get('error', 'not ok')}")
    keys = {
        "github": ("login",),
        "jira": ("emailAddress", "displayName", "accountId"),
        "slack": ("user", "user_id"),
    }[service]
    for key in keys:
        if isinstance(body.get(key), str) and body[key]:
            return str(body[key])
    return None

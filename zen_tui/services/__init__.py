"""Service clients for GitHub, Jira and Slack over the gateway (no Textual here)."""

from __future__ import annotations

from zen_tui.models import ActionResult, FetchResult
from zen_tui.services.base import (
    AccountInfo,
    GatewayLike,
    ServiceClient,
    Sleeper,
)
from zen_tui.services.github import GitHubClient
from zen_tui.services.jira import JiraClient
from zen_tui.services.slack import SlackClient

CLIENTS: dict[str, type[GitHubClient] | type[JiraClient] | type[SlackClient]] = {
    "github": GitHubClient,
    "jira": JiraClient,
    "slack": SlackClient,
}


def make_client(
    account: AccountInfo, gateway: GatewayLike, *, clock: Sleeper | None = None
) -> ServiceClient:
    """The client for `account.service`; `clock` (sleep/time) paces bulk work and polls."""
    try:
        cls = CLIENTS[account.service]
    except KeyError:
        allowed = ", ".join(CLIENTS)
        raise ValueError(
            f"account {account.name!r}: unknown service {account.service!r} (use {allowed})"
        ) from None
    return cls(account, gateway, clock=clock)


__all__ = [
    "ActionResult",
    "FetchResult",
    "GitHubClient",
    "JiraClient",
    "ServiceClient",
    "SlackClient",
    "make_client",
]

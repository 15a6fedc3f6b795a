"""Where each provider's OAuth endpoints live and which client id/secret to use.

Endpoints derive from the account's `base_url`:

- GitHub: `https://api.github.com` -> `https://github.com`; GitHub Enterprise
  `https://HOST/api/v3` -> `https://HOST`; anything else (the simulator's `{root}/github`) is
  used as is. Device flow at `/login/device/code`, tokens at `/login/oauth/access_token`.
- Slack: `https://slack.com/api` -> authorize at `https://slack.com/oauth/v2/authorize`, tokens
  via the `oauth.v2.access` method under the base URL (simulator: `{root}/slack/...`).
- Jira: an `*.atlassian.net` site -> `https://auth.atlassian.com` and `https://api.atlassian.com`
  (REST at `/ex/jira/{cloudid}`); anything else (the simulator's `{root}/jira`) serves all of
  them under its base URL.

Client ids come from the environment (config holds no OAuth app settings):
ZEN_GITHUB_CLIENT_ID, ZEN_SLACK_CLIENT_ID, ZEN_ATLASSIAN_CLIENT_ID, ZEN_ATLASSIAN_CLIENT_SECRET,
and optionally ZEN_GITHUB_CLIENT_SECRET (refreshing expiring GitHub App user tokens).
For a loopback base URL (the simulator) they default to placeholders the simulator accepts.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import msgspec

from zen_tui.config_schema import is_loopback_url
from zen_tui.gateway.credentials import SecretRecord

GITHUB_SCOPE = "repo read:org notifications"
SLACK_USER_SCOPE = ",".join(
    (
        "search:read",
        "channels:history",
        "groups:history",
        "im:history",
        "mpim:history",
        "channels:read",
        "groups:read",
        "im:read",
        "mpim:read",
        "users:read",
        "chat:write",
        "reactions:write",
    )
)
ATLASSIAN_SCOPE = "read:jira-work write:jira-work read:jira-user offline_access"

CLIENT_ID_ENV = {
    "github": "ZEN_GITHUB_CLIENT_ID",
    "slack": "ZEN_SLACK_CLIENT_ID",
    "jira": "ZEN_ATLASSIAN_CLIENT_ID",
}
CLIENT_SECRET_ENV = {"jira": "ZEN_ATLASSIAN_CLIENT_SECRET"}
# Optional: GitHub asks for the secret when refreshing an expiring GitHub App user token.
OPTIONAL_SECRET_ENV = {"github": "ZEN_GITHUB_CLIENT_SECRET"}
SIMULATOR_CLIENT_ID = "zen-tui-sim"
SIMULATOR_CLIENT_SECRET = "zen-tui-sim-secret"  # the simulator checks presence, not value


class AuthConfigError(Exception):
    """An OAuth app setting is missing; str() says which variable to set."""


class OAuthApp(SecretRecord, frozen=True):
    _secret = ("client_secret",)

    client_id: str
    client_secret: str | None = None


def oauth_app(service: str, base_url: str) -> OAuthApp:
    """The client id (and Atlassian's secret) from the environment; placeholders for the
    simulator; AuthConfigError naming the variable otherwise."""
    id_var = CLIENT_ID_ENV.get(service)
    if id_var is None:
        raise AuthConfigError(f"no OAuth login for service {service!r}; use --method token")
    secret_var = CLIENT_SECRET_ENV.get(service)
    client_id = os.environ.get(id_var, "").strip()
    secret = os.environ.get(secret_var, "").strip() if secret_var else None
    if is_loopback_url(base_url):
        client_id = client_id or SIMULATOR_CLIENT_ID
        secret = secret or (SIMULATOR_CLIENT_SECRET if secret_var else None)
    if not client_id:
        raise AuthConfigError(
            f"{service} OAuth needs an app client id: export {id_var}=<client id> "
            "(or log in with --method token)"
        )
    if secret_var and not secret:
        raise AuthConfigError(
            f"Atlassian OAuth needs the app's client secret (no PKCE): export {secret_var}=... "
            "(or log in with --method token and an API token)"
        )
    optional = OPTIONAL_SECRET_ENV.get(service)
    if optional:
        secret = os.environ.get(optional, "").strip() or None
    return OAuthApp(client_id, secret)


def github_root(base_url: str) -> str:
    parts = urlsplit(base_url.rstrip("/"))
    host = parts.netloc
    if parts.path in ("", "/") and host.startswith("api."):
        return f"{parts.scheme}://{host[4:]}"
    if parts.path.endswith("/api/v3"):
        return f"{parts.scheme}://{host}{parts.path[: -len('/api/v3')]}"
    return base_url.rstrip("/")


class SlackEndpoints(msgspec.Struct, frozen=True):
    authorize: str
    access: str

    @classmethod
    def for_base(cls, base_url: str) -> SlackEndpoints:
        base = base_url.rstrip("/")
        root = base[: -len("/api")] if base.endswith("/api") else base
        return cls(f"{root}/oauth/v2/authorize", f"{base}/oauth.v2.access")


class AtlassianEndpoints(msgspec.Struct, frozen=True):
    authorize: str
    token: str
    resources: str
    api_root: str  # REST base = f"{api_root}/ex/jira/{cloudid}"

    @classmethod
    def for_base(cls, base_url: str) -> AtlassianEndpoints:
        base = base_url.rstrip("/")
        if (urlsplit(base).hostname or "").endswith(".atlassian.net"):
            auth, api = "https://auth.atlassian.com", "https://api.atlassian.com"
        else:
            auth = api = base
        return cls(
            f"{auth}/authorize" if auth != base else f"{base}/oauth/authorize",
            f"{auth}/oauth/token",
            f"{api}/oauth/token/accessible-resources",
            api,
        )

    def rest_base(self, cloud_id: str) -> str:
        return f"{self.api_root}/ex/jira/{cloud_id}"

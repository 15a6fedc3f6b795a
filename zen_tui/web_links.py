"""Which links zen-tui opens in a browser: only the service's own web pages.

An item's URL comes from the server (`html_url`, a Slack permalink, a device-flow
verification URI). A malicious or compromised API host could hand over `file:///etc/passwd`,
`javascript:...`, a custom scheme that starts a local program, or a look-alike phishing page.
So a link is opened only when it is `https` (or `http` on the host of an account whose
configured base URL is itself `http`, such as a local simulator) and its host is the
service's web host or one of its subdomains:

- GitHub: github.com, or the configured host minus a leading `api.` (api.github.com ->
  github.com; GitHub Enterprise serves web and API on one host);
- Slack: slack.com and its subdomains (workspaces are `NAME.slack.com`);
- Jira: the configured site's host.

No Textual import: the CLI may use it too.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

PUBLIC_WEB_HOSTS: dict[str, str] = {"github": "github.com", "slack": "slack.com"}


def web_hosts(service: str, base_url: str | None) -> set[str]:
    """The hosts (each with its subdomains) whose pages `o` may open for this account."""
    hosts = {PUBLIC_WEB_HOSTS[service]} if service in PUBLIC_WEB_HOSTS else set()
    host = _host(base_url) if base_url else ""
    if host:
        hosts.add(host.removeprefix("api.") if service != "jira" else host)
    return hosts


def refusal(url: str, service: str, base_url: str | None) -> str | None:
    """None when `url` may be opened for an account of `service` at `base_url`; otherwise
    why not, as one line for the status line."""
    if not url:
        return "this item has no link"
    if not url.isprintable() or " " in url:
        return "refused to open a link with spaces or control characters in it"
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return "refused to open a malformed link"
    scheme = parts.scheme.lower()
    base = urlsplit(base_url) if base_url else None
    if scheme == "http" and base is not None and base.scheme == "http":
        if host == _host(base_url) and port == base.port:
            return None
        return f"refused to open http://{host}: plain http only to {base.netloc}, the base URL"
    if scheme != "https":
        return f"refused to open a {scheme or 'scheme-less'} link: only https links are opened"
    allowed = web_hosts(service, base_url)
    if any(_within(host, h) for h in allowed):
        return None
    where = ", ".join(sorted(allowed)) or "no configured site"
    return f"refused to open a link to {host or '?'}: not {service}'s web host ({where})"


def _host(url: str | None) -> str:
    try:
        return (urlsplit(url or "").hostname or "").lower()
    except ValueError:
        return ""


def _within(host: str, allowed: str) -> bool:
    """`host` is `allowed` or a subdomain of it (an IP address only matches itself)."""
    if host == allowed:
        return True
    try:
        ipaddress.ip_address(allowed)
    except ValueError:
        return host.endswith("." + allowed)
    return False

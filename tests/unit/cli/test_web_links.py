"""zen_tui.web_links: `o` opens only the service's own web pages (issue 9, point 7)."""

from __future__ import annotations

import pytest

from zen_tui.web_links import refusal, web_hosts

GH = "https://api.github.com"
GHE = "https://ghe.example.com/api/v3"
SLACK = "https://slack.com/api"
JIRA = "https://acme.atlassian.net"
SIM = "http://127.0.0.1:8123/jira"

OPENED = [
    ("https://github.com/acme/api/pull/1", "github", GH),
    ("https://github.com/acme/api/pull/1", "github", None),  # not configured: the public host
    ("https://gist.github.com/x", "github", GH),
    ("https://ghe.example.com/acme/api/pull/1", "github", GHE),
    ("https://acme.slack.com/archives/C1/p1", "slack", SLACK),
    ("https://acme.atlassian.net/browse/X-1", "jira", JIRA),
    ("http://127.0.0.1:8123/jira/browse/X-1", "jira", SIM),  # an http base URL: http on it
    ("HTTPS://GitHub.com/a", "github", GH),
]
REFUSED = [
    ("file:///etc/passwd", "github", GH, "file link"),
    ("javascript:alert(1)", "github", GH, "javascript link"),
    ("vscode://open?x=1", "github", GH, "vscode link"),
    ("/relative/path", "github", GH, "scheme-less link"),
    ("http://github.com/acme", "github", GH, "only https"),  # no http on an https account
    ("https://evil.example/acme", "github", GH, "not github's web host (github.com)"),
    ("https://github.com.evil.example/", "github", GH, "not github's web host"),
    ("https://evilgithub.com/", "github", GH, "not github's web host"),
    ("https://github.com@evil.example/", "github", GH, "evil.example"),
    ("https://other.atlassian.net/browse/X-1", "jira", JIRA, "not jira's web host"),
    ("https://acme.atlassian.net/browse/X-1", "jira", None, "no configured site"),
    ("http://127.0.0.1:9999/x", "jira", SIM, "plain http only to 127.0.0.1:8123"),
    ("http://evil.example/", "jira", SIM, "plain http only"),
    ("https://1.2.3.4.127.0.0.1/", "jira", "https://127.0.0.1", "not jira's web host"),
    ("https://github.com/a\x1b]52;c;eA==\x07", "github", GH, "control characters"),
    ("https://github.com/a b", "github", GH, "spaces"),
    ("https://[::1/", "github", GH, "malformed"),
    ("", "github", GH, "no link"),
]


@pytest.mark.parametrize(("url", "service", "base"), OPENED)
def test_the_services_own_pages_open(url: str, service: str, base: str | None) -> None:
    assert refusal(url, service, base) is None


@pytest.mark.parametrize(("url", "service", "base", "why"), REFUSED)
def test_anything_else_is_refused_with_the_reason(
    url: str, service: str, base: str | None, why: str
) -> None:
    reason = refusal(url, service, base)
    assert reason is not None and why in reason, reason
    assert reason.startswith(("refused", "this item"))


def test_web_hosts() -> None:
    assert web_hosts("github", GH) == {"github.com"}
    assert web_hosts("github", GHE) == {"github.com", "ghe.example.com"}
    assert web_hosts("slack", SLACK) == {"slack.com"}
    assert web_hosts("jira", "https://api.example.net") == {"api.example.net"}

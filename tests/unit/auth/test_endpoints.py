from __future__ import annotations

import pytest

from zen_tui.auth.endpoints import (
    SIMULATOR_CLIENT_ID,
    AtlassianEndpoints,
    AuthConfigError,
    SlackEndpoints,
    github_root,
    oauth_app,
)


@pytest.mark.parametrize(
    ("base", "root"),
    [
        ("https://api.github.com", "https://github.com"),
        ("https://ghe.corp.example/api/v3", "https://ghe.corp.example"),
        ("http://127.0.0.1:8765/github", "http://127.0.0.1:8765/github"),
    ],
)
def test_github_oauth_root(base: str, root: str) -> None:
    assert github_root(base) == root


def test_slack_endpoints_real_and_simulated() -> None:
    real = SlackEndpoints.for_base("https://slack.com/api")
    assert real.authorize == "https://slack.com/oauth/v2/authorize"
    assert real.access == "https://slack.com/api/oauth.v2.access"
    sim = SlackEndpoints.for_base("http://127.0.0.1:9/slack/api/")
    assert sim.authorize == "http://127.0.0.1:9/slack/oauth/v2/authorize"


def test_atlassian_endpoints_real_and_simulated() -> None:
    real = AtlassianEndpoints.for_base("https://acme.atlassian.net")
    assert real.authorize == "https://auth.atlassian.com/authorize"
    assert real.token == "https://auth.atlassian.com/oauth/token"
    assert real.rest_base("c1") == "https://api.atlassian.com/ex/jira/c1"
    sim = AtlassianEndpoints.for_base("http://127.0.0.1:9/jira")
    assert sim.authorize == "http://127.0.0.1:9/jira/oauth/authorize"
    assert sim.resources == "http://127.0.0.1:9/jira/oauth/token/accessible-resources"
    assert sim.rest_base("c1") == "http://127.0.0.1:9/jira/ex/jira/c1"


def test_client_ids_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZEN_GITHUB_CLIENT_ID", raising=False)
    with pytest.raises(AuthConfigError, match="export ZEN_GITHUB_CLIENT_ID="):
        oauth_app("github", "https://api.github.com")
    monkeypatch.setenv("ZEN_GITHUB_CLIENT_ID", "Iv1.abc")
    assert oauth_app("github", "https://api.github.com").client_id == "Iv1.abc"


def test_atlassian_needs_a_secret_except_for_the_simulator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ZEN_ATLASSIAN_CLIENT_ID", "cid")
    monkeypatch.delenv("ZEN_ATLASSIAN_CLIENT_SECRET", raising=False)
    with pytest.raises(AuthConfigError, match="ZEN_ATLASSIAN_CLIENT_SECRET"):
        oauth_app("jira", "https://acme.atlassian.net")
    monkeypatch.delenv("ZEN_ATLASSIAN_CLIENT_ID")
    sim = oauth_app("jira", "http://127.0.0.1:9/jira")
    assert sim.client_id == SIMULATOR_CLIENT_ID and sim.client_secret
    assert sim.client_secret not in repr(sim)

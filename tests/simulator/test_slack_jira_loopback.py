"""The Jira and Slack look-alikes over real loopback sockets, mounted by SimulatorServer, with
the core's fault injection answering in each service's own shapes."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from zen_tui.simulator.server import SimulatorServer


@pytest.fixture(scope="module")
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer(seed=3, size=1000) as sim:
        yield sim


def jira_client(server: SimulatorServer) -> httpx.Client:
    acc = server.account("jira")
    assert acc.username
    return httpx.Client(base_url=acc.base_url, auth=(acc.username, acc.token), timeout=5)


def slack_client(server: SimulatorServer) -> httpx.Client:
    acc = server.account("slack")
    headers = {"Authorization": f"Bearer {acc.token}"}
    return httpx.Client(base_url=acc.base_url, headers=headers, timeout=5)


def test_jira_search_over_sockets_with_basic_auth(server: SimulatorServer) -> None:
    with jira_client(server) as jira:
        body = jira.post(
            "/rest/api/3/search/jql",
            json={
                "jql": "assignee = currentUser() ORDER BY updated DESC",
                "fields": ["summary"],
                "maxResults": 10,
            },
        ).json()
        assert body["issues"] and body["issues"][0]["fields"]["summary"]
        me = jira.get("/rest/api/3/myself")
        assert me.status_code == 200 and me.headers["x-arequestid"]


def test_slack_methods_over_sockets_with_the_user_token(server: SimulatorServer) -> None:
    with slack_client(server) as slack:
        me = slack.post("/auth.test").json()
        assert me["ok"] is True
        found = slack.get("/search.messages", params={"query": f"<@{me['user_id']}>"}).json()
        assert found["ok"] is True and found["messages"]["total"] > 0


def test_faults_use_the_services_own_shapes(server: SimulatorServer) -> None:
    server.set_faults(
        [
            {"service": "jira", "rate_limit_rate": 1.0, "retry_after": 7},
            {"service": "slack", "error_rate": 1.0, "statuses": [503]},
        ]
    )
    try:
        with jira_client(server) as jira, slack_client(server) as slack:
            limited = jira.get("/rest/api/3/myself")
            assert limited.status_code == 429 and limited.headers["retry-after"] == "7"
            assert limited.headers["x-ratelimit-reset"].endswith("Z")
            assert limited.json()["errorMessages"]
            down = slack.post("/auth.test")
            assert down.status_code == 503 and down.json()["ok"] is False
    finally:
        server.clear_faults()

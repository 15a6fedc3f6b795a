"""Jira's three limits, each scoped as Atlassian's rate-limiting guide says and named by the
429's RateLimit-Reason: a burst budget per endpoint and HTTP method (jira-burst-based), a
write budget per issue (jira-per-issue-on-write), and (for OAuth traffic, see
test_jira_oauth.py) the tenant's points quota. A fault rule may name any reason."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import ManualClock, mounted_client
from tests.simulator.jira_helpers import API, basic
from zen_tui.simulator.app import build_app
from zen_tui.simulator.core.faults import FaultRule, FaultRuleError
from zen_tui.simulator.jira.service import JiraSim

ADF = {
    "type": "doc",
    "version": 1,
    "content": [{"type": "paragraph", "content": [{"type": "text", "text": "again"}]}],
}


def two_keys(jira: JiraSim) -> tuple[str, str]:
    first, second, *_ = sorted(jira.issues)
    return first, second


async def comment(jira_client: httpx.AsyncClient, key: str) -> httpx.Response:
    return await jira_client.post(f"{API}/issue/{key}/comment", json={"body": ADF})


async def test_a_burst_429_is_one_endpoint_and_method(
    jira_client: httpx.AsyncClient, jira: JiraSim, jira_clock: ManualClock
) -> None:
    jira.burst_per_minute = 3
    search = {"jql": "project = ZEN", "maxResults": 5}
    for _ in range(3):
        assert (await jira_client.post(f"{API}/search/jql", json=search)).status_code == 200
    limited = await jira_client.post(f"{API}/search/jql", json=search)
    assert limited.status_code == 429
    assert limited.headers["RateLimit-Reason"] == "jira-burst-based"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.headers["X-RateLimit-Limit"] == "3"
    key, _ = two_keys(jira)
    # Another endpoint, and the same path by another method, have budgets of their own.
    assert (await jira_client.get(f"{API}/issue/{key}")).status_code == 200
    assert (await jira_client.get(f"{API}/myself")).status_code == 200
    assert (await jira_client.get(f"{API}/search/jql", params={"jql": "project = ZEN"})).is_success
    jira_clock.now += 61
    assert (await jira_client.post(f"{API}/search/jql", json=search)).status_code == 200


async def test_one_issue_s_write_budget_leaves_other_issues_and_reads_alone(
    jira_client: httpx.AsyncClient, jira: JiraSim, jira_clock: ManualClock
) -> None:
    jira.issue_writes_per_minute = 2
    a, b = two_keys(jira)
    assert [(await comment(jira_client, a)).status_code for _ in range(2)] == [201, 201]
    by_id = str(jira.issues[a].id)  # the same issue named by its id: the same budget
    limited = await jira_client.put(f"{API}/issue/{by_id}/assignee", json={"accountId": None})
    assert limited.status_code == 429
    assert limited.headers["RateLimit-Reason"] == "jira-per-issue-on-write"
    assert limited.headers["X-RateLimit-Limit"] == "2"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.json()["errorMessages"]
    assert (await comment(jira_client, a)).status_code == 429
    assert (await comment(jira_client, b)).status_code == 201  # another issue's writes go on
    assert (await jira_client.get(f"{API}/issue/{a}")).status_code == 200  # and reads of it
    assert (await jira_client.get(f"{API}/issue/{a}/comment")).status_code == 200
    jira_clock.now += 61
    assert (await comment(jira_client, a)).status_code == 201


async def test_settings_and_rate_scale_set_both_budgets(jira: JiraSim) -> None:
    jira.world.rate_scale = 0.1
    async with mounted_client(jira, headers=basic()) as jira_client:
        a, _ = two_keys(jira)
        codes = [(await comment(jira_client, a)).status_code for _ in range(3)]
    assert codes == [201, 201, 429]  # 20 writes a minute x 0.1


async def test_a_fault_rule_names_the_limit_its_429s_name(jira: JiraSim) -> None:
    app = build_app(jira.world)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as jira_client:
        rules = [
            {"service": "jira", "endpoint": "/rest/api/3/myself", "rate_limit_rate": 1.0},
            {
                "service": "jira",
                "endpoint": "/rest/api/3/search/*",
                "rate_limit_rate": 1.0,
                "retry_after": 30,
                "rate_limit_reason": "jira-quota-global-based",
            },
        ]
        assert (await jira_client.put("/_sim/faults", json={"rules": rules})).status_code == 200
        plain = await jira_client.get("/jira/rest/api/3/myself", headers=basic())
        assert plain.status_code == 429
        assert plain.headers["RateLimit-Reason"] == "jira-burst-based"
        named = await jira_client.post("/jira/rest/api/3/search/jql", json={}, headers=basic())
        assert named.status_code == 429 and named.headers["Retry-After"] == "30"
        assert named.headers["RateLimit-Reason"] == "jira-quota-global-based"
    with pytest.raises(FaultRuleError, match="rate_limit_reason"):
        FaultRule.from_dict({"rate_limit_reason": "a\nb"})

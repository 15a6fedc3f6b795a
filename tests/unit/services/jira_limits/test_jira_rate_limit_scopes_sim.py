"""Jira limits three things at once, each with its own scope, and a 429 names which in
RateLimit-Reason (Atlassian's rate-limiting guide): a burst limit is one endpoint and HTTP
method, a per-issue limit the writes to one issue, a quota the whole account. The Jira
client pauses what the 429 names, no more. Against the simulator, on one virtual clock."""

from __future__ import annotations

from typing import Any

import pytest

from zen_tui.gateway import FakeClock
from zen_tui.gateway.errors import RateLimited
from zen_tui.models import Issue
from zen_tui.services.jira import API, JiraClient

from ..conftest import section
from .conftest import comment


async def two_issues(jira: JiraClient) -> tuple[Issue, Issue]:
    query = section("jira", "project = ZEN ORDER BY key ASC")
    a, b, *_ = (await jira.fetch_section(query, limit=5)).items
    assert isinstance(a, Issue) and isinstance(b, Issue)
    return a, b


async def search(jira: JiraClient) -> Any:
    body: dict[str, str | int] = {"jql": "project = ZEN", "maxResults": 1}
    return await jira.gateway.request(
        "POST", f"{API}/search/jql", endpoint=f"{API}/search/jql", json=body
    )


async def test_a_per_issue_429_pauses_that_issue_s_writes_only(
    sim: Any, clock: FakeClock, jira: JiraClient
) -> None:
    a, b = await two_issues(jira)
    sim.world.services["jira"].issue_writes_per_minute = 2
    for n in range(2):
        assert (await jira.apply(comment(a, f"a{n}"), idempotency_key=f"pi-a{n}")).ok
    with pytest.raises(RateLimited) as limited:  # Jira: jira-per-issue-on-write
        await jira.apply(comment(a, "a2"), idempotency_key="pi-a2")
    assert limited.value.retry_at is not None and limited.value.retry_at > clock.time() + 30
    start = clock.time()
    assert (await jira.apply(comment(b, "b0"), idempotency_key="pi-b0")).ok
    assert (await jira.details(a)).error is None  # reads of the paused issue go on
    assert (await two_issues(jira))[0].key == a.key
    assert clock.time() - start < 1.0, "waited for issue A's Retry-After"
    sim.reset_counters()
    with pytest.raises(RateLimited):  # A's writes stay paused, without asking Jira
        await jira.apply(comment(a, "a3"), idempotency_key="pi-a3")
    assert not [c for c in sim.counters()["requests"] if "comment" in c["endpoint"]]


async def test_a_burst_429_on_search_leaves_issue_reads_and_writes_alone(
    sim: Any, clock: FakeClock, jira: JiraClient
) -> None:
    a, _ = await two_issues(jira)  # one search spent
    sim.world.services["jira"].burst_per_minute = 1  # each endpoint and method: 1 a minute
    with pytest.raises(RateLimited):  # Jira: jira-burst-based, on POST /search/jql alone
        await search(jira)
    start = clock.time()
    assert (await jira.details(a)).error is None  # GET /issue/{key}, its transitions
    assert (await jira.apply(comment(a, "burst"), idempotency_key="burst-1")).ok
    assert clock.time() - start < 1.0, "waited for the search's Retry-After"
    with pytest.raises(RateLimited):  # the search itself stays paused
        await search(jira)


@pytest.mark.parametrize("reason", ["jira-quota-global-based", "jira-quota-tenant-based", ""])
async def test_a_quota_429_or_one_naming_no_known_limit_pauses_the_account(
    sim: Any, clock: FakeClock, jira: JiraClient, reason: str
) -> None:
    a, b = await two_issues(jira)
    named = reason or "jira-something-new"  # a reason the client does not know
    rule = {"service": "jira", "endpoint": "/rest/api/3/search/*", "rate_limit_rate": 1.0}
    sim.set_faults([{**rule, "retry_after": 60, "rate_limit_reason": named}])
    with pytest.raises(RateLimited):
        await search(jira)
    sim.clear_faults()
    start = clock.time()
    detail = await jira.details(a)
    assert detail.error is not None and "rate limited" in detail.error
    with pytest.raises(RateLimited):
        await jira.apply(comment(b, "quota"), idempotency_key=f"quota-{named}")
    assert clock.time() - start < 1.0
    clock.advance(125.0)  # past the pause and the reset it reported (the next minute)
    assert (await jira.details(a)).error is None

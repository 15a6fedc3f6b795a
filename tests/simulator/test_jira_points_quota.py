"""Jira's hourly points quota for OAuth (3LO) traffic, as Atlassian documents it (rate-limiting
guide, 2026-03) and as its beta headers were observed (developer community, 2026-03): every
call costs 1 point, a read 1 more per object it returns, a write the 1 alone; the quota
resets on the hour, `t` counting down to it; below 20 % NearLimit comes; once spent, a 429
whose RateLimit-Reason names the tenant quota and whose Retry-After runs to the hour, and
no Beta-RateLimit-Policy any more (X-Beta-RateLimit-Reset instead). API-token traffic is
not affected."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from tests.helpers import ManualClock, mounted_client
from tests.simulator.jira_helpers import API, NOW
from zen_tui.simulator.jira.service import JiraSim

TOKEN = "a-3lo-access-token"
TO_THE_HOUR = 3600 - int(NOW) % 3600  # NOW is 800 s into an hour
ADF = {
    "type": "doc",
    "version": 1,
    "content": [{"type": "paragraph", "content": [{"type": "text", "text": "seen"}]}],
}


@pytest.fixture
async def app_client(jira: JiraSim) -> AsyncIterator[httpx.AsyncClient]:
    """The module's `jira` as an OAuth (3LO) app sees it: api.atlassian.com/ex/jira/{cloudid}."""
    jira.oauth.access[TOKEN] = (NOW + 10**7, "read:jira-work write:jira-work")
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with mounted_client(jira, f"/ex/jira/{jira.cloud_id}", headers=auth) as c:
        yield c


def left(response: httpx.Response) -> tuple[int, int]:
    """(r, t) of the answer's Beta-RateLimit."""
    name, r, t = response.headers["Beta-RateLimit"].split(";")
    assert name == '"tenant-app-quota"'
    return int(r.removeprefix("r=")), int(t.removeprefix("t="))


def commented(jira: JiraSim) -> str:
    return next(key for key, issue in sorted(jira.issues.items()) if len(issue.comments) >= 2)


async def test_a_read_costs_a_point_and_one_per_object_a_write_the_point_alone(
    jira: JiraSim, app_client: httpx.AsyncClient
) -> None:
    jira.points_per_hour = 10_000
    key = commented(jira)
    comments = len(jira.issues[key].comments)
    spent = 0

    async def costs(response: httpx.Response) -> int:
        nonlocal spent
        assert response.is_success, response.text
        was, spent = spent, 10_000 - left(response)[0]
        return spent - was

    search = {"jql": "project = ZEN", "maxResults": 7, "fields": ["summary"]}
    assert await costs(await app_client.post(f"{API}/search/jql", json=search)) == 1 + 7
    assert await costs(await app_client.get(f"{API}/issue/{key}")) == 1 + 1
    assert await costs(await app_client.get(f"{API}/issue/{key}/comment")) == 1 + comments
    assert await costs(await app_client.get(f"{API}/issue/{key}/transitions")) == 1
    assert await costs(await app_client.post(f"{API}/issue/{key}/comment", json={"body": ADF})) == 1
    missing = await app_client.get(f"{API}/issue/NOPE-1")
    assert missing.status_code == 404 and left(missing)[0] == 10_000 - spent - 1  # nothing found


async def test_the_quota_resets_on_the_hour_and_t_counts_down_to_it(
    jira: JiraSim, jira_clock: ManualClock, app_client: httpx.AsyncClient
) -> None:
    jira.points_per_hour = 1_000
    first = await app_client.get(f"{API}/myself")
    assert first.headers["Beta-RateLimit-Policy"] == '"tenant-app-quota";q=1000;w=3600'
    assert left(first) == (999, TO_THE_HOUR)
    jira_clock.now += TO_THE_HOUR - 1  # a second before the hour: the same window
    assert left(await app_client.get(f"{API}/myself")) == (998, 1)
    jira_clock.now += 1
    assert left(await app_client.get(f"{API}/myself")) == (999, 3600)


async def test_near_the_limit_nearlimit_and_the_reason_come(
    jira: JiraSim, app_client: httpx.AsyncClient
) -> None:
    jira.points_per_hour = 10
    answers = [await app_client.get(f"{API}/myself") for _ in range(9)]
    near = [a.headers.get("X-Beta-RateLimit-NearLimit") for a in answers]
    assert near == [None] * 8 + ["true"]  # 1 of 10 left is under 20 %; 2 is not
    assert answers[-1].headers["X-Beta-RateLimit-Reason"] == "jira-quota-tenant-based"
    assert "X-Beta-RateLimit-Reason" not in answers[0].headers


async def test_a_spent_quota_refuses_reads_and_writes_until_the_hour(
    jira: JiraSim,
    jira_clock: ManualClock,
    app_client: httpx.AsyncClient,
    jira_client: httpx.AsyncClient,
) -> None:
    jira.points_per_hour = 20
    key = commented(jira)
    search = {"jql": "project = ZEN", "maxResults": 30}
    spent = await app_client.post(f"{API}/search/jql", json=search)  # overdraws the last points
    assert spent.status_code == 200 and left(spent)[0] == 0
    assert "Beta-RateLimit-Policy" not in spent.headers  # as observed once r is 0
    hour = datetime.fromtimestamp(NOW + TO_THE_HOUR, UTC).strftime("%Y-%m-%dT%H:%MZ")
    assert spent.headers["X-Beta-RateLimit-Reset"] == hour
    for refused in (
        await app_client.get(f"{API}/issue/{key}"),
        await app_client.post(f"{API}/issue/{key}/comment", json={"body": ADF}),
    ):
        assert refused.status_code == 429
        assert refused.headers["RateLimit-Reason"] == "jira-quota-tenant-based"
        assert refused.headers["X-Beta-RateLimit-Reason"] == "jira-quota-tenant-based"
        assert refused.headers["Retry-After"] == str(TO_THE_HOUR)
        assert refused.headers["X-RateLimit-Reset"] == hour
        assert left(refused) == (0, TO_THE_HOUR)
    # API-token traffic (Basic, at the site URL) is not affected
    assert (await jira_client.get(f"{API}/issue/{key}")).status_code == 200
    jira_clock.now += TO_THE_HOUR
    again = await app_client.get(f"{API}/issue/{key}")
    assert again.status_code == 200 and left(again) == (18, 3600)

"""Jira's hourly points quota, as its beta headers report it to OAuth (3LO) apps
(developer community, 2026-03: `Beta-RateLimit-Policy: "tenant-app-quota";q=100100;w=3600`,
`Beta-RateLimit: "tenant-app-quota";r=17842;t=2107`, X-Beta-RateLimit-NearLimit, and once
spent no policy but X-Beta-RateLimit-Reset). A beta: read leniently, never raising, an
unreadable one said once in the log. The gateway paces reads by it, not writes."""

from __future__ import annotations

import logging
import random
import string

import httpx
import pytest

from zen_tui.gateway.errors import RateLimited
from zen_tui.gateway.events import QuotaUpdated
from zen_tui.gateway.limiter import CostMeter
from zen_tui.gateway.profiles import PointsQuota, profile_for

from .conftest import near, settings_for

JIRA = profile_for("jira")
NOW = 1_790_000_000.0
OBSERVED = {
    "beta-ratelimit-policy": '"tenant-app-quota";q=100100;w=3600',
    "beta-ratelimit": '"tenant-app-quota";r=17842;t=2107',
    "x-beta-ratelimit-reason": "jira-quota-tenant-based",
    "x-beta-ratelimit-nearlimit": "true",
}


def test_the_observed_headers_read_as_a_quota() -> None:
    quota, problem = JIRA.points_quota(OBSERVED, NOW)
    assert problem is None
    assert quota == PointsQuota(remaining=17842, reset_at=NOW + 2107, limit=100100, near_limit=True)


@pytest.mark.parametrize(
    ("policy", "said"),
    [
        ('"tenant-app-quota";q=500;w=3600', '"tenant-app-quota";r=40;t=60'),
        ('"tenant-app-quota" ; q = 500 ; w = 3600', ' "tenant-app-quota" ;r= 40 ; t =60 '),
        ("tenant-app-quota;q=500;w=3600", "tenant-app-quota;r=40;t=60"),  # a bare name
        ('"tenant-app-quota";Q="500";W=3600', '"tenant-app-quota";R="40";T="60"'),
        ("q=500;w=3600", "r=40;t=60"),  # no name at all
        ('"tenant-app-quota";q=500;w=3600', '"tenant-app-quota";r=40.0;t=60.9;x=extra'),
    ],
)
def test_odd_spacing_quoting_and_case_read_the_same(policy: str, said: str) -> None:
    headers = {"beta-ratelimit-policy": policy, "beta-ratelimit": said}
    quota, problem = JIRA.points_quota(headers, NOW)
    assert problem is None and quota is not None
    assert (quota.remaining, quota.reset_at, quota.limit, quota.near_limit) == (
        40,
        NOW + 60,
        500,
        False,
    )


def test_missing_headers_are_no_quota_and_no_problem() -> None:
    assert JIRA.points_quota({}, NOW) == (None, None)  # API-token traffic
    policy_only = {"beta-ratelimit-policy": OBSERVED["beta-ratelimit-policy"]}
    assert JIRA.points_quota(policy_only, NOW) == (None, None)
    assert profile_for("github").points_quota(OBSERVED, NOW) == (None, None)


def test_a_spent_quota_without_its_policy_resets_where_t_says() -> None:
    spent = {"beta-ratelimit": '"tenant-app-quota";r=0;t=2788'}  # as observed: no policy
    quota, _ = JIRA.points_quota(spent, NOW)
    assert quota == PointsQuota(remaining=0, reset_at=NOW + 2788, limit=None, near_limit=False)
    no_t = {
        "beta-ratelimit": '"tenant-app-quota";r=0',
        "x-beta-ratelimit-reset": "2026-09-21T15:00Z",
    }
    quota, _ = JIRA.points_quota(no_t, NOW)
    assert quota is not None and quota.reset_at == 1_790_002_800.0  # the next hour
    past = {**no_t, "x-beta-ratelimit-reset": "2026-03-26T16:00Z"}  # seen: the window's start
    quota, problem = JIRA.points_quota(past, NOW)
    assert quota is None and problem is not None and "reset" in problem


def test_of_several_policies_the_one_running_out_first_governs() -> None:
    headers = {
        "beta-ratelimit-policy": (
            '"global-app-quota";q=900000;w=3600, "tenant-app-quota";q=500;w=3600'
        ),
        "beta-ratelimit": '"global-app-quota";r=800000;t=100, "tenant-app-quota";r=20;t=100',
    }
    quota, _ = JIRA.points_quota(headers, NOW)
    assert quota is not None and (quota.remaining, quota.limit) == (20, 500)


@pytest.mark.parametrize(
    "said",
    [
        "",
        "garbage",
        ";;;",
        '"tenant-app-quota"',
        "r=;t=",
        "r=-5;t=10",
        "r=nan;t=10",
        "r=inf;t=1",
        "r=1e999;t=1",
        '"\x1b[31m";r=x',
        "r=5;t=-1",
        "r=5",
        ",,,",
        "=;=",
        '"unterminated;r=5',
    ],
)
def test_garbage_is_a_problem_said_never_a_raise(said: str) -> None:
    quota, problem = JIRA.points_quota({"beta-ratelimit": said}, NOW)
    if quota is None:
        assert problem is not None and "Beta-RateLimit" in problem and "\x1b" not in problem
    else:  # read leniently: what is there is a count and a time ahead
        assert quota.remaining >= 0 and quota.reset_at >= NOW


@pytest.mark.parametrize("seed", range(5))
def test_random_header_text_never_raises(seed: int) -> None:
    rng = random.Random(seed)
    alphabet = string.printable + '";=,\x00\x7f\u00e9'
    for _ in range(400):
        headers = {
            name: "".join(rng.choice(alphabet) for _ in range(rng.randrange(40)))
            for name in ("beta-ratelimit", "beta-ratelimit-policy", "x-beta-ratelimit-reset")
        }
        if rng.random() < 0.5:
            headers["beta-ratelimit"] = f"r={rng.randrange(100)};" + headers["beta-ratelimit"]
        quota, problem = JIRA.points_quota(headers, NOW)
        assert (quota is None) != (problem is None)


def test_the_cost_meter_learns_each_read_s_drop_in_one_window() -> None:
    meter = CostMeter()
    meter.observe("/search/jql", 1000, NOW + 100)
    assert meter.per_read() is None  # one report says nothing of a cost
    meter.observe("/search/jql", 970, NOW + 101)  # the next: 30 points
    meter.observe("/issue/{key}", 968, NOW + 100)  # 2 points
    meter.observe(None, 967, NOW + 100)  # a write: the base point, no read's cost
    meter.observe("/search/jql", 968, NOW + 100)  # answers that crossed: nothing learnt
    assert meter.per_read() == 30  # the dearest endpoint's
    meter.observe("/search/jql", 99_000, NOW + 3700)  # a new window: no drop to learn
    meter.observe("/search/jql", 98_980, NOW + 3700)
    assert meter.per_read() == near(30 + 0.3 * (20 - 30))


def beta(remaining: int, *, t: int = 1000, q: int = 100) -> dict[str, str]:
    return {
        "Beta-RateLimit-Policy": f'"tenant-app-quota";q={q};w=3600',
        "Beta-RateLimit": f'"tenant-app-quota";r={remaining};t={t}',
    }


async def test_reads_are_paced_by_the_quota_and_writes_are_not(
    router, make_gateway, clock, recorder
) -> None:
    left = iter(range(90, 0, -10))  # each search costs 10 points of 100
    router.post("/rest/api/3/search/jql").mock(
        side_effect=lambda _: httpx.Response(200, json={}, headers=beta(next(left)))
    )
    comment = router.post("/rest/api/3/issue/ZEN-1/comment").respond(201, json={})
    gw = make_gateway(settings_for("jira"), service="jira", account="jira")
    await gw.request("POST", "/rest/api/3/search/jql")
    await gw.request("POST", "/rest/api/3/search/jql")
    points = gw.health().buckets["points"]
    assert (points.limit, points.remaining, points.reset_at) == (100, 80, near(clock.time() + 1000))
    assert points.cost == 10  # learnt from the drop
    assert points.capacity == 7  # whole calls: what 90 % of the quota pays for (7.2)
    quota = recorder.of(QuotaUpdated)[-1]
    assert (quota.scope, quota.limit, quota.remaining) == ("points", 100, 80)
    while gw.health().buckets["points"].tokens >= 1:
        await gw.request("POST", "/rest/api/3/search/jql")
    with pytest.raises(RateLimited) as paced:  # the next read would wait past its deadline
        await gw.request("POST", "/rest/api/3/search/jql", deadline=1.0)
    assert paced.value.scope is None  # the account's quota, not one endpoint's
    assert paced.value.retry_at is not None and paced.value.retry_at > clock.time() + 60
    start = clock.time()
    await gw.request("POST", "/rest/api/3/issue/ZEN-1/comment")  # a triage write: not paced
    # by the points quota (an hour away); at most the second the reads above spent of the
    # account's 10 calls a second.
    assert comment.call_count == 1 and clock.time() - start <= 1.0


async def test_unreadable_headers_are_said_once_and_change_nothing(
    router, make_gateway, caplog
) -> None:
    bad = {"Beta-RateLimit": "\x1b[2Jtenant quota: plenty"}
    router.get("/rest/api/3/myself").respond(200, json={}, headers=bad)
    gw = make_gateway(settings_for("jira"), service="jira", account="jira")
    with caplog.at_level(logging.DEBUG, logger="zen_tui.gateway"):
        for _ in range(5):
            await gw.request("GET", "/rest/api/3/myself")
    said = [r.getMessage() for r in caplog.records if "Beta-RateLimit" in r.getMessage()]
    assert len(said) == 1 and "\x1b" not in said[0] and "points quota" in said[0]
    assert "points" not in gw.health().buckets


async def test_api_token_answers_without_the_headers_make_no_points_bucket(
    router, make_gateway, caplog
) -> None:
    router.get("/rest/api/3/myself").respond(200, json={})
    gw = make_gateway(settings_for("jira"), service="jira", account="jira")
    with caplog.at_level(logging.DEBUG, logger="zen_tui.gateway"):
        await gw.request("GET", "/rest/api/3/myself")
    assert "points" not in gw.health().buckets
    assert not [r for r in caplog.records if "Beta" in r.getMessage()]


async def test_near_the_limit_is_said_once_a_window(router, make_gateway, clock, caplog) -> None:
    near_limit = {**beta(15), "X-Beta-RateLimit-NearLimit": "true"}
    router.get("/rest/api/3/myself").respond(200, json={}, headers=near_limit)
    gw = make_gateway(settings_for("jira"), service="jira", account="jira")
    with caplog.at_level(logging.INFO, logger="zen_tui.gateway"):
        for _ in range(3):
            await gw.request("GET", "/rest/api/3/myself")
        clock.advance(3600)  # the next window (t counts from now again), near its end too
        await gw.request("GET", "/rest/api/3/myself")
    said = [r.getMessage() for r in caplog.records if "nearly spent" in r.getMessage()]
    assert len(said) == 2 and "15 left" in said[0]

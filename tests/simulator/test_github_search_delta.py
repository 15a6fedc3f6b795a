"""GitHub search date qualifiers (`updated:>=` delta polls) and the `sort:` qualifier."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx
import pytest

from tests.simulator.github_helpers import open_pr
from zen_tui.simulator.github.dates import BadDate, bounds
from zen_tui.simulator.github.service import GitHubSim


def stamp(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


async def search(gh: httpx.AsyncClient, q: str, **params: str) -> list[dict]:
    r = await gh.get("/search/issues", params={"q": q, "per_page": "100", **params})
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_delta_poll_returns_only_what_changed_since_the_cursor(
    gh: httpx.AsyncClient,
    sim: GitHubSim,
    clock,
) -> None:
    cursor = stamp(max(i.updated for i in sim.state.items))
    before = await search(gh, f"is:open updated:>={cursor}")
    # `>=` keeps the cursor's own second (delta polls must not miss a same-second change)
    assert before and all(it["updated_at"] == cursor for it in before)
    clock.now += 30
    pr = open_pr(sim)
    r = await gh.post(
        f"/repos/{pr.repo.full_name}/issues/{pr.number}/comments", json={"body": "delta"}
    )
    assert r.status_code == 201
    after = await search(gh, f"is:open updated:>={stamp(clock.now)}")
    assert [it["number"] for it in after] == [pr.number]
    assert after[0]["updated_at"] == stamp(clock.now)


async def test_strictly_after_excludes_the_cursor_second(
    gh: httpx.AsyncClient,
    sim: GitHubSim,
) -> None:
    newest = max(i.updated for i in sim.state.items)
    assert await search(gh, f"updated:>{stamp(newest)}") == []
    total = len(await search(gh, f"is:pr updated:<{stamp(newest)}", per_page="100"))
    assert total > 0


@pytest.mark.parametrize(
    ("qualifier", "check"),
    [
        ("updated:>={d}", lambda t, day: t >= day),
        ("updated:>{d}", lambda t, day: t >= day + 86400),
        ("updated:<={d}", lambda t, day: t < day + 86400),
        ("updated:<{d}", lambda t, day: t < day),
        ("updated:{d}", lambda t, day: day <= t < day + 86400),
        ("updated:{d}..*", lambda t, day: t >= day),
        ("updated:*..{d}", lambda t, day: t < day + 86400),
    ],
)
async def test_date_only_values_mean_whole_utc_days(
    gh: httpx.AsyncClient,
    sim: GitHubSim,
    qualifier: str,
    check,
) -> None:
    issues = sorted(i.updated for i in sim.state.items if not i.is_pr)
    day_text = time.strftime("%Y-%m-%d", time.gmtime(issues[len(issues) // 2]))
    day = datetime.strptime(day_text, "%Y-%m-%d").replace(tzinfo=UTC).timestamp()
    q = "is:issue " + qualifier.format(d=day_text)
    r = await gh.get("/search/issues", params={"q": q})
    expected = [i for i in sim.state.items if not i.is_pr and check(i.updated, day)]
    assert r.json()["total_count"] == len(expected) > 0


async def test_created_and_closed_ranges(
    gh: httpx.AsyncClient,
    sim: GitHubSim,
) -> None:
    times = sorted(i.created for i in sim.state.items)
    low, high = stamp(times[10]), stamp(times[50])
    r = await gh.get("/search/issues", params={"q": f"created:{low}..{high}"})
    lo, hi = bounds(f"{low}..{high}")
    assert r.json()["total_count"] == sum(1 for i in sim.state.items if lo <= i.created < hi)
    closed = await gh.get("/search/issues", params={"q": "closed:>2000-01-01"})
    assert closed.json()["total_count"] == sum(1 for i in sim.state.items if i.closed)


@pytest.mark.parametrize("bad", ["updated:>=yesterday", "created:2026-13-45", "updated:>=1..x"])
async def test_bad_date_is_422_validation_failed(
    gh: httpx.AsyncClient,
    bad: str,
) -> None:
    r = await gh.get("/search/issues", params={"q": f"is:pr {bad}"})
    assert r.status_code == 422
    assert r.json()["message"] == "Validation Failed"
    assert r.json()["errors"][0]["field"] == "q"


async def test_sort_qualifier_in_q_and_sort_param_precedence(
    gh: httpx.AsyncClient,
) -> None:
    asc = [it["updated_at"] for it in await search(gh, "is:issue sort:updated-asc")]
    assert asc == sorted(asc) and asc[0] < asc[-1]
    desc = [it["updated_at"] for it in await search(gh, "is:issue sort:updated-desc")]
    assert desc == sorted(desc, reverse=True)
    created = [it["created_at"] for it in await search(gh, "is:issue sort:created-asc")]
    assert created == sorted(created)
    overridden = await search(gh, "is:issue sort:updated-asc", sort="updated", order="desc")
    assert [it["updated_at"] for it in overridden] == desc


def test_bounds_of_a_datetime_are_one_second() -> None:
    start, end = bounds("2026-11-27T04:00:00Z")
    assert end - start == 1.0
    assert bounds("2026-11-27T05:00:00+01:00") == (start, end)
    with pytest.raises(BadDate):
        bounds(">=not-a-date")


async def test_a_timed_out_search_answers_a_subset_flagged_incomplete(
    gh: httpx.AsyncClient, sim: GitHubSim
) -> None:
    """GitHub's search stops at its time limit and sends what it found with
    `incomplete_results: true`: the simulator does the same at search_incomplete_rate."""
    full = await gh.get("/search/issues", params={"q": "is:open", "per_page": "100"})
    assert full.json()["incomplete_results"] is False
    everything = {i.number for i in sim.state.items if i.state == "open"}
    sim.search_incomplete_rate = 1.0
    partial = await gh.get("/search/issues", params={"q": "is:open", "per_page": "100"})
    body = partial.json()
    assert partial.status_code == 200 and body["incomplete_results"] is True
    found = {it["number"] for it in body["items"]}
    assert found and found <= everything  # only matches, and not all of them:
    assert body["total_count"] < full.json()["total_count"]

"""A restart (new engine, same DB) revalidates with 304s and spends no primary quota."""

from zen_tui.models import FreshnessState

from .conftest import engine_for


def github_requests(counters):
    return [r for r in counters["requests"] if r["service"] == "github"]


async def test_restart_revalidates_with_304s_and_zero_quota(sim, settings):
    first = engine_for(settings)
    before = await first.sync_once()
    await first.stop()
    assert sum(r["count"] for r in github_requests(sim.counters())) > 0

    sim.reset_counters()
    second = engine_for(settings)  # a new process would see exactly this: the same DB file
    after = await second.sync_once()
    await second.stop()
    counters = sim.counters()
    github_quota = {k: v for k, v in counters["quota_spent"].items() if k.startswith("github")}
    assert sum(github_quota.values()) == 0, github_quota
    statuses = {r["status"] for r in github_requests(counters)}
    assert statuses == {304}, github_requests(counters)
    assert counters["not_modified"]["github"] >= 1
    for section_id, snap in after.items():
        assert snap.freshness.state is FreshnessState.LIVE
        assert snap.items == before[section_id].items

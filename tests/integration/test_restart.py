"""A restart (new engine, same DB) revalidates with 304s and spends no REST quota."""

from zen_tui.models import FreshnessState

from .conftest import engine_for


def github_requests(counters):
    return [r for r in counters["requests"] if r["service"] == "github"]


async def test_restart_revalidates_with_304s_and_zero_rest_quota(sim, settings):
    first = engine_for(settings)
    before = await first.sync_once()
    await first.stop()
    assert sum(r["count"] for r in github_requests(sim.counters())) > 0

    sim.reset_counters()
    second = engine_for(settings)  # a new process would see exactly this: the same DB file
    after = await second.sync_once()
    await second.stop()
    counters = sim.counters()
    rest = [r for r in github_requests(counters) if not r["endpoint"].endswith("/graphql")]
    graphql = [r for r in github_requests(counters) if r["endpoint"].endswith("/graphql")]
    # REST (the listings) revalidates for free: every answer a 304, no core or search quota.
    assert {r["status"] for r in rest} == {304}, rest
    assert counters["not_modified"]["github"] >= 1
    # The PR rows' checks and reviews come from one GraphQL query per PR section (checks
    # finish without the PR changing, so nothing can say "unchanged" for them): a few points.
    pr_sections = sum(1 for s in second.sections if s.pane == "prs" and s.service == "github")
    assert sum(r["count"] for r in graphql) == pr_sections
    github_quota = {k: v for k, v in counters["quota_spent"].items() if k.startswith("github")}
    assert set(github_quota) <= {"github:graphql"}, github_quota
    assert github_quota.get("github:graphql", 0) <= 3 * pr_sections
    for section_id, snap in after.items():
        assert snap.freshness.state is FreshnessState.LIVE
        assert snap.items == before[section_id].items


async def test_after_a_restart_the_gateways_stored_copy_is_shown_as_cached(sim, settings):
    """The gateway keeps its answers on disk too: after a restart, with GitHub down, a section
    is served from that stored copy and says `cached` (not only an in-memory copy does)."""
    first = engine_for(settings)
    await first.sync_once()
    await first.stop()

    sim.set_faults([{"service": "github", "outage": True}])
    second = engine_for(settings)  # a new process: nothing in memory, the same DB file
    after = await second.sync_once()
    await second.stop()
    github = [s.id for s in second.sections if s.service == "github"]
    states = {after[i].freshness.state for i in github}
    assert states == {FreshnessState.CACHED}, states
    assert all(after[i].items for i in github)


def test_the_guide_says_what_cached_is() -> None:
    """dashboard.md called `cached` an in-memory copy; it is also the stored one above."""
    from pathlib import Path

    guide = (Path(__file__).resolve().parents[2] / "docs" / "dashboard.md").read_text("utf-8")
    badge = guide[guide.index("`cached 2m`") :][:400]
    assert "in-memory copy)" not in badge and "restart" in badge, badge

"""The GitHub client's PR diff against the simulator over loopback, through a real Gateway:
every page of GET .../pulls/{n}/files (up to GitHub's 3,000), patches absent where GitHub
sends none, and the reads cached and revalidated with ETags like the preview's others."""

from __future__ import annotations

from typing import Any

from msgspec.structs import replace

from tests.simulator.github_helpers import pr_item
from zen_tui.gateway.settings import CacheTypeSettings, default_settings
from zen_tui.models import Issue
from zen_tui.services import make_client
from zen_tui.simulator.github.service import GitHubSim

from .conftest import sim_gateway


def _github(sim: Any) -> GitHubSim:
    found = sim.world.services["github"]
    assert isinstance(found, GitHubSim)
    return found


async def test_diff_reads_every_file_with_its_patch(sim: Any, sim_client: Any) -> None:
    gh = sim_client("github")
    state = _github(sim).state
    item = next(i for i in state.items if i.is_pr and i.seeded_files is None)
    diff = await gh.diff(pr_item(item))
    assert diff.error is None and diff.cut is None
    assert [f.filename for f in diff.files] == [f.filename for f in item.files]
    assert [f.patch for f in diff.files] == [f.patch for f in item.files]


async def test_diff_of_3050_files_says_github_lists_3000(sim: Any, sim_client: Any) -> None:
    gh = sim_client("github")
    huge = next(i for i in _github(sim).state.items if i.seeded_files and len(i.files) > 3000)
    diff = await gh.diff(pr_item(huge))
    assert len(diff.files) == 3000 and diff.total_files == 3050
    assert diff.cut == "GitHub lists the first 3,000 of 3,050 files"


async def test_diff_keeps_files_without_a_patch(sim: Any, sim_client: Any) -> None:
    gh = sim_client("github")
    item = next(i for i in _github(sim).state.items if i.seeded_files and len(i.files) < 3000)
    diff = await gh.diff(pr_item(item))
    by_name = {f.filename: f for f in diff.files}
    assert by_name["data/fixtures.json"].patch is None
    assert by_name["data/fixtures.json"].additions > 20_000
    assert (by_name["src/schema/generated.py"].patch or "").count("\n+") == 1500


async def test_diff_of_an_issue_says_so_without_a_request(sim_client: Any) -> None:
    gh = sim_client("github")
    issue = Issue(
        id="github:acme/api#1",
        account="github",
        service="github",
        key="acme/api#1",
        title="t",
        url="",
        updated_at="2026-01-01T00:00:00Z",
    )
    diff = await gh.diff(issue)
    assert diff.files == () and "not a pull request" in (diff.error or "")


async def test_diff_is_cached_then_revalidated_with_etags(sim: Any) -> None:
    """Within the TTL the cache answers; after it (TTL 0 here) a conditional request gets a
    304 that costs no quota; the files are the same either way."""
    acc = sim.account("github")
    settings = default_settings("github")
    types = settings.cache.types | {"issue_details": CacheTypeSettings(ttl=0.0, maxsize=100)}
    cached = replace(settings, cache=replace(settings.cache, types=types))
    gateway = sim_gateway(sim, "github", settings=cached)
    try:
        gh = make_client(acc, gateway)
        item = next(i for i in _github(sim).state.items if i.is_pr and i.seeded_files is None)
        first = await gh.diff(pr_item(item))
        spent = _github(sim).buckets["core"].used
        second = await gh.diff(pr_item(item))
        assert second.files == first.files
        assert gateway.health().revalidations >= 1
        assert _github(sim).buckets["core"].used == spent  # a 304 spends no quota
    finally:
        await gateway.aclose()

"""The merge methods a PR's repository allows, as the GitHub client reads them from the
simulator over loopback (GET /repos/{owner}/{repo}: allow_merge_commit, allow_squash_merge,
allow_rebase_merge), and what it says when the repository does not tell."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.simulator.github_helpers import open_pr
from zen_tui.models import Action, MergeMethods


@pytest.fixture
def github(sim: Any) -> Iterator[Any]:
    """The simulator's GitHub, its merge settings put back after the test (one per module)."""
    github = sim.world.services["github"]
    yield github
    github.merge_methods = "merge,squash,rebase"
    github.merge_settings_shown = True


async def test_one_repository_squash_only_the_other_all_three(github, sim_client) -> None:
    api, web = (r.full_name for r in list(github.state.repos.values())[:2])
    github.merge_methods = f"merge,squash,rebase;{api}=squash"
    gh = sim_client("github")
    assert await gh.merge_methods(f"{api}#1") == MergeMethods(("squash",))
    every = MergeMethods(("merge", "squash", "rebase"))
    assert await gh.merge_methods(f"{web}#1") == every
    github.merge_methods = "rebase,squash"  # given in any order: answered in GitHub's
    fresh = sim_client("github")  # a client of its own: nothing cached
    assert await fresh.merge_methods(f"{web}#1") == MergeMethods(("squash", "rebase"))


async def test_fields_left_out_say_nothing_rather_than_guess(github, sim_client) -> None:
    github.merge_methods = "squash"
    github.merge_settings_shown = False
    gh = sim_client("github")
    api = next(iter(github.state.repos.values())).full_name
    assert await gh.merge_methods(f"{api}#1") == MergeMethods(None, None)


async def test_a_refused_method_reads_the_settings_again(github, sim_client) -> None:
    """The settings are cached like the preview's reads; a 405 naming a method the
    repository turned off since makes the next read ask GitHub, not the old copy."""
    pr = open_pr(github, mergeable=True)
    github.merge_methods = "squash"
    gh = sim_client("github")
    key = f"{pr.repo.full_name}#{pr.number}"
    assert (await gh.merge_methods(key)).allowed == ("squash",)
    github.merge_methods = "rebase"
    assert (await gh.merge_methods(key)).allowed == ("squash",)  # cached: not asked again
    squash = Action("merge", f"github:{key}", "github", {"merge_method": "squash"})
    refused = await gh.apply(squash, idempotency_key="sim-mm-expire")
    assert "Squash merges are not allowed on this repository" in refused.message
    assert (await gh.merge_methods(key)).allowed == ("rebase",)


async def test_an_unreadable_repository_says_why(github, sim_client) -> None:
    gh = sim_client("github")
    api = next(iter(github.state.repos.values())).full_name
    github.hidden_repos = api  # access lost: 404
    try:
        answer = await gh.merge_methods(f"{api}#1")
    finally:
        github.hidden_repos = ""
    assert answer.allowed is None and answer.error and "404" in answer.error

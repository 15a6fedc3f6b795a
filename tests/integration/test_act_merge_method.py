"""`zen-tui act merge` against the simulator: without merge_method= it merges by a method the
PR's repository allows (read from its allow_* settings), and says which; a merge_method= the
repository turns off is refused before anything is queued, naming what it allows; a
repository that does not say is merged as asked, and GitHub's 405 says why it refused."""

from __future__ import annotations

import argparse
from typing import Any

import pytest

from tests.simulator.github_helpers import open_pr
from zen_tui.commands import act


@pytest.fixture
def pr(sim: Any) -> Any:
    """A mergeable open PR; its repository's merge settings as the test sets them."""
    return open_pr(sim.world.services["github"], mergeable=True)


def merge(sim: Any, settings: Any, pr: Any, **params: str) -> int:
    github = sim.account("github").name
    args = argparse.Namespace(kind="merge", item=f"{github}:{pr.ref}", params=params)
    return act.run(args, settings)


def merges(sim: Any, pr: Any) -> list[object]:
    log = sim.counters()["mutation_log"]
    return [m["method"] for m in log if m["kind"] == "merge" and m["item"] == pr.ref]


def test_the_one_method_allowed_is_used_and_said(sim, settings, pr, capsys) -> None:
    sim.world.services["github"].merge_methods = f"merge;{pr.repo.full_name}=squash"
    assert merge(sim, settings, pr) == 0
    out, err = capsys.readouterr()
    assert out.startswith("applied merge") and merges(sim, pr) == ["squash"]
    assert f"merging by squash, the one method {pr.repo.full_name} allows" in err


def test_of_several_the_first_in_githubs_order(sim, settings, pr, capsys) -> None:
    sim.world.services["github"].merge_methods = "rebase,squash"
    assert merge(sim, settings, pr) == 0
    assert merges(sim, pr) == ["squash"]
    assert "of squash, rebase (merge_method= picks another)" in capsys.readouterr().err


def test_a_method_the_repository_turns_off_is_refused_first(sim, settings, pr, capsys) -> None:
    sim.world.services["github"].merge_methods = "squash,rebase"
    assert merge(sim, settings, pr, merge_method="merge") == 2
    err = capsys.readouterr().err
    assert f"merge_method=merge: {pr.repo.full_name} allows only squash, rebase" in err
    assert "use merge_method=squash" in err and merges(sim, pr) == []
    assert merge(sim, settings, pr, merge_method="rebase") == 0
    assert merges(sim, pr) == ["rebase"]


def test_a_repository_that_does_not_say_gets_githubs_word(sim, settings, pr, capsys) -> None:
    github = sim.world.services["github"]
    github.merge_methods, github.merge_settings_shown = "squash", False
    assert merge(sim, settings, pr) == 1
    err = capsys.readouterr().err
    assert "it does not say" in err and merges(sim, pr) == []
    assert "Merge commits are not allowed on this repository" in err
    assert "another merge_method" in err

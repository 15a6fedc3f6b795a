"""Every triage write, refused every way GitHub documents for the endpoint it uses, ends as
a final outbox outcome that says why (the status and GitHub's words): never `done`, never an
exception the outbox would retry. The repositories: one not visible to the user (404), one
archived (403), one with issues turned off (410), and a deleted issue (410)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from zen_tui.models import Action
from zen_tui.simulator.server import SimulatorServer

ISSUE_WRITES = [
    ("comment", {"body": "on it"}),
    ("add_label", {"label": "bug"}),
    ("remove_label", {"label": "bug"}),
    ("assign", {"assignee": "alice"}),
    ("unassign", {"assignee": "alice"}),
    ("close", {}),
    ("reopen", {}),
]
PR_WRITES = [
    ("approve", {}),
    ("request_changes", {"body": "please"}),
    ("comment", {"body": "a review", "review": "1"}),
    ("merge", {}),
]
# Where each write goes -> (status, GitHub's words, the outcome's label).
REFUSED = {
    "off": (404, "Not Found", "not found"),
    "old": (403, "Repository was archived so is read-only", "not allowed"),
    "dry": (410, "Issues are disabled for this repo", "gone"),
    "gone": (410, "This issue was deleted", "gone"),
}


@pytest.fixture(scope="module")
def sim() -> Iterator[Any]:
    """Its own simulator: enough repositories to turn four of them off in four ways."""
    with SimulatorServer(seed=7, size=1600) as server:
        github = server.world.services["github"]
        first, off, old, dry = list(github.state.repos.values())[:4]
        with server.world.lock:
            gone = next(i for i in github.state.items if i.repo is first and not i.is_pr)
            github.state.delete_issue(gone)
            github.hidden_repos, github.archived_repos = off.full_name, old.full_name
            github.issues_disabled_repos = dry.full_name
        server.refused_items = {  # type: ignore[attr-defined]
            "gone": (f"github:{first.full_name}#{gone.number}", None),
            **{
                name: (_key(github, repo, pr=False), _key(github, repo, pr=True))
                for name, repo in (("off", off), ("old", old), ("dry", dry))
            },
        }
        yield server


def _key(github: Any, repo: Any, *, pr: bool) -> str | None:
    item = next(
        (i for i in github.state.items if i.repo is repo and i.is_pr == pr and i.state == "open"),
        None,
    )
    return None if item is None else f"github:{repo.full_name}#{item.number}"


@pytest.mark.parametrize("where", sorted(REFUSED))
async def test_each_write_refused_is_a_final_outcome_saying_why(sim, sim_client, where) -> None:
    gh = sim_client("github")
    issue, pr = sim.refused_items[where]
    writes = [(issue, kind, params) for kind, params in ISSUE_WRITES]
    if pr is not None and where != "dry":  # a PR's reviews and merge are not issue endpoints
        writes += [(pr, kind, params) for kind, params in PR_WRITES]
    status, words, label = REFUSED[where]
    for n, (item, kind, params) in enumerate(writes):
        action = Action(kind=kind, item_id=item, account="github", params=params)  # type: ignore[arg-type]
        result = await gh.apply(action, idempotency_key=f"refused-{where}-{n}")
        assert not result.ok and result.conflict, (kind, result)
        assert result.label == label, (kind, result)
        assert str(status) in result.message and words in result.message, (kind, result)


@pytest.mark.parametrize("where", ["off", "old", "dry"])
async def test_creating_an_issue_refused_is_a_final_outcome_saying_why(
    sim, sim_client, where
) -> None:
    gh = sim_client("github")
    repo = sim.refused_items[where][0].removeprefix("github:").split("#")[0]
    action = Action("create_issue", "slack:C1/1.2", "github", {"repo": repo, "title": "t"})
    result = await gh.apply(action, idempotency_key=f"refused-create-{where}")
    status, words, label = REFUSED[where]
    assert not result.ok and result.conflict and result.label == label
    assert str(status) in result.message and words in result.message

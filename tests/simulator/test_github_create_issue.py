"""Creating an issue and commenting, as GitHub's REST reference and its validation errors
say: assignees and labels set on create, a login that cannot be assigned refused by name,
labels that do not exist made, a body past 65,536 characters or a title past 256 refused."""

from __future__ import annotations

from typing import Any

import httpx

from tests.contract.test_github_contract import assert_valid, rest_schema
from zen_tui.simulator.github.service import GitHubSim
from zen_tui.simulator.github.state import COLLEAGUES


def _repo(sim: GitHubSim) -> str:
    return next(i for i in sim.state.items if not i.is_pr).repo.full_name


async def test_assignees_and_labels_are_set_on_create(
    gh: httpx.AsyncClient, sim: GitHubSim
) -> None:
    """A label the repository lacks is made (grey, as adding one to an issue does)."""
    who = COLLEAGUES[0]
    r = await gh.post(
        f"/repos/{_repo(sim)}/issues",
        json={"title": "t", "assignees": [who], "labels": ["bug", {"name": "brand-new"}]},
    )
    assert r.status_code == 201
    body = r.json()
    assert [u["login"] for u in body["assignees"]] == [who]
    assert [lab["name"] for lab in body["labels"]] == ["bug", "brand-new"]
    made = next(lab for lab in body["labels"] if lab["name"] == "brand-new")
    assert made["color"] == "ededed"
    listed = await gh.get(f"/repos/{_repo(sim)}/issues/{body['number']}")
    assert [u["login"] for u in listed.json()["assignees"]] == [who]


async def test_an_assignee_who_cannot_be_assigned_refuses_the_issue(
    gh: httpx.AsyncClient, sim: GitHubSim, contracts: Any
) -> None:
    repo = _repo(sim)
    before = len(sim.state.items)
    r = await gh.post(f"/repos/{repo}/issues", json={"title": "t", "assignees": ["nobody-x"]})
    assert r.status_code == 422
    assert_valid(rest_schema(contracts, "validation-error"), r.json())
    assert r.json()["errors"] == [
        {"value": "nobody-x", "resource": "Issue", "field": "assignees", "code": "invalid"}
    ]
    assert len(sim.state.items) == before  # nothing made


async def test_a_body_or_title_past_githubs_limit_is_422_naming_it(
    gh: httpx.AsyncClient, sim: GitHubSim, contracts: Any
) -> None:
    repo = _repo(sim)
    cases = [
        (
            {"title": "t", "body": "x" * 65_537},
            "body",
            "body is too long (maximum is 65536 characters)",
        ),
        ({"title": "t" * 257}, "title", "title is too long (maximum is 256 characters)"),
    ]
    for payload, field, message in cases:
        r = await gh.post(f"/repos/{repo}/issues", json=payload)
        assert r.status_code == 422, field
        assert_valid(rest_schema(contracts, "validation-error"), r.json())
        assert r.json()["errors"] == [
            {"resource": "Issue", "code": "custom", "field": field, "message": message}
        ]
    at_limit = {"title": "t" * 256, "body": "x" * 65_536}
    assert (await gh.post(f"/repos/{repo}/issues", json=at_limit)).status_code == 201


async def test_a_comment_past_65536_characters_is_422(
    gh: httpx.AsyncClient, sim: GitHubSim, contracts: Any
) -> None:
    issue = next(i for i in sim.state.items if not i.is_pr)
    path = f"/repos/{issue.repo.full_name}/issues/{issue.number}/comments"
    count = len(issue.comments)
    r = await gh.post(path, json={"body": "é" * 65_537})  # characters, not bytes
    assert r.status_code == 422
    assert_valid(rest_schema(contracts, "validation-error"), r.json())
    assert r.json()["errors"] == [
        {
            "resource": "IssueComment",
            "code": "unprocessable",
            "field": "data",
            "message": "Body is too long (maximum is 65536 characters)",
        }
    ]
    assert len(issue.comments) == count
    assert (await gh.post(path, json={"body": "é" * 65_536})).status_code == 201

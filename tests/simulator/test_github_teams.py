"""Team review requests: `team_reviewers`, `requested_teams`, and how search counts them."""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers import ManualClock
from tests.simulator.github_helpers import open_pr
from zen_tui.simulator.core.world import ChangeEvent, World
from zen_tui.simulator.github.service import GitHubSim


async def found(gh: httpx.AsyncClient, q: str, pr: Any) -> bool:
    r = await gh.get("/search/issues", params={"q": f"{q} repo:{pr.repo.full_name}"})
    assert r.status_code == 200
    return pr.number in {it["number"] for it in r.json()["items"]}


async def test_team_request_reaches_me_through_my_team(
    gh: httpx.AsyncClient, sim: GitHubSim, world: World, clock: ManualClock
) -> None:
    clock.now += 10
    pr = next(
        i for i in sim.state.items if i.is_pr and i.state == "open" and "me" not in i.reviewers
    )
    events: list[ChangeEvent] = []
    world.on_change(events.append)
    path = f"/repos/{pr.repo.full_name}/pulls/{pr.number}/requested_reviewers"
    r = await gh.post(path, json={"team_reviewers": ["backend"]})
    assert r.status_code == 201
    assert [t["slug"] for t in r.json()["requested_teams"]] == ["backend"]
    listing = (await gh.get(path)).json()
    assert [t["slug"] for t in listing["teams"]] == ["backend"]
    assert await found(gh, "is:pr is:open review-requested:@me", pr)
    assert not await found(gh, "is:pr is:open user-review-requested:@me", pr)
    assert await found(gh, "is:pr team-review-requested:acme/backend", pr)
    assert not await found(gh, "is:pr team-review-requested:acme/frontend", pr)
    thread = (await gh.get("/notifications")).json()[0]
    assert thread["subject"]["title"] == pr.title and thread["reason"] == "review_requested"
    [event] = [e for e in events if e.payload.get("action") == "review_requested"]
    assert event.payload["requested_team"]["slug"] == "backend"
    assert "requested_reviewer" not in event.payload
    assert world.counters.mutations[("github", "review_request")] == 1
    removed = await gh.request("DELETE", path, json={"team_reviewers": ["backend"]})
    assert removed.status_code == 200 and removed.json()["requested_teams"] == []
    assert not await found(gh, "is:pr is:open review-requested:@me", pr)
    [gone] = [e for e in events if e.payload.get("action") == "review_request_removed"]
    assert gone.event == "pull_request" and gone.payload["requested_team"]["slug"] == "backend"
    assert gone.payload["pull_request"]["requested_teams"] == []


async def test_unknown_team_or_empty_request_is_422(gh: httpx.AsyncClient, sim: GitHubSim) -> None:
    pr = open_pr(sim)
    path = f"/repos/{pr.repo.full_name}/pulls/{pr.number}/requested_reviewers"
    unknown = await gh.post(path, json={"team_reviewers": ["nobody"]})
    assert unknown.status_code == 422 and "collaborator" in unknown.json()["message"]
    assert (await gh.post(path, json={})).status_code == 422
    assert (await gh.post(path, json={"team_reviewers": [{"slug": "backend"}]})).status_code == 422
    assert pr.teams == []

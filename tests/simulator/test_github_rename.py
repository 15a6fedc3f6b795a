"""A renamed or transferred repository, as GitHub answers for its earlier name.

The redirects are octokit/fixtures `scenarios/api.github.com/rename-repository` (recorded on
api.github.com): `GET /repos/{old}` -> 301 and `PATCH /repos/{old}` -> 307, both with
`location` = the body's `url` = `/repositories/{id}` and the body
`{"message": "Moved Permanently", "url", "documentation_url"}` (the 307 says "Moved
Permanently" too). The webhook is octokit-webhooks' `repository` `renamed`/`transferred`.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from jsonschema import Draft7Validator

from tests.contract.test_github_contract import assert_valid, webhook_registry
from tests.simulator.github_helpers import open_pr
from zen_tui.simulator.core.world import ChangeEvent, World
from zen_tui.simulator.github.service import GitHubSim

MOVED = {"message", "url", "documentation_url"}


async def test_a_read_of_the_old_name_is_a_301_to_the_repository_by_id(
    gh: httpx.AsyncClient, sim: GitHubSim
) -> None:
    pr = open_pr(sim, repo=sim.state.by_name["acme/api"])
    renamed = await gh.patch("/repos/acme/api", json={"name": "api-v2"})
    assert renamed.status_code == 200
    assert renamed.json()["full_name"] == "acme/api-v2"

    old = await gh.get(f"/repos/acme/api/pulls/{pr.number}", params={"per_page": 5})
    assert old.status_code == 301
    where = f"http://sim/github/repositories/{pr.repo.id}/pulls/{pr.number}?per_page=5"
    assert old.headers["location"] == where
    assert set(old.json()) == MOVED
    assert old.json()["message"] == "Moved Permanently"
    assert old.json()["url"] == where
    assert old.headers["x-ratelimit-resource"] == "core"

    root = await gh.get("/repos/acme/api")
    assert (root.status_code, root.headers["location"]) == (
        301,
        f"http://sim/github/repositories/{pr.repo.id}",
    )
    followed = await gh.get(old.headers["location"])
    assert followed.status_code == 200
    assert followed.json()["base"]["repo"]["full_name"] == "acme/api-v2"
    assert (await gh.get(f"/repos/acme/api-v2/pulls/{pr.number}")).status_code == 200
    assert (await gh.get("/repos/acme/nothing-here")).status_code == 404


async def test_a_write_to_the_old_name_is_a_307_and_changes_nothing_until_repeated(
    gh: httpx.AsyncClient, sim: GitHubSim
) -> None:
    pr = open_pr(sim, repo=sim.state.by_name["acme/api"])
    sim.rename_repo("acme/api", "acme/api-v2")
    before = len(pr.comments)
    path = f"/repos/acme/api/issues/{pr.number}/comments"
    moved = await gh.post(path, json={"body": "still here?"})
    assert moved.status_code == 307
    assert set(moved.json()) == MOVED and moved.json()["message"] == "Moved Permanently"
    assert len(pr.comments) == before  # a redirect is not the write
    again = await gh.post(moved.headers["location"], json={"body": "still here?"})
    assert again.status_code == 201
    assert [c.body for c in pr.comments[before:]] == ["still here?"]


async def test_search_and_graphql_know_only_the_new_name(
    gh: httpx.AsyncClient, sim: GitHubSim
) -> None:
    sim.rename_repo("acme/api", "acme/api-v2")
    old = await gh.get("/search/issues", params={"q": "repo:acme/api is:open"})
    assert old.status_code == 422
    assert old.json()["errors"][0]["code"] == "invalid"
    assert "cannot be searched" in old.json()["errors"][0]["message"]
    new = await gh.get("/search/issues", params={"q": "repo:acme/api-v2 is:pr"})
    assert new.status_code == 200 and new.json()["total_count"] > 0
    assert all("/repos/acme/api-v2" in i["repository_url"] for i in new.json()["items"])
    query = '{ search(query: "repo:acme/api-v2 is:pr", type: ISSUE, first: 5) { nodes {'
    query += " ... on PullRequest { repository { nameWithOwner } } } } }"
    answer = (await gh.post("/graphql", json={"query": query})).json()
    names = {n["repository"]["nameWithOwner"] for n in answer["data"]["search"]["nodes"]}
    assert names == {"acme/api-v2"}


async def test_a_reused_old_name_stops_redirecting(gh: httpx.AsyncClient, sim: GitHubSim) -> None:
    sim.rename_repo("acme/api", "acme/api-v2")
    sim.rename_repo("acme/web", "acme/api")  # the old name is another repository's now
    answer = await gh.get("/repos/acme/api")
    assert answer.status_code == 200
    assert (
        answer.json()["id"]
        == sim.state.by_name["acme/api"].id
        != sim.state.by_name["acme/api-v2"].id
    )
    taken = await gh.patch("/repos/acme/infra", json={"name": "api-v2"})
    assert taken.status_code == 422


async def test_rename_and_transfer_send_octokit_shaped_webhooks(
    gh: httpx.AsyncClient, world: World, sim: GitHubSim, contracts: Path
) -> None:
    seen: list[ChangeEvent] = []
    world.on_change(seen.append)
    await gh.patch("/repos/acme/api", json={"name": "api-v2"})
    moved = await gh.post("/repos/acme/api-v2/transfer", json={"new_owner": "umbrella"})
    assert moved.status_code == 202 and moved.json()["full_name"] == "umbrella/api-v2"
    assert (await gh.get("/repos/acme/api-v2")).status_code == 301
    registry, root = webhook_registry(contracts)
    renamed, transferred = [c for c in seen if c.event == "repository"]
    assert renamed.payload["action"] == "renamed"
    assert renamed.payload["changes"] == {"repository": {"name": {"from": "api"}}}
    assert renamed.payload["repository"]["full_name"] == "acme/api-v2"
    assert transferred.payload["action"] == "transferred"
    assert transferred.payload["changes"]["owner"]["from"]["user"]["login"] == "acme"
    for change in (renamed, transferred):
        path = root / "repository" / f"{change.payload['action']}.schema.json"
        validator = Draft7Validator(json.loads(path.read_text()), registry=registry)
        assert_valid(validator, change.payload)

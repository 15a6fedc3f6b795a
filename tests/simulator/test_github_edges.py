"""GitHub edges a client must cope with: User-Agent required, threads marked done, API versions."""

from __future__ import annotations

import httpx

from tests.helpers import ManualClock
from tests.simulator.github_helpers import open_pr
from zen_tui.simulator.core.world import World
from zen_tui.simulator.github.service import GitHubSim


async def test_missing_user_agent_is_403_plain_text_and_spends_nothing(
    gh: httpx.AsyncClient, world: World
) -> None:
    request = gh.build_request("GET", "/user")
    del request.headers["User-Agent"]
    r = await gh.send(request)
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("text/plain")
    assert "User-Agent header" in r.text
    assert world.counters.quota_spent[("github", "core")] == 0
    assert world.counters.requests[("github", "/user", 403)] == 1
    blank = await gh.get("/user", headers={"User-Agent": "  "})
    assert blank.status_code == 403


async def test_httpx_default_and_custom_user_agents_are_accepted(gh: httpx.AsyncClient) -> None:
    assert gh.headers["User-Agent"].startswith("python-httpx/")
    assert (await gh.get("/user")).status_code == 200
    custom = await gh.get("/user", headers={"User-Agent": "zen-tui/0.1 (+tests)"})
    assert custom.status_code == 200


async def test_oauth_pages_do_not_need_the_api_user_agent(gh: httpx.AsyncClient) -> None:
    request = gh.build_request("GET", "/login/device")
    del request.headers["User-Agent"]
    assert (await gh.send(request)).status_code == 200


async def test_thread_marked_done_leaves_the_inbox_until_new_activity(
    gh: httpx.AsyncClient, sim: GitHubSim, world: World, clock: ManualClock
) -> None:
    listing = (await gh.get("/notifications", params={"all": "true", "per_page": 100})).json()
    thread_id = listing[0]["id"]
    r = await gh.delete(f"/notifications/threads/{thread_id}")
    assert r.status_code == 204 and r.content == b""
    assert (await gh.get(f"/notifications/threads/{thread_id}")).status_code == 404
    after = (await gh.get("/notifications", params={"all": "true", "per_page": 100})).json()
    assert thread_id not in [t["id"] for t in after] and len(after) == len(listing) - 1
    assert world.counters.mutations[("github", "thread_done")] == 1
    assert (await gh.delete(f"/notifications/threads/{thread_id}")).status_code == 404
    clock.now += 10
    pr = open_pr(sim)
    await gh.post(
        f"/repos/{pr.repo.full_name}/pulls/{pr.number}/requested_reviewers",
        json={"reviewers": ["me"]},
    )
    fresh = (await gh.get("/notifications")).json()
    assert fresh[0]["subject"]["title"] == pr.title and fresh[0]["unread"] is True


# GitHub's reason for a version it does not serve, as clients record it
# (expipiplus1/update-nix-fetchgit#79), with the versions the simulator serves.
NOT_SUPPORTED = (
    'The version you specified in the "X-GitHub-API-Version" request header, "{}", is not a '
    'supported version. The following versions are currently supported: "2026-03-10" (most '
    'recent) and "2022-11-28".'
)


async def test_api_versions_known_pass_one_never_released_is_400(gh: httpx.AsyncClient) -> None:
    """GitHub's docs ("Troubleshooting the REST API"): a version that does not exist is 400
    Bad Request with a message about the version not being supported."""
    for version in ("2022-11-28", "2026-03-10"):
        r = await gh.get("/user", headers={"X-GitHub-Api-Version": version})
        assert r.status_code == 200, version
        assert r.headers["x-github-api-version-selected"] == version
    for version in ("2019-01-01", "v3"):
        refused = await gh.get("/user", headers={"X-GitHub-Api-Version": version})
        assert refused.status_code == 400
        assert refused.json() == {
            "message": "Bad Request",
            "errors": NOT_SUPPORTED.format(version),
            "documentation_url": "https://docs.github.com/rest",
            "status": "400",
        }
        assert "x-github-api-version-selected" not in refused.headers


async def test_a_closed_down_version_is_410_gone(gh: httpx.AsyncClient, sim: GitHubSim) -> None:
    """GitHub's docs ("API Versions"): past its end of support a version answers 410 Gone,
    every endpoint alike, and the versions still served go on answering."""
    sim.closed_versions = "2022-11-28"
    for path in ("/user", "/search/issues?q=is:open", "/notifications"):
        gone = await gh.get(path, headers={"X-GitHub-Api-Version": "2022-11-28"})
        assert gone.status_code == 410, path
        assert gone.json()["status"] == "410"
        assert '"2022-11-28", is not a supported version' in gone.json()["errors"]
        assert '"2026-03-10" (most recent).' in gone.json()["errors"]
    newer = await gh.get("/user", headers={"X-GitHub-Api-Version": "2026-03-10"})
    assert newer.status_code == 200


async def test_a_deleted_account_reads_as_a_null_user_everywhere_it_wrote(
    gh: httpx.AsyncClient, client: httpx.AsyncClient, sim: GitHubSim
) -> None:
    """GitHub answers `user: null` (REST) and `author: null` (GraphQL) for what a deleted
    account wrote (the schemas' nullable-simple-user); nothing of it changes or notifies."""
    pr = open_pr(sim)
    base = f"/repos/{pr.repo.full_name}"
    await gh.post(f"{base}/issues/{pr.number}/comments", json={"body": "before"})
    author = pr.user
    pr.comments[-1].user = author  # the PR's author wrote a comment, a colleague a review
    await gh.post(f"{base}/pulls/{pr.number}/reviews", json={"event": "APPROVE"})
    reviewer = pr.reviews[-1].user = next(u for u in sim.state.users if u not in (author, "me"))
    gone = ",".join(sorted((author, reviewer)))
    before = (await gh.get(f"{base}/pulls/{pr.number}")).json()
    r = await client.put("/_sim/settings", json={"github": {"deleted_users": gone}})
    assert r.status_code == 200, r.text
    assert (await client.get("/_sim/settings")).json()["settings"]["github"][
        "deleted_users"
    ] == gone
    pull = (await gh.get(f"{base}/pulls/{pr.number}")).json()
    assert pull["user"] is None and pull["updated_at"] == before["updated_at"]
    comments = (await gh.get(f"{base}/issues/{pr.number}/comments")).json()
    assert comments[-1]["user"] is None
    reviews = (await gh.get(f"{base}/pulls/{pr.number}/reviews")).json()
    assert reviews[-1]["user"] is None
    query = (
        "query($q: String!) { search(query: $q, type: ISSUE, first: 100) { nodes { "
        "... on PullRequest { number author { login } "
        "latestOpinionatedReviews(first: 10) { nodes { author { login } } } } } } }"
    )
    q = f"repo:{pr.repo.full_name} is:pr author:{author}"
    answer = (await gh.post("/graphql", json={"query": query, "variables": {"q": q}})).json()
    [node] = [n for n in answer["data"]["search"]["nodes"] if n["number"] == pr.number]
    assert node["author"] is None
    assert None in [r["author"] for r in node["latestOpinionatedReviews"]["nodes"]]
    await client.put("/_sim/settings", json={"github": {"deleted_users": ""}})
    assert (await gh.get(f"{base}/pulls/{pr.number}")).json()["user"]["login"] == author


async def test_the_notifications_poll_interval_grows_under_load(
    gh: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    """GitHub's X-Poll-Interval is 60 s and may grow under load: the setting raises it."""
    assert (await gh.get("/notifications")).headers["x-poll-interval"] == "60"
    r = await client.put("/_sim/settings", json={"github": {"poll_interval": 180}})
    assert r.status_code == 200, r.text
    assert (await gh.get("/notifications")).headers["x-poll-interval"] == "180"


async def test_link_headers_may_leave_out_last_and_next_still_leads_to_the_end(
    gh: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    """GitHub omits rel="last" where it cannot compute it: `link_last: false` does so."""
    r = await client.put("/_sim/settings", json={"github": {"link_last": False}})
    assert r.status_code == 200, r.text
    params: dict[str, str] | None = {"q": "is:open", "per_page": "7"}
    url, seen, pages = "/search/issues", 0, 0
    total = 0
    while url:
        answer = await gh.get(url, params=params)
        assert 'rel="last"' not in answer.headers.get("link", "")
        total = answer.json()["total_count"]
        seen += len(answer.json()["items"])
        pages += 1
        nxt = answer.links.get("next")
        url, params = (nxt["url"].removeprefix(str(gh.base_url)) if nxt else ""), None
    assert pages > 1 and seen == min(total, 1000)
    await client.put("/_sim/settings", json={"github": {"link_last": True}})
    assert 'rel="last"' in (await gh.get("/search/issues?q=is:open&per_page=7")).headers["link"]


async def test_empty_lists_may_answer_no_content(
    gh: httpx.AsyncClient, client: httpx.AsyncClient, sim: GitHubSim
) -> None:
    """`empty_lists_no_content`: a list with nothing on its page is 204 with no body, as
    GitHub's contributors list of an empty repository; a non-empty page and a search
    (an object) are unchanged."""
    pr = open_pr(sim)
    base = f"/repos/{pr.repo.full_name}"
    far = await gh.get(f"{base}/pulls", params={"page": 999})
    assert far.status_code == 200 and far.json() == []
    r = await client.put("/_sim/settings", json={"github": {"empty_lists_no_content": True}})
    assert r.status_code == 200, r.text
    empty = await gh.get(f"{base}/pulls", params={"page": 999})
    assert empty.status_code == 204 and empty.content == b""
    assert "x-ratelimit-remaining" in empty.headers
    full = await gh.get(f"{base}/pulls")
    assert full.status_code == 200 and full.json()
    nothing = await gh.get("/search/issues", params={"q": "is:open nosuchwordanywhere"})
    assert nothing.status_code == 200 and nothing.json()["items"] == []

"""The simulated search reads queries as GitHub's advanced issue search (the default since
2025-09-04): AND/OR/parentheses, ownership qualifiers ORed, label commas, negation, its limits;
refuses unknown people as GitHub does; and refuses a GitHub App user token's search that mixes
issues and pull requests (422, as GitHub's REST reference documents)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.contract.test_github_contract import assert_valid, rest_schema
from tests.simulator.test_github_oauth import JSON
from zen_tui.simulator.github.oauth import GRANT
from zen_tui.simulator.github.query import BadQuery, Node, Term, one_type, parse, words
from zen_tui.simulator.github.service import MIXED_TYPES, SEARCH_DOCS, GitHubSim
from zen_tui.simulator.github.state import Item

Check = Callable[[Item], bool]


async def numbers(gh: httpx.AsyncClient, q: str, token: str | None = None) -> set[int]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    ids: set[int] = set()
    page = 1
    while True:
        params = {"q": q, "per_page": "100", "page": str(page)}
        r = await gh.get("/search/issues", params=params, headers=headers)
        assert r.status_code == 200, r.text
        ids |= {i["id"] for i in r.json()["items"]}
        if 'rel="next"' not in r.headers.get("link", ""):
            return ids
        page += 1


def expected(sim: GitHubSim, check: Check) -> set[int]:
    return {i.id for i in sim.state.items if check(i)}


def test_words_keep_quotes_and_split_parentheses() -> None:
    assert words('(label:"help wanted" OR type:Bug) -author:ann') == [
        "(",
        'label:"help wanted"',
        "OR",
        "type:Bug",
        ")",
        "-author:ann",
    ]
    assert words('label:"a (b)" x') == ['label:"a (b)"', "x"]  # quoted parentheses stay


def test_ownership_qualifiers_are_ored_and_the_rest_anded() -> None:
    tree = parse("repo:a/x is:open repo:a/y")
    assert tree.op == "and"
    owners, rest = tree.children
    assert owners.op == "or" and {t.value for t in owners.terms()} == {"a/x", "a/y"}
    assert rest == Node("term", term=Term("is", "open"))


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("a OR b OR c OR d OR e OR f OR g", "more than 5"),
        ("((((((label:x))))))", "nested more than 5"),
        ("(repo:a/b OR label:x)", "inside parentheses"),
        ("(label:x", "unbalanced"),
        ("label:x)", "unbalanced"),
    ],
)
def test_queries_github_refuses(query: str, says: str) -> None:
    with pytest.raises(BadQuery, match=says):
        parse(query)


def test_one_type_needs_a_positive_is_issue_or_pull_request() -> None:
    assert one_type(parse("is:issue involves:@me"))
    assert one_type(parse("involves:@me is:pull-request"))
    assert one_type(parse("is:pr is:open"))
    assert not one_type(parse("involves:@me is:open"))
    assert not one_type(parse("-is:issue involves:@me"))
    assert not one_type(parse("type:pr involves:@me"))  # the documented rule names is: only


def _labels(*names: str) -> Check:
    return lambda i: any(n in i.labels for n in names)


@pytest.mark.parametrize(
    ("query", "check"),
    [
        # spaces between repo:/org:/user: are OR; legacy AND would find nothing here
        ("repo:acme/api repo:acme/web", lambda i: i.repo.name in ("api", "web")),
        ("repo:acme/api is:pr repo:acme/web", lambda i: i.is_pr and i.repo.name != "infra"),
        ("label:bug,security", _labels("bug", "security")),
        ("label:bug label:security", lambda i: "bug" in i.labels and "security" in i.labels),
        ("label:bug OR label:security", _labels("bug", "security")),
        (
            "is:open (label:bug OR label:blocked) -label:security",
            lambda i: (
                i.state == "open" and _labels("bug", "blocked")(i) and "security" not in i.labels
            ),
        ),
        ("is:pr AND -author:alice", lambda i: i.is_pr and i.user != "alice"),
        ("is:issue -assignee:@me", lambda i: not i.is_pr and "me" not in i.assignees),
        (
            "(is:pr author:@me) OR (is:issue assignee:@me)",
            lambda i: (i.is_pr and i.user == "me") or (not i.is_pr and "me" in i.assignees),
        ),
        (
            'label:"needs review" is:open',
            lambda i: "needs review" in i.labels and i.state == "open",
        ),
        ("is:pull-request is:open", lambda i: i.is_pr and i.state == "open"),
    ],
)
async def test_search_reads_advanced_syntax_like_github(
    gh: httpx.AsyncClient, sim: GitHubSim, query: str, check: Check
) -> None:
    want = expected(sim, check)
    assert want, f"the seed has nothing for {query!r}: the test would prove nothing"
    assert await numbers(gh, query) == want


@pytest.mark.parametrize(
    ("query", "check"),
    [
        ("no:label", lambda i: not i.labels),
        ("no:assignee is:issue", lambda i: not i.assignees and not i.is_pr),
        (
            "is:open no:label no:assignee",
            lambda i: i.state == "open" and not i.labels + i.assignees,
        ),
        ("no:label OR label:bug", lambda i: not i.labels or "bug" in i.labels),
        # no simulated item has a milestone or a project: these narrow nothing
        ("is:pr no:milestone", lambda i: i.is_pr),
        ("is:issue no:project", lambda i: not i.is_pr),
        # GitHub's docs: a `-` does not work on a missing-metadata qualifier; it is ignored here
        ("is:pr -no:label", lambda i: i.is_pr),
    ],
)
async def test_no_narrows_to_items_missing_that_metadata(
    gh: httpx.AsyncClient, sim: GitHubSim, query: str, check: Check
) -> None:
    """GitHub's "Search by missing metadata": `no:label`, `no:milestone`, `no:assignee`,
    `no:project`."""
    want = expected(sim, check)
    assert want, f"the seed has nothing for {query!r}: the test would prove nothing"
    assert await numbers(gh, query) == want


async def test_no_label_and_no_assignee_leave_items_out(
    gh: httpx.AsyncClient, sim: GitHubSim
) -> None:
    every = await numbers(gh, "is:open")
    assert await numbers(gh, "is:open no:label") < every
    assert await numbers(gh, "is:open no:assignee") < every


async def test_not_excludes_a_word(gh: httpx.AsyncClient, sim: GitHubSim) -> None:
    word = sim.state.items[0].title.split()[0].lower()
    both = await numbers(gh, "is:open")
    without = await numbers(gh, f"is:open NOT {word}")
    has_word = expected(sim, lambda i: word in i.title.lower() or word in i.body.lower())
    assert has_word & both and without == both - has_word


async def test_an_issue_type_matches_nothing_here(gh: httpx.AsyncClient) -> None:
    """`type:` is also the issue-type filter (type:Bug); no simulated issue has a type."""
    assert await numbers(gh, "type:Bug") == set()
    assert await numbers(gh, "type:issue") == await numbers(gh, "is:issue") != set()


async def test_too_many_operators_is_validation_failed(gh: httpx.AsyncClient) -> None:
    r = await gh.get("/search/issues", params={"q": " OR ".join(f"label:l{n}" for n in range(7))})
    assert r.status_code == 422 and r.json()["message"] == "Validation Failed"
    assert r.json()["errors"][0]["field"] == "q"


USERS_REFUSED = (
    "The listed users cannot be searched either because the users do not exist or you do not "
    "have permission to view the users."
)


@pytest.mark.parametrize(
    "query",
    ["author:ghost-user", "is:open assignee:nobody-here", "involves:alice OR involves:ghost"],
)
async def test_a_person_who_does_not_exist_is_githubs_422(
    gh: httpx.AsyncClient, query: str
) -> None:
    r = await gh.get("/search/issues", params={"q": query})
    assert r.status_code == 422
    assert r.json()["message"] == "Validation Failed"
    assert r.json()["errors"] == [
        {"message": USERS_REFUSED, "resource": "Search", "field": "q", "code": "invalid"}
    ]


async def test_a_missing_repo_wins_over_a_missing_person(gh: httpx.AsyncClient) -> None:
    r = await gh.get("/search/issues", params={"q": "author:ghost repo:acme/nope"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["message"].startswith("The listed users and repositories")


@pytest.mark.parametrize(
    "query", ["author:alice", "review-requested:@me", "-author:ghost", "author:app/renovate"]
)
async def test_people_who_exist_or_are_not_checked_answer(
    gh: httpx.AsyncClient, query: str
) -> None:
    """Existing logins, @me, a negated qualifier (GitHub's answer to it is unconfirmed: not
    checked) and an app author (`app/x`, not a login) answer 200."""
    assert (await gh.get("/search/issues", params={"q": query})).status_code == 200


# ---- a GitHub App's user access token -------------------------------------------------------


async def app_login(gh: httpx.AsyncClient, sim: GitHubSim, clock: Any) -> str:
    """A device-flow login to a GitHub App (device_flow_github_app), approved by the user."""
    sim.device_flow_github_app = True
    grant = (
        await gh.post("/login/device/code", data={"client_id": "Iv1.app"}, headers=JSON)
    ).json()
    approved = await gh.post(
        "/login/device", data={"user_code": grant["user_code"], "action": "approve"}
    )
    assert approved.status_code == 200
    clock.now += 10
    data = {"client_id": "Iv1.app", "device_code": grant["device_code"], "grant_type": GRANT}
    token = (await gh.post("/login/oauth/access_token", data=data, headers=JSON)).json()
    return str(token["access_token"])


async def test_device_flow_of_a_github_app_issues_user_access_tokens(
    gh: httpx.AsyncClient, sim: GitHubSim, clock: Any
) -> None:
    token = await app_login(gh, sim, clock)
    assert token.startswith("ghu_") and len(token) == 40
    me = await gh.get("/user", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["login"] == "me"


async def test_app_user_token_cannot_mix_issues_and_prs(
    gh: httpx.AsyncClient, sim: GitHubSim, clock: Any
) -> None:
    token = await app_login(gh, sim, clock)
    auth = {"Authorization": f"Bearer {token}"}
    for mixed in ("involves:@me is:open", "-is:issue involves:@me", "type:pr involves:@me"):
        r = await gh.get("/search/issues", params={"q": mixed}, headers=auth)
        assert r.status_code == 422, mixed
        assert r.json()["message"] == MIXED_TYPES
        assert r.json()["documentation_url"] == SEARCH_DOCS
    issues = await numbers(gh, "is:issue involves:@me is:open", token)
    prs = await numbers(gh, "is:pull-request involves:@me is:open", token)
    assert issues == expected(sim, lambda i: not i.is_pr and i.involves("me") and i.state == "open")
    assert prs == expected(sim, lambda i: i.is_pr and i.involves("me") and i.state == "open")
    # the seeded token (an OAuth app's or a PAT's) may still mix them: the union
    assert await numbers(gh, "involves:@me is:open") == issues | prs


async def test_app_user_token_graphql_search_of_both_kinds_has_no_nodes(
    gh: httpx.AsyncClient, sim: GitHubSim, clock: Any
) -> None:
    """GitHub's GraphQL reference: such a search answers an empty set of nodes, no error."""
    token = await app_login(gh, sim, clock)
    query = "query($q: String!) { search(query: $q, type: ISSUE, first: 50) { nodes {"
    query += " ... on PullRequest { number } ... on Issue { number } } } }"

    async def nodes(q: str, auth: str) -> list[Any]:
        body = {"query": query, "variables": {"q": q}}
        r = await gh.post("/graphql", json=body, headers={"Authorization": f"Bearer {auth}"})
        assert r.status_code == 200 and "errors" not in r.json(), r.text
        return list(r.json()["data"]["search"]["nodes"])

    assert await nodes("involves:@me is:open", token) == []
    assert await nodes("is:pr involves:@me is:open", token) != []
    assert await nodes("involves:@me is:open", sim.token) != []  # not an App token: both


async def test_notifications_take_only_a_classic_token(
    gh: httpx.AsyncClient, sim: GitHubSim, clock: Any, contracts: Any
) -> None:
    """GitHub's notifications endpoints "only support authentication using a personal access
    token (classic)": a GitHub App's user token and a fine-grained PAT get a 403 (GitHub's
    wording for a token type refused), for the list, a thread and marking; everything else
    answers them as before. The seeded (classic) token reads the inbox."""
    refused = {
        await app_login(gh, sim, clock): "Resource not accessible by integration",
        sim.add_fine_grained_token(): "Resource not accessible by personal access token",
    }
    thread = next(iter(sim.state.threads))
    for token, message in refused.items():
        auth = {"Authorization": f"Bearer {token}"}
        answers = [
            await gh.get("/notifications", headers=auth),
            await gh.get(f"/notifications/threads/{thread}", headers=auth),
            await gh.patch(f"/notifications/threads/{thread}", headers=auth),
            await gh.put("/notifications", headers=auth),
        ]
        for r in answers:
            assert (r.status_code, r.json()["message"]) == (403, message)
            assert_valid(rest_schema(contracts, "basic-error"), r.json())
        assert "x-ratelimit-remaining" in answers[0].headers  # a refusal, not a rate limit
        assert answers[0].headers["x-ratelimit-remaining"] != "0"
        assert (await gh.get("/user", headers=auth)).status_code == 200
    assert (await gh.get("/notifications")).status_code == 200


async def test_a_fine_grained_token_without_a_writes_permission_is_told_which(
    gh: httpx.AsyncClient, sim: GitHubSim
) -> None:
    """A fine-grained token may write only what its permissions allow: a write it lacks
    them for is 403 "Resource not accessible by personal access token", and the
    x-accepted-github-permissions header names the sets that would do ("; " between them).
    What it holds goes through; reads need nothing here."""
    pr = next(i for i in sim.state.items if i.is_pr and i.state == "open" and i.user != "me")
    base = f"/repos/{pr.repo.full_name}"
    auth = {"Authorization": f"Bearer {sim.add_fine_grained_token('issues=write')}"}
    reviews = len(pr.reviews)
    review = await gh.post(
        f"{base}/pulls/{pr.number}/reviews", json={"event": "APPROVE"}, headers=auth
    )
    assert (review.status_code, review.json()["message"]) == (
        403,
        "Resource not accessible by personal access token",
    )
    assert review.headers["x-accepted-github-permissions"] == "pull_requests=write"
    assert len(pr.reviews) == reviews
    comment = await gh.post(
        f"{base}/issues/{pr.number}/comments", json={"body": "hi"}, headers=auth
    )
    assert comment.status_code == 201
    none = {"Authorization": f"Bearer {sim.add_fine_grained_token('contents=write')}"}
    label = await gh.post(f"{base}/issues/{pr.number}/labels", json={"labels": ["x"]}, headers=none)
    assert label.status_code == 403
    assert label.headers["x-accepted-github-permissions"] == "issues=write; pull_requests=write"
    assert (await gh.get(f"{base}/pulls/{pr.number}", headers=none)).status_code == 200


# ---- GitHub's limits on one search: query length, the first 1,000 results -------------------


async def test_a_query_longer_than_256_characters_is_validation_failed(
    gh: httpx.AsyncClient, contracts: Path
) -> None:
    """GitHub refuses a `q` of more than 256 characters (its REST reference), in the words
    clients record: 422 Validation Failed, the reason in `errors`. 256 still answers."""
    words = " ".join(["is:open"] * 40)  # 319 characters
    at_limit = words[:256].rstrip(":nepoi ")  # whole words only
    assert len(at_limit) <= 256
    assert (await gh.get("/search/issues", params={"q": at_limit})).status_code == 200
    r = await gh.get("/search/issues", params={"q": words})
    assert r.status_code == 422
    assert_valid(rest_schema(contracts, "validation-error"), r.json())
    assert r.json()["errors"] == [
        {
            "message": "The search is longer than 256 characters.",
            "resource": "Search",
            "field": "q",
            "code": "invalid",
        }
    ]


async def test_no_page_reaches_past_the_first_1000_results(
    gh: httpx.AsyncClient, contracts: Path
) -> None:
    """A page starting within the first 1,000 results answers (empty past the matches); one
    starting at or past it is GitHub's 422 (basic-error shape), whatever the page size."""
    for per_page, served, refused in ((100, 10, 11), (30, 34, 35)):
        params = {"q": "is:open", "per_page": str(per_page)}
        ok = await gh.get("/search/issues", params={**params, "page": str(served)})
        assert ok.status_code == 200, ok.text
        past = await gh.get("/search/issues", params={**params, "page": str(refused)})
        assert past.status_code == 422
        assert_valid(rest_schema(contracts, "basic-error"), past.json())
        assert past.json()["message"] == "Only the first 1000 search results are available"

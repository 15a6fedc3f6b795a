"""Hundreds of random GitHub calls (valid and not) never crash the simulator: every answer is
a documented status with a JSON body GitHub would send, and the counters add up."""

from __future__ import annotations

import random

import httpx

from zen_tui.simulator.app import build_app
from zen_tui.simulator.core.world import World
from zen_tui.simulator.github.service import GitHubSim

ALLOWED = {200, 201, 205, 304, 403, 404, 405, 409, 410, 422}


def calls(rng: random.Random) -> tuple[str, str, dict]:
    repo = rng.choice(["acme/api", "acme/web", "acme/nope"])
    n = rng.choice([1, 2, 3, 5, 8, 13, 99999, -1])
    body = rng.choice(
        [
            {},
            {"event": rng.choice(["APPROVE", "COMMENT", "REQUEST_CHANGES", "X"]), "body": "b"},
            {"labels": ["bug", "x"]},
            {"labels": "nope"},
            {"assignees": ["alice", "ghost"]},
            {"reviewers": ["bob"]},
            {"state": rng.choice(["open", "closed", "weird"])},
            {"body": rng.choice(["", "hi"])},
            {"sha": "0" * 40},
        ]
    )
    options = [
        ("GET", "/search/issues", {"params": {"q": rng.choice(["is:pr", "", "label:bug -is:pr"])}}),
        ("GET", f"/repos/{repo}/pulls", {"params": {"page": rng.randint(0, 5), "per_page": 7}}),
        ("GET", f"/repos/{repo}/pulls/{n}", {}),
        ("GET", f"/repos/{repo}/issues/{n}/comments", {"params": {"since": "garbage"}}),
        ("POST", f"/repos/{repo}/pulls/{n}/reviews", {"json": body}),
        ("PUT", f"/repos/{repo}/pulls/{n}/merge", {"json": body}),
        ("POST", f"/repos/{repo}/issues/{n}/labels", {"json": body}),
        ("DELETE", f"/repos/{repo}/issues/{n}/labels/bug", {}),
        ("POST", f"/repos/{repo}/issues/{n}/assignees", {"json": body}),
        ("POST", f"/repos/{repo}/pulls/{n}/requested_reviewers", {"json": body}),
        ("PATCH", f"/repos/{repo}/issues/{n}", {"json": body}),
        ("POST", f"/repos/{repo}/issues/{n}/comments", {"json": body}),
        ("GET", "/notifications", {"params": {"all": rng.choice(["true", "false"])}}),
        ("PATCH", f"/notifications/threads/{n}", {}),
        ("POST", f"/repos/{repo}/pulls/{n}/reviews", {"content": b"{not json"}),
    ]
    return rng.choice(options)


async def test_random_calls_never_crash_and_are_all_counted() -> None:
    world = World(seed=5, size=300)
    world.add(GitHubSim(world, "tok"))
    world.rate_scale = 100  # keep the budget out of the way
    transport = httpx.ASGITransport(app=build_app(world))
    rng = random.Random(1)
    seen = set()
    headers = {"Authorization": "Bearer tok"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://s/github", headers=headers
    ) as c:
        for _ in range(600):
            method, path, kwargs = calls(rng)
            r = await c.request(method, path, **kwargs)
            seen.add(r.status_code)
            assert r.status_code in ALLOWED | {400}, (method, path, kwargs, r.text)
            if r.content and r.status_code >= 400:
                assert "message" in r.json()
    assert {200, 404, 422} <= seen
    assert world.counters.snapshot()["requests_total"] == 600


WRONG_TYPES = [
    b"[]",
    b'"text"',
    b"null",
    b"123",
    b"\xff\xfe",
    b'{"labels": {"a": 1}}',
    b'{"reviewers": "bob"}',
    b'{"assignees": [1, null]}',
    b'{"state": 5}',
    b'{"body": 5}',
    b'{"title": null}',
    b'{"event": 5}',
    b'{"merge_method": 5}',
    b'{"labels": [{"name": 5}]}',
]
ODD_QUERIES = [
    "updated:>=x",
    "created:..",
    "updated:2020-01-01..",
    "updated:>=2020-01-01T25:00:00Z",
    "sort:",
    "sort:-",
    "closed:*..*",
    "merged:<2030-01-01",
    'is:pr "unclosed',
    "updated:>=",
]


async def test_wrong_json_types_and_odd_search_terms_are_4xx_not_crashes() -> None:
    world = World(seed=6, size=300, rate_scale=100)  # search budget out of the way
    world.add(GitHubSim(world, "tok"))
    rng = random.Random(2)
    transport = httpx.ASGITransport(app=build_app(world))  # an app exception fails the test
    headers = {"Authorization": "Bearer tok"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://s/github", headers=headers
    ) as c:
        for _ in range(300):
            method, path, _ = calls(rng)
            if method == "GET":
                r = await c.get("/search/issues", params={"q": rng.choice(ODD_QUERIES)})
                assert r.status_code in (200, 422), r.text
            else:
                r = await c.request(method, path, content=rng.choice(WRONG_TYPES))
                assert r.status_code in ALLOWED | {400}, (method, path, r.text)
            if r.status_code >= 400:
                assert "message" in r.json()

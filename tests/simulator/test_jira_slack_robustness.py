"""Random malformed requests to the Jira and Slack look-alikes never crash them: every answer
is a documented status in the service's own error shape (Jira ErrorCollection, Slack
`ok: false` on HTTP 200), never a 500 page, and every request is counted."""

from __future__ import annotations

import json
import random
from typing import Any

import httpx

from zen_tui.simulator.app import build_app, create_world

JSON, FORM = "application/json", "application/x-www-form-urlencoded"
# Bodies a confused client might send: broken JSON, JSON of the wrong type, wrong field types.
JUNK = [
    b"{not json",
    b"[]",
    b'"text"',
    b"null",
    b"123",
    b"\xff\xfe",
    b'{"a": {"b": [1, 2, {"c": null}]}}',
]


def jira_call(rng: random.Random) -> tuple[str, str, dict[str, Any]]:
    key = rng.choice(["ZEN-1", "OPS-2", "NOPE-1", "ZEN-999999", "zen-1", "%20", "10000"])
    value = rng.choice([None, 5, "x", [], {}, [1, "a"], {"id": 5}, {"id": "99"}, True, -1])
    shaped: dict[str, Any] = rng.choice(
        [
            {"jql": rng.choice(["", "project = ZEN", "((", "status in (", "x ~", "ORDER BY"])},
            {"jql": value, "maxResults": value, "fields": value, "nextPageToken": value},
            {"transition": value},
            {"body": value},
            {"accountId": value},
            {"fields": {"summary": value, "labels": value, "priority": value}},
            {"update": {"labels": [{"add": value}, {"remove": value}, value]}},
            {"selectedIssueIdsOrKeys": value, "transitionId": value},
            {"bulkTransitionInputs": [{"selectedIssueIdsOrKeys": value, "transitionId": value}]},
        ]
    )
    body = {"content": rng.choice(JUNK)} if rng.random() < 0.3 else {"json": shaped}
    params = {
        "jql": rng.choice(["project = ZEN", "assignee = currentUser(", "updated >= -5x", ""]),
        "maxResults": rng.choice(["10", "-1", "abc", "100000", ""]),
        "fields": rng.choice(["summary", "*all", "-x", "", ",,,"]),
        "nextPageToken": rng.choice(["", "garbage", "eyJ9"]),
        "expand": rng.choice(["renderedFields", "x"]),
        "issueIdsOrKeys": rng.choice(["ZEN-1,ZEN-2", "", ",", "NOPE-1"]),
    }
    api = "/jira/rest/api/3"
    options = [
        ("GET", f"{api}/search/jql", {"params": params}),
        ("POST", f"{api}/search/jql", body),
        ("POST", f"{api}/search/approximate-count", body),
        ("GET", f"{api}/search", {"params": params}),
        ("GET", f"{api}/issue/{key}", {"params": params}),
        ("PUT", f"{api}/issue/{key}", body),
        ("GET", f"{api}/issue/{key}/transitions", {}),
        ("POST", f"{api}/issue/{key}/transitions", body),
        ("GET", f"{api}/issue/{key}/comment", {"params": params}),
        ("POST", f"{api}/issue/{key}/comment", body),
        ("PUT", f"{api}/issue/{key}/assignee", body),
        ("POST", f"{api}/bulk/issues/transition", body),
        ("GET", f"{api}/bulk/issues/transition", {"params": params}),
        ("GET", f"{api}/bulk/queue/{rng.choice(['1', 'x', '-1', '10000'])}", {}),
        ("PATCH", f"{api}/issue/{key}", {}),  # no such method on an issue: 405
        ("GET", f"{api}/no/such/thing", {}),
    ]
    return rng.choice(options)


def slack_call(rng: random.Random) -> tuple[str, str, dict[str, Any]]:
    method = rng.choice(
        [
            "auth.test",
            "conversations.list",
            "conversations.history",
            "conversations.replies",
            "users.info",
            "users.list",
            "chat.postMessage",
            "reactions.add",
            "search.messages",
            "no.such.method",
            "",
        ]
    )
    value = rng.choice(["", "abc", "-5", "0", "99999999", "C000", "1.2.3", "U0", "🙂", "%"])
    fields = {
        k: value if rng.random() < 0.5 else rng.choice(["1", "true", "x"])
        for k in rng.sample(
            [
                "channel",
                "ts",
                "thread_ts",
                "limit",
                "cursor",
                "oldest",
                "latest",
                "user",
                "text",
                "name",
                "timestamp",
                "query",
                "count",
                "page",
                "types",
                "inclusive",
            ],
            k=rng.randint(0, 6),
        )
    }
    path = f"/slack/api/{method}"
    as_json = {k: rng.choice([v, 5, None, [v], {"v": v}]) for k, v in fields.items()}
    options = [
        ("GET", path, {"params": fields}),
        ("POST", path, {"data": fields}),
        ("POST", path, {"json": as_json}),
        ("POST", path, {"content": rng.choice(JUNK), "headers": {"content-type": JSON}}),
        ("POST", path, {"content": b"%%%=&&=", "headers": {"content-type": FORM}}),
    ]
    return rng.choice(options)


async def run(calls: Any, service: str, n: int) -> list[httpx.Response]:
    world = create_world(seed=9, size=600)
    world.rate_scale = 1000  # keep the budgets out of the way
    sim = world.services[service]
    headers = (
        {"Authorization": "Basic " + _basic("me@example.com", sim.token)}
        if service == "jira"
        else {"Authorization": f"Bearer {sim.token}"}
    )
    rng = random.Random(3)
    answers = []
    transport = httpx.ASGITransport(app=build_app(world))  # an app exception fails the test
    async with httpx.AsyncClient(transport=transport, base_url="http://s", headers=headers) as c:
        for _ in range(n):
            method, path, kwargs = calls(rng)
            r = await c.request(method, path, **kwargs)
            r.extensions["call"] = (method, path, kwargs)
            answers.append(r)
    assert world.counters.snapshot()["requests_total"] == n
    return answers


def _basic(user: str, token: str) -> str:
    import base64

    return base64.b64encode(f"{user}:{token}".encode()).decode()


async def test_jira_random_bad_requests_get_error_collections() -> None:
    answers = await run(jira_call, "jira", 600)
    for r in answers:
        assert r.status_code in {200, 201, 204, 400, 404, 405, 410}, (r.extensions["call"], r.text)
        if r.status_code >= 400:
            assert r.content, (r.extensions["call"], r.status_code, r.headers)
            body = r.json()
            bulk = r.extensions["call"][1].endswith("/bulk/issues/transition")
            if bulk and isinstance(body.get("errors"), list):
                # the bulk API's own refusal, BulkOperationErrorResponse (a body that is no
                # JSON is refused before it, in Jira's usual shape)
                assert [set(e) for e in body["errors"]] == [{"message"}], r.text
                continue
            assert isinstance(body.get("errorMessages"), list), (r.extensions["call"], r.text)
            assert isinstance(body.get("errors"), dict)
    assert {200, 400, 404, 405, 410} <= {r.status_code for r in answers}


async def test_slack_random_bad_requests_get_ok_false() -> None:
    answers = await run(slack_call, "slack", 600)
    errors = set()
    for r in answers:
        assert r.status_code == 200, (r.extensions["call"], r.status_code, r.text)
        body = json.loads(r.content)
        assert isinstance(body["ok"], bool)
        if not body["ok"]:
            assert isinstance(body["error"], str) and body["error"], body
            errors.add(body["error"])
    assert {"unknown_method", "channel_not_found"} <= errors
    assert any(json.loads(r.content)["ok"] for r in answers)

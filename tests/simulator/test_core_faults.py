"""Fault injection: the seeded engine, each fault kind through the app, runtime control."""

from __future__ import annotations

import json
import tomllib
from collections.abc import AsyncIterator

import httpx
import pytest

from zen_tui.simulator.app import ConnectionAbort, build_app
from zen_tui.simulator.core.faults import FaultEngine, FaultRule, FaultRuleError, parse_rules
from zen_tui.simulator.core.scenario import parse
from zen_tui.simulator.core.world import World
from zen_tui.simulator.github.service import GitHubSim

TOKEN = "core-test-token"


@pytest.fixture
def world() -> World:
    world = World(seed=4, size=60)
    world.add(GitHubSim(world, TOKEN))
    return world


@pytest.fixture
async def client(world: World) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(world))
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://sim", headers=headers) as c:
        yield c


async def put_faults(client: httpx.AsyncClient, *rules: dict) -> httpx.Response:
    return await client.put("/_sim/faults", json={"rules": list(rules)})


def test_engine_is_seeded_and_respects_rates() -> None:
    def draws(seed: int) -> list[str | None]:
        engine = FaultEngine(seed)
        engine.set_rules([FaultRule(error_rate=0.3, statuses=(500, 502))])
        return [engine.decide("github", "GET", "/user").kind for _ in range(1000)]

    first = draws(9)
    assert first == draws(9)
    assert 230 < first.count("error") < 370


def test_rule_matching_by_service_endpoint_and_method() -> None:
    rule = FaultRule(service="github", endpoint="/search/*", method="GET", outage=True)
    assert rule.matches("github", "get", "/search/issues")
    assert not rule.matches("jira", "GET", "/search/issues")
    assert not rule.matches("github", "GET", "/user")
    assert not rule.matches("github", "POST", "/search/issues")


def test_latency_fixed_plus_jitter() -> None:
    engine = FaultEngine(1)
    engine.set_rules([FaultRule(latency_ms=100, jitter="uniform", jitter_ms=50)])
    delays = [engine.decide("slack", "GET", "/api/x").delay for _ in range(200)]
    assert all(0.1 <= d <= 0.15 for d in delays)
    assert max(delays) - min(delays) > 0.03


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"error_rate": 2}, "between 0 and 1"),
        ({"jitter": "gauss"}, "uniform"),
        ({"statuses": [200]}, "400 and 599"),
        ({"colour": "red"}, "unknown fault rule key"),
        ({"ok_false_rate": 1.0}, 'set service = "slack"'),  # GitHub, Jira: no ok:false
        ({"service": "slack", "ok_false_errors": []}, "give Slack error codes"),
        ({"service": "slack", "ok_false_errors": "invalid_auth"}, "give a list"),
        ({"service": "slack", "ok_false_errors": ["Bad Code\x1b"]}, "give Slack error codes"),
    ],
)
def test_bad_rules_say_what_is_wrong(rule: dict, message: str) -> None:
    with pytest.raises(FaultRuleError, match=message):
        parse_rules([rule])


async def test_error_rate_one_gives_service_shaped_error(client: httpx.AsyncClient) -> None:
    await put_faults(client, {"service": "github", "error_rate": 1.0, "statuses": [502]})
    r = await client.get("/github/user")
    assert r.status_code == 502
    assert set(r.json()) == {"message", "documentation_url"}  # GitHub's basic-error


async def test_ok_false_rate_answers_slack_s_http_200_refusal(world: World) -> None:
    """Slack's way of failing: HTTP 200 with ok:false and the code, one of the rule's."""
    from zen_tui.simulator.slack.service import SlackSim

    world.add(SlackSim(world, TOKEN))
    transport = httpx.ASGITransport(app=build_app(world))
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://sim", headers=headers) as c:
        rule = {"service": "slack", "endpoint": "/api/auth.test", "ok_false_rate": 1.0}
        codes = ["invalid_auth", "fatal_error"]
        await put_faults(c, rule | {"ok_false_errors": codes})
        answers = [await c.post("/slack/api/auth.test") for _ in range(20)]
        assert {r.status_code for r in answers} == {200}
        assert {r.json()["error"] for r in answers} == set(codes)
        assert all(r.json()["ok"] is False and r.headers["x-slack-req-id"] for r in answers)
        assert (await c.post("/slack/api/users.info", data={"user": "U1"})).json()["error"] == (
            "user_not_found"  # another method: served as Slack serves it
        )


async def test_outage_503_then_clear(client: httpx.AsyncClient) -> None:
    await put_faults(client, {"service": "github", "outage": True})
    assert (await client.get("/github/user")).status_code == 503
    assert (await client.delete("/_sim/faults")).json()["runtime"] == []
    assert (await client.get("/github/user")).status_code == 200


async def test_rate_limit_storm_uses_service_shape(client: httpx.AsyncClient) -> None:
    await put_faults(client, {"service": "github", "rate_limit_rate": 1.0, "retry_after": 7})
    r = await client.get("/github/user")
    assert r.status_code == 429
    assert r.headers["retry-after"] == "7"
    assert "secondary rate limit" in r.json()["message"]


async def test_a_github_secondary_limit_may_say_no_retry_after(client: httpx.AsyncClient) -> None:
    """GitHub's docs: a secondary limit without retry-after, remaining above 0: wait >= 60 s
    (x-ratelimit-reset is the primary window's end, up to an hour away)."""
    await put_faults(client, {"service": "github", "rate_limit_rate": 1.0, "retry_after": 0})
    r = await client.get("/github/user")
    assert r.status_code == 429 and "retry-after" not in r.headers
    assert int(r.headers["x-ratelimit-remaining"]) > 0 and r.headers["x-ratelimit-reset"]
    assert "secondary rate limit" in r.json()["message"]
    bad = await put_faults(client, {"service": "github", "rate_limit_rate": 1.0, "retry_after": -1})
    assert bad.status_code == 400 and "retry_after must be >= 0" in bad.text


async def test_malformed_and_truncated_json(client: httpx.AsyncClient) -> None:
    await put_faults(client, {"endpoint": "/user", "malformed_rate": 1.0})
    r = await client.get("/github/user")
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        r.json()
    await put_faults(client, {"endpoint": "/user", "truncated_rate": 1.0})
    r = await client.get("/github/user")
    assert r.status_code == 200 and r.content.startswith(b'{"login":"me"')
    with pytest.raises(json.JSONDecodeError):
        r.json()


async def test_endpoint_glob_limits_the_fault(client: httpx.AsyncClient) -> None:
    await put_faults(client, {"service": "github", "endpoint": "/search/*", "outage": True})
    assert (await client.get("/github/search/issues", params={"q": "is:pr"})).status_code == 503
    assert (await client.get("/github/user")).status_code == 200


async def test_reset_aborts_the_response(client: httpx.AsyncClient) -> None:
    await put_faults(client, {"service": "github", "reset_rate": 1.0})
    with pytest.raises(ConnectionAbort):
        await client.get("/github/user")


async def test_post_appends_and_bad_rule_is_400(client: httpx.AsyncClient) -> None:
    await put_faults(client, {"service": "github", "latency_ms": 1})
    r = await client.post("/_sim/faults", json={"service": "jira", "outage": True})
    assert len(r.json()["runtime"]) == 2
    bad = await client.put("/_sim/faults", json=[{"error_rate": "lots"}])
    assert bad.status_code == 400
    assert "fault rule #0" in bad.json()["error"]
    assert len((await client.get("/_sim/faults")).json()["runtime"]) == 2


async def test_counters_by_endpoint_and_status_and_reset(client: httpx.AsyncClient) -> None:
    await client.get("/github/user")
    await client.get("/github/repos/acme/api/pulls/1")
    await client.get("/github/repos/acme/api/pulls/2")
    await put_faults(client, {"service": "github", "outage": True})
    await client.get("/github/user")
    counters = (await client.get("/_sim/counters")).json()
    rows = {(r["endpoint"], r["status"]): r["count"] for r in counters["requests"]}
    assert rows[("/repos/{owner}/{repo}/pulls/{number}", 200)] == 2
    assert rows[("/user", 200)] == 1 and rows[("/user", 503)] == 1
    assert counters["quota_spent"] == {"github:core": 3}
    assert (await client.post("/_sim/counters/reset")).status_code == 204
    assert (await client.get("/_sim/counters")).json()["requests_total"] == 0


async def test_faulted_requests_are_counted_under_their_route_template(
    client: httpx.AsyncClient,
) -> None:
    await put_faults(client, {"service": "github", "endpoint": "/repos/*", "outage": True})
    await client.get("/github/repos/acme/api/pulls/1")
    counters = (await client.get("/_sim/counters")).json()["requests"]
    assert counters == [
        {
            "service": "github",
            "endpoint": "/repos/{owner}/{repo}/pulls/{number}",
            "status": 503,
            "count": 1,
        }
    ]


async def test_deprecation_and_sunset_headers_on_matching_endpoint(
    client: httpx.AsyncClient,
) -> None:
    sunset = "Wed, 01 Jul 2026 00:00:00 GMT"
    rule = {"service": "github", "endpoint": "/user", "deprecation": "@1767225600"}
    r = await put_faults(client, {**rule, "sunset": sunset})
    assert r.status_code == 200
    hit = await client.get("/github/user")
    assert hit.status_code == 200  # headers only: the answer itself is unchanged
    assert hit.headers["deprecation"] == "@1767225600" and hit.headers["sunset"] == sunset
    other = await client.get("/github/rate_limit")
    assert "deprecation" not in other.headers and "sunset" not in other.headers
    await put_faults(client, {**rule, "outage": True})
    down = await client.get("/github/user")
    assert down.status_code == 503 and down.headers["deprecation"] == "@1767225600"


@pytest.mark.parametrize("value", [True, "line\r\nX-Evil: 1", "snow ☃"])
def test_deprecation_must_be_one_line_of_header_text(value: object) -> None:
    with pytest.raises(FaultRuleError, match="deprecation/sunset"):
        parse_rules([{"deprecation": value}])


def test_scenario_phase_can_announce_a_sunset() -> None:
    script = """
    [[phase]]
    name = "notifications retiring"
    at = 0
    duration = 60
    [[phase.faults]]
    service = "github"
    endpoint = "/notifications"
    deprecation = "@1767225600"
    sunset = "Wed, 01 Jul 2026 00:00:00 GMT"
    """
    [rule] = parse(tomllib.loads(script)).rules_at(1)
    assert rule.extra_headers() == [
        (b"deprecation", b"@1767225600"),
        (b"sunset", b"Wed, 01 Jul 2026 00:00:00 GMT"),
    ]

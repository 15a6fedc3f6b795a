"""Slack simulator responses against the slack-api-specs examples as a shape guide (same keys
and JSON types; the spec's additionalProperties:false is known to be too strict) and Events API
envelopes against the common event wrapper schema."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from tests.helpers import mounted_client
from zen_tui.simulator.core.webhooks import WebhookDispatcher
from zen_tui.simulator.core.world import ChangeEvent, World
from zen_tui.simulator.slack.service import SlackSim

LIST_KEYS = ("channels", "messages", "members", "matches")


def kind(value: Any) -> str:
    return (
        "number"
        if isinstance(value, int | float) and not isinstance(value, bool)
        else (type(value).__name__)
    )


def assert_shape(recorded: Any, actual: Any, path: str = "") -> None:
    """Every key of the recorded example is present with the same JSON type, recursively
    (first element of lists of objects)."""
    if isinstance(recorded, dict):
        assert isinstance(actual, dict), path
        for key, value in recorded.items():
            assert key in actual, f"{path}.{key} missing"
            if value is not None:
                assert_shape(value, actual[key], f"{path}.{key}")
    elif isinstance(recorded, list):
        assert isinstance(actual, list), path
        if recorded and actual and isinstance(recorded[0], dict):
            assert_shape(recorded[0], actual[0], f"{path}[0]")
    else:
        assert kind(recorded) == kind(actual), f"{path}: {recorded!r} vs {actual!r}"


@pytest.fixture(scope="module")
def examples(contracts: Path) -> Path:
    return contracts / "slack-api-specs/examples"


@pytest.fixture
def slack() -> SlackSim:
    world = World(seed=9, size=1500)
    sim = SlackSim(world, "user-token")
    world.add(sim)
    return sim


@pytest.fixture
async def client(slack: SlackSim) -> AsyncIterator[httpx.AsyncClient]:
    async with mounted_client(slack, "/api", {"Authorization": "Bearer user-token"}) as c:
        yield c


def threaded(slack: SlackSim) -> tuple[str, str]:
    for chan in slack.channels.values():
        for msg in chan.messages.values():
            if msg.replies and chan.kind == "public":
                return chan.id, msg.ts
    raise AssertionError("the seed has no thread")


async def test_success_shapes_match_the_examples(
    client: httpx.AsyncClient, slack: SlackSim, examples: Path
) -> None:
    channel, parent = threaded(slack)
    calls = {
        "auth.test": {},
        "conversations.list": {"limit": "3"},
        "conversations.history": {"channel": channel, "limit": "2"},
        "conversations.replies": {"channel": channel, "ts": parent, "limit": "1"},
        "users.info": {"user": slack.me.id},
        "users.list": {"limit": "2"},
        "chat.postMessage": {"channel": channel, "text": "hello"},
        "search.messages": {"query": "deploy", "count": "2"},
    }
    for method, params in calls.items():
        body = (await client.post(f"/{method}", data=params)).json()
        recorded = json.loads((examples / f"{method}.200.json").read_text())
        if method == "chat.postMessage":  # the example is a bot message with attachments
            recorded["message"] = {k: recorded["message"][k] for k in ("text", "ts", "type")}
        assert_shape(recorded, body, method)
    react = {"channel": channel, "name": "rocket", "timestamp": parent}
    body = (await client.post("/reactions.add", data=react)).json()
    assert_shape(json.loads((examples / "reactions.add.200.json").read_text()), body)


async def test_error_shapes_match_the_default_examples(
    client: httpx.AsyncClient, examples: Path
) -> None:
    for method in ("conversations.history", "users.info", "reactions.add", "search.messages"):
        body = (await client.post(f"/{method}", data={"channel": "C404", "user": "U404"})).json()
        recorded = json.loads((examples / f"{method}.default.json").read_text())
        assert set(body) >= set(recorded) and body["ok"] is False
        assert_shape(recorded, body, method)


async def test_oauth_access_shape(slack: SlackSim, examples: Path) -> None:
    async with mounted_client(slack) as c:
        params = {
            "client_id": "1.2",
            "scope": "chat:write",
            "user_scope": "search:read",
            "redirect_uri": "http://127.0.0.1:9/cb",
            "decision": "allow",
        }
        location = (await c.post("/oauth/v2/authorize", data=params)).headers["location"]
        code = location.split("code=")[1].split("&")[0]
        body = (
            await c.post(
                "/api/oauth.v2.access",
                data={"client_id": "1.2", "client_secret": "s", "code": code},
            )
        ).json()
    recorded = json.loads((examples / "oauth.v2.access.200.json").read_text())
    recorded.pop("enterprise")  # null for a non-Enterprise workspace
    assert_shape(recorded, body, "oauth.v2.access")


async def test_event_envelopes_validate_against_the_wrapper_schema(
    client: httpx.AsyncClient, slack: SlackSim, contracts: Path
) -> None:
    schema = json.loads(
        (
            contracts / "slack-api-specs/events-api/slack_common_event_wrapper_schema.json"
        ).read_text()
    )
    changes: list[ChangeEvent] = []
    slack.world.on_change(changes.append)
    channel, parent = threaded(slack)
    await client.post("/chat.postMessage", data={"channel": channel, "text": "hi"})
    await client.post(
        "/reactions.add", data={"channel": channel, "name": "tada", "timestamp": parent}
    )
    hooks = WebhookDispatcher(slack.world, {})
    envelopes = [hooks.slack_envelope(change) for change in changes]
    assert [e["event"]["type"] for e in envelopes] == ["message", "reaction_added"]
    for envelope in envelopes:
        jsonschema.Draft7Validator(schema).validate(envelope)
    assert len({e["event_id"] for e in envelopes}) == 2

"""Names from users.info were kept for the whole process: a person renamed in Slack kept
their old name until a restart. A name is now kept as long as the gateway's user_info
answers are fresh (config: gateway cache types, user_info TTL), then asked of the gateway
again. Against the simulator with the real client and gateway, on one virtual clock; the
TTL is set to one not the default, so the test shows the config is what counts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from msgspec.structs import replace

from zen_tui.gateway import FakeClock
from zen_tui.gateway.settings import CacheTypeSettings, default_settings
from zen_tui.models import Message
from zen_tui.services import make_client

from .conftest import section, sim_gateway

TTL = 600.0  # user_info's TTL here (3600 s by default)


@pytest.fixture
async def client_and_clock(sim: Any) -> AsyncIterator[tuple[Any, FakeClock]]:
    settings = default_settings("slack")
    types = dict(settings.cache.types) | {"user_info": CacheTypeSettings(ttl=TTL, maxsize=200)}
    settings = replace(settings, cache=replace(settings.cache, types=types))
    clock = FakeClock()
    gateway = sim_gateway(sim, "slack", settings=settings, clock=clock)
    yield make_client(sim.account("slack"), gateway, clock=clock), clock
    await gateway.aclose()


async def authors(client: Any) -> dict[str, str]:
    """#dev's messages as the section shows them: key -> author shown."""
    result = await client.fetch_section(section("slack", "#dev", pane="messages"))
    return {m.key: m.author for m in result.items if isinstance(m, Message)}


def users_info_asked(client: Any) -> list[str]:
    """The users asked of the gateway by users.info from now on, in order (a spy on the
    client's gateway, which still answers: from its cache or from Slack)."""
    asked: list[str] = []
    real = client.gateway.request

    async def spy(method: str, path: str, **kwargs: Any) -> Any:
        if path == "/users.info":
            asked.append(kwargs["params"]["user"])
        return await real(method, path, **kwargs)

    client.gateway.request = spy
    return asked


async def test_a_rename_in_slack_shows_after_the_user_info_ttl_not_before(
    sim: Any, client_and_clock: tuple[Any, FakeClock]
) -> None:
    client, clock = client_and_clock
    slack = sim.world.services["slack"]
    shown = await authors(client)
    by_name = {u.display_name or u.name: u for u in slack.users.values()}
    person = next(
        by_name[a] for a in shown.values() if a in by_name and by_name[a].id != slack.me.id
    )
    old = person.display_name or person.name
    written = {key for key, author in shown.items() if author == old}
    slack.rename_user(person.id, "renamed-in-slack")
    asked = users_info_asked(client)
    try:
        clock.advance(TTL - 1)  # the name is still fresh: kept, the gateway not asked
        before = await authors(client)
        assert asked == []
        clock.advance(2)  # past the TTL: asked again, and the gateway asks Slack
        after = await authors(client)
    finally:
        person.display_name = None
    assert {before[key] for key in written} == {old}
    assert {after[key] for key in written} == {"renamed-in-slack"}
    assert person.id in asked


async def test_a_name_past_its_ttl_stays_while_slack_cannot_say(
    sim: Any, client_and_clock: tuple[Any, FakeClock]
) -> None:
    """Past the TTL the name is asked again; Slack refusing it then (a fault rule: every
    users.info `user_not_found`) shows the name known, not the person's id, and the read
    asks once per person, not once per message."""
    client, clock = client_and_clock
    shown = await authors(client)
    clock.advance(TTL + 1)
    sim.set_faults(
        [
            {
                "service": "slack",
                "endpoint": "/api/users.info",
                "ok_false_rate": 1.0,
                "ok_false_errors": ["user_not_found"],
            }
        ]
    )
    asked = users_info_asked(client)
    try:
        again = await authors(client)
    finally:
        sim.clear_faults()
    assert again == shown
    assert asked and len(asked) == len(set(asked))

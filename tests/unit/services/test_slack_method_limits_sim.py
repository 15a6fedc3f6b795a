"""Slack limits each method on its own (per app and workspace, at its tier's rate): a 429 on
one method pauses that method, not the others of its tier. Against the simulator, whose
non-Marketplace rule answers conversations.history once a minute."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from msgspec.structs import replace

from zen_tui.gateway import FakeClock, Gateway
from zen_tui.gateway.credentials import Credential, StaticCredentialProvider
from zen_tui.gateway.errors import RateLimited
from zen_tui.gateway.settings import default_settings
from zen_tui.models import Action, Message
from zen_tui.services.slack import SlackClient

from .conftest import section


@pytest.fixture
def clock(sim: Any) -> Iterator[FakeClock]:
    """The client's and the simulator's time, with Slack's non-Marketplace rule on."""
    clock = FakeClock(start=time.time())
    slack = sim.world.services["slack"]
    real, sim.world.clock = sim.world.clock, clock.time
    slack.non_marketplace = True
    yield clock
    slack.non_marketplace = False
    sim.world.clock = real


async def test_a_429_on_history_leaves_reactions_and_threads_alone(
    sim: Any, clock: FakeClock
) -> None:
    acc = sim.account("slack")
    settings = default_settings("slack")
    # A 429 whose Retry-After is past 5 s ends the call: the pause it set is what is tested.
    settings = replace(settings, retry=replace(settings.retry, max_server_wait=5.0))
    gateway = Gateway(
        account=acc.name,
        service="slack",
        base_url=acc.base_url,
        settings=settings,
        credentials=StaticCredentialProvider({acc.name: Credential(acc.token)}),
        clock=clock,
    )
    client = SlackClient(acc, gateway, clock=clock)
    try:
        [message, *_] = (await client.fetch_section(section("slack", "#dev"), limit=5)).items
        assert isinstance(message, Message)
        with pytest.raises(RateLimited):  # history again within the minute: Slack's 429
            await client.call("conversations.history", {"channel": message.channel_id})
        start = clock.time()
        react = Action(kind="react", item_id=message.id, account=acc.name, params={"name": "eyes"})
        assert (await client.apply(react, idempotency_key="limits-1")).ok
        detail = await client.details(message)  # conversations.replies, also tier 3
        assert detail.error is None
        assert clock.time() - start < 1.0, "waited for history's Retry-After"
        with pytest.raises(RateLimited):  # history itself stays paused
            await client.call("conversations.history", {"channel": message.channel_id})
    finally:
        await gateway.aclose()

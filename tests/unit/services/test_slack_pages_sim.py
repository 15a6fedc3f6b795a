"""The Slack client against the simulator's paging and archive edges: pages shorter than
`limit` mid-collection (Slack's pagination guide: keep following next_cursor) and archived
channels (listed with `is_archived`, still readable, a post refused with `is_archived`)."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from typing import Any

import pytest

from zen_tui.gateway import FakeClock
from zen_tui.models import Action, Message
from zen_tui.services import make_client

from .conftest import section, sim_gateway

NOTE = "#dev archived in Slack: read-only, no new messages"


@pytest.fixture(scope="module")
def sim() -> Iterator[Any]:
    """A simulator of its own with budgets for the many short pages read here (history's
    Tier 3, 50 a minute, would end the invariant's rounds early)."""
    from zen_tui.simulator.server import SimulatorServer

    with SimulatorServer(seed=7, size=1500, rate_scale=100.0) as server:
        yield server


@pytest.fixture
def slack_sim(sim: Any) -> Iterator[Any]:
    """The simulator's Slack; the settings a test changes are put back after it."""
    slack = sim.world.services["slack"]
    yield slack
    slack.short_page_rate, slack.archived_channels = 0.0, ""


async def test_short_pages_mid_history_collect_every_message_once_in_order(
    sim_client, slack_sim, monkeypatch
) -> None:
    """Invariant over seeded rounds: with most pages short (fewer than `limit` yet a
    next_cursor), a section reads the same messages, in the same order, as without."""
    query = section("slack", "#dev, #random", pane="messages")
    want = [m.id for m in (await sim_client("slack").fetch_section(query, limit=1000)).items]
    assert len(want) > 30
    rng = random.Random(612)
    for _ in range(6):
        slack_sim.world.rng.seed(rng.randrange(2**32))  # which pages come short
        slack_sim.short_page_rate = rng.choice([0.3, 0.7, 1.0])
        monkeypatch.setattr("zen_tui.services.slack.HISTORY_CAP", rng.randint(2, 15))
        got = await sim_client("slack").fetch_section(query, limit=1000)
        assert got.complete and not got.partial and got.stale_error is None
        assert [m.id for m in got.items] == want


async def test_short_and_empty_channel_list_pages_still_find_every_channel(
    sim_client, slack_sim
) -> None:
    """conversations.list pages may come short or empty (Slack filters after the limit):
    the share picker still lists every channel I am in, each once."""
    want = await sim_client("slack").share_targets()
    slack_sim.short_page_rate = 1.0  # every page short, some empty
    for seed in range(5):
        slack_sim.world.rng.seed(seed)
        got = await sim_client("slack").share_targets()
        assert got == want


def channel_named(slack_sim: Any, name: str) -> Any:
    return next(c for c in slack_sim.channels.values() if c.name == name)


async def test_an_archived_channel_in_a_section_stays_listed_read_only(
    sim_client, slack_sim
) -> None:
    """What the user sees: the archived channel's messages stay in the section (Slack
    keeps them readable), the share picker no longer offers it, and a reply there fails
    in one line saying the channel is archived, as a refusal (no retry)."""
    dev = channel_named(slack_sim, "dev")
    query = section("slack", "#dev", pane="messages")
    before = await sim_client("slack").fetch_section(query, limit=50)
    slack_sim.archived_channels = "dev"
    client = sim_client("slack")  # a fresh process: it resolves #dev by listing channels
    after = await client.fetch_section(query, limit=50)
    assert [m.id for m in after.items] == [m.id for m in before.items]
    assert after.complete and after.stale_error is None and after.gone == ()
    assert after.note == NOTE
    targets = await client.share_targets()
    assert ("#dev" not in [label for _, label in targets]) and targets
    message = after.items[0]
    assert isinstance(message, Message) and message.channel_id == dev.id
    reply = Action(kind="reply", item_id=message.id, account="slack", params={"text": "hi"})
    result = await client.apply(reply, idempotency_key="archived-1")
    assert not result.ok and result.conflict and result.label == "read-only"
    assert result.message == (
        "#dev is archived in Slack, read-only until someone unarchives it "
        "(chat.postMessage: is_archived); not sent"
    )


async def test_a_full_listing_learns_an_archive_once_the_channel_list_copy_expires(
    sim, slack_sim
) -> None:
    """No event came (webhooks off): a running client learns the channel was archived from
    conversations.list's `is_archived`, read again at a full listing once its cached copy
    (5 minutes) expired, and learns the unarchive the same way. Before: it read the list
    only when a name was new to it, so it never learned either."""
    clock = FakeClock(start=time.time())
    gateway = sim_gateway(sim, "slack", clock=clock)
    client = make_client(sim.account("slack"), gateway, clock=clock)
    query = section("slack", "#dev", pane="messages")
    try:
        assert (await client.fetch_section(query, limit=5)).note is None
        slack_sim.archived_channels = "dev"
        assert (await client.fetch_section(query, limit=5)).note is None  # the cached list
        await clock.sleep(301)
        assert (await client.fetch_section(query, limit=5)).note == NOTE
        slack_sim.archived_channels = ""
        await clock.sleep(301)
        assert (await client.fetch_section(query, limit=5)).note is None
    finally:
        await gateway.aclose()

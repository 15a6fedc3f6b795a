"""Slack answers a refusal as HTTP 200 `{"ok": false, "error": "user_not_found"}`. It says
what is wrong now, not data to keep: a user Slack did not find a moment ago (one just
created) is named at the next read, not shown by id for users.info's cache hour (the
gateway kept the refusal) nor for the rest of the process (the client did). Each refusal
Slack gave is counted once as a failed call, and a read asks once per person.

Against the simulator: a fault rule makes users.info answer `user_not_found`, then the
rule is lifted, as when Slack finds the user; a channel left answers `not_in_channel` until
the user is back in it."""

from __future__ import annotations

import re
from typing import Any

from zen_tui.models import Message
from zen_tui.services.slack_parse import is_user_id
from zen_tui.simulator.core import settings as sim_settings
from zen_tui.ui.health_model import HealthModel

from .conftest import section

MENTION = re.compile(r"@([UW][A-Z0-9]{6,})\b")
NOT_FOUND = {
    "service": "slack",
    "endpoint": "/api/users.info",
    "ok_false_rate": 1.0,
    "ok_false_errors": ["user_not_found"],
}


async def read_dev(client: Any) -> dict[str, Message]:
    """#dev's messages by key, as the section shows them."""
    result = await client.fetch_section(section("slack", "#dev", pane="messages"))
    return {m.key: m for m in result.items if isinstance(m, Message)}


def people_by_id(messages: dict[str, Message]) -> set[str]:
    """The people shown by their id: authors, and mentions (`@U0123ABCD`) in the text."""
    ids = {m.author for m in messages.values() if is_user_id(m.author)}
    return ids | {found for m in messages.values() for found in MENTION.findall(m.text)}


async def test_a_user_slack_did_not_find_is_named_at_the_next_read(
    sim: Any, watched: tuple[Any, HealthModel]
) -> None:
    client, model = watched
    sim.set_faults([NOT_FOUND])
    refused = await read_dev(client)
    unnamed = people_by_id(refused)
    assert unnamed, "#dev has messages by people, shown by id while Slack refuses them"
    failed = model.endpoints[("slack", "GET", "users.info")]
    assert failed.errors == failed.count == len(unnamed)  # asked once per person, per read

    sim.clear_faults()  # Slack finds them now
    named = await read_dev(client)  # no revalidation: a kept refusal would answer it

    assert named.keys() == refused.keys()
    assert people_by_id(named) == set(), [m.author for m in named.values()]
    after = model.endpoints[("slack", "GET", "users.info")]
    assert after.count == 2 * len(unnamed)  # each person asked again, and found
    assert after.errors == failed.errors  # each refusal counted once, none again
    assert client.gateway.health().errors == failed.errors


async def test_a_channel_rejoined_is_read_at_the_next_read(
    sim: Any, watched: tuple[Any, HealthModel]
) -> None:
    """`not_in_channel` was kept as #dev's history page (the listing's 30 s): a user back
    in the channel (invited, or joined) still read it as left. The next read reads it."""
    client, model = watched
    dev = section("slack", "#dev", pane="messages")
    sim_settings.apply(sim.world, {"slack": {"left_channels": "dev"}})
    try:
        left = await client.fetch_section(dev)
        assert left.items == [] and left.left_out == "not a member of #dev"  # never read
        sim_settings.apply(sim.world, {"slack": {"left_channels": ""}})  # back in #dev
        back = await client.fetch_section(dev)  # no revalidation: a kept refusal answers it
    finally:
        sim_settings.apply(sim.world, {"slack": {"left_channels": ""}})
    assert back.items and back.left_out is None and not back.gone
    history = model.endpoints[("slack", "GET", "conversations.history")]
    assert history.errors == 1  # the one refusal Slack gave, counted once

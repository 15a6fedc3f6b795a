"""A channel a Slack section names but cannot read was always said "left" (`· #dev left`),
also one never readable: a wrong id, a public channel never joined, a private one never in
(Slack answers conversations.history `ok: false` on HTTP 200: `not_in_channel` for a public
channel one is not in, `channel_not_found` for an id it does not know or a private channel
one is not in). "left" now needs the channel read before, by this process or as the store
says (its messages kept, the section's cursor holding its newest); otherwise the words are
Slack's, by name when known else by id. Against the simulator with the real client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from zen_tui.models import FetchResult, Message
from zen_tui.simulator.core import settings as sim_settings

from .conftest import section

JOIN = "conversations.history: not_in_channel (join the channel in Slack first)"
NOT_FOUND = "conversations.history: channel_not_found (check the channel name or id"


@contextmanager
def left(sim: Any, refs: str) -> Iterator[None]:
    """The user out of these channels (names or ids) in the simulator, back in after."""
    sim_settings.apply(sim.world, {"slack": {"left_channels": refs}})
    try:
        yield
    finally:
        sim_settings.apply(sim.world, {"slack": {"left_channels": ""}})


def slack_channel(sim: Any, kind: str, name: str | None = None) -> Any:
    chans = sim.world.services["slack"].channels.values()
    return next(c for c in chans if c.kind == kind and name in (None, c.name))


async def read(
    client: Any, query: str, cursor: str | None = None, *, revalidate: bool = False
) -> FetchResult:
    """The section's read; `revalidate`: no page from the gateway's cache (the listing's
    30 s), as after a change the dashboard was told of."""
    shown = section("slack", query, pane="messages")
    return await client.fetch_section(shown, cursor=cursor, revalidate=revalidate)


async def test_channels_never_readable_say_what_slack_said_not_left(
    sim: Any, sim_client: Callable[[str], Any]
) -> None:
    """A public channel never joined, a private one never in (by id: Slack lists it to no
    one outside it, so its name is unknown) and a wrong id: none was ever read."""
    private = slack_channel(sim, "private")
    with left(sim, f"dev,{private.id}"):
        result = await read(sim_client("slack"), f"#dev, #ops, {private.id}, C0NOSUCH0")
    said = f"not a member of #dev, {private.id} not found, C0NOSUCH0 not found"
    assert result.left_out == said, result.left_out
    note = result.note or ""
    assert f"not a member of #dev: {JOIN}" in note, note
    assert f"{private.id} not found: {NOT_FOUND}" in note, note
    assert f"C0NOSUCH0 not found: {NOT_FOUND}" in note, note
    assert "left" not in (result.left_out + note).replace("left out", ""), note
    assert result.items and {m.channel for m in result.items if isinstance(m, Message)} == {
        "ops"
    }  # the channel it can read, read live


async def test_a_channel_read_then_refused_was_left(
    sim: Any, sim_client: Callable[[str], Any]
) -> None:
    """Read by this process, then Slack refuses it: public (not_in_channel) or private
    (channel_not_found, the same answer as a wrong id), it was left."""
    client = sim_client("slack")
    private = slack_channel(sim, "private")
    query = f"#dev, {private.id}"
    first = await read(client, query)
    assert first.left_out is None and first.items
    with left(sim, f"dev,{private.id}"):
        again = await read(client, query, first.cursor, revalidate=True)
    name = f"#{private.name}"  # learnt from the listing while the user was in it
    assert again.left_out == f"#dev left, {name} left", again.left_out
    assert (again.note or "").startswith(f"#dev left: {JOIN}; {name} left: {NOT_FOUND}")


async def test_the_store_says_a_channel_was_read_before(
    sim: Any, sim_client: Callable[[str], Any]
) -> None:
    """A new process (a new client) refused a channel it never read itself: its stored
    messages, or the section's stored cursor naming it, say it was read before: left."""
    dev = slack_channel(sim, "public", "dev")
    kept = [m for m in (await read(sim_client("slack"), "#dev")).items if isinstance(m, Message)]
    assert kept
    with left(sim, "dev"):
        by_rows = sim_client("slack")
        by_rows.keep_stored(lambda: kept)
        rows = await read(by_rows, "#dev")
        by_cursor = await read(sim_client("slack"), "#dev", f"{dev.id}={kept[0].ts}")
        by_nothing = await read(sim_client("slack"), "#dev")
    assert (rows.left_out, by_cursor.left_out) == ("#dev left", "#dev left")
    assert by_nothing.left_out == "not a member of #dev"

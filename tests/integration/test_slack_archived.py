"""A Slack channel archived and unarchived while zen-tui runs, against the whole simulator
on virtual time under the real engine, webhook processor and SQLite store.

Slack sends `channel_archive` (`group_archive` for a private channel) when it happens; the
section naming the channel says it is archived (read-only) at the refresh that delivery
asks for, not only once conversations.list is read again (its cached copy, 5 minutes, still
says otherwise). A reply queued to it fails once, saying why, and is not retried; unarchived
(`channel_unarchive`), the note goes and a reply is sent.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from pathlib import Path

from msgspec.structs import replace

from zen_tui.config import SectionConfig
from zen_tui.models import Action, ActionState, FreshnessState, Message
from zen_tui.simulator.core.webhooks import WebhookDispatcher
from zen_tui.simulator.core.world import ChangeEvent
from zen_tui.simulator.slack.model import Channel, ident
from zen_tui.sync.engine import SyncEngine
from zen_tui.sync.webhook_processor import WebhookProcessor

from .gone_world import VirtualWorld

NOTE = "#quiet archived in Slack: read-only, no new messages"


def world(tmp_path: Path) -> VirtualWorld:
    """The simulator's Slack with a channel of no messages yet, #quiet (a section shows its
    note only while empty), and a section of it and one of #dev."""
    vw = VirtualWorld(tmp_path)
    slack = vw.slack
    members = set(next(c for c in slack.channels.values() if c.name == "dev").members)
    quiet = Channel(ident(vw.world.rng, "C"), "quiet", "public", int(vw.clock.time()), members)
    slack.channels[quiet.id] = quiet
    sections = [
        SectionConfig("messages", "#quiet", "slack", channels=("#quiet",)),
        SectionConfig("messages", "#dev only", "slack", channels=("#dev",)),
    ]
    vw.settings = replace(vw.settings, sections=[*vw.settings.sections, *sections])
    return vw


def section_of(engine: SyncEngine, title: str) -> str:
    return next(s.id for s in engine.sections if s.title == title)


class Deliveries:
    """The simulator's Slack events, each enqueued as the webhook receiver would (the Events
    API envelope), then applied by the real processor."""

    def __init__(self, vw: VirtualWorld, engine: SyncEngine) -> None:
        self.vw, self.engine = vw, engine
        self.events: list[ChangeEvent] = []
        self.ids = itertools.count()
        self.hooks = WebhookDispatcher(vw.world, {})
        vw.world.on_change(self.events.append)

    def deliver(self, event: str) -> None:
        [change] = [e for e in self.events if e.event == event]
        self.events.remove(change)
        body = json.dumps(self.hooks.slack_envelope(change)).encode()
        store, delivery = self.engine.store, f"d{next(self.ids)}"
        assert store.webhook_enqueue("slack", delivery, event, body, self.vw.clock.time())
        WebhookProcessor(store, self.engine.wired.clients, self.engine).drain()


def ended(engine: SyncEngine, entry_id: str) -> bool:
    entry = engine.store.outbox_get(entry_id)
    return entry is not None and entry.state in (ActionState.DONE, ActionState.FAILED)


def reason(engine: SyncEngine, title: str) -> str | None:
    snapshot = engine.snapshot(section_of(engine, title))
    assert snapshot is not None and snapshot.freshness.state is FreshnessState.LIVE
    return snapshot.freshness.reason


async def test_an_archive_event_marks_the_section_read_only_and_unarchive_clears_it(
    tmp_path: Path,
) -> None:
    """Before: the event refreshed every section and changed nothing (the client knew a
    channel's state only from the conversations.list it read first), so #quiet never said
    it was archived in a running dashboard. Now the event's refresh says so, for #quiet's
    section only; the unarchive event takes the note away."""
    vw = world(tmp_path)
    async with vw.polling() as engine:
        hooks = Deliveries(vw, engine)
        assert reason(engine, "#quiet") is None
        vw.set("slack", archived_channels="quiet")
        touched: list[set[str]] = []
        real = engine.refresh_soon

        def refresh_soon(ids: Iterable[str], *, full: bool = False) -> None:
            touched.append(set(ids))
            real(touched[-1], full=full)

        engine.refresh_soon = refresh_soon  # type: ignore[method-assign]
        hooks.deliver("channel_archive")
        assert touched == [{section_of(engine, "#quiet")}]  # not #dev's, nor the others
        await vw.run_until(lambda: reason(engine, "#quiet") == NOTE, 30, 0.5)
        assert reason(engine, "#quiet") == NOTE

        vw.set("slack", archived_channels="")
        hooks.deliver("channel_unarchive")
        await vw.run_until(lambda: reason(engine, "#quiet") is None, 30, 0.5)
        assert reason(engine, "#quiet") is None


async def test_a_reply_queued_to_an_archived_channel_fails_once_saying_why(
    tmp_path: Path,
) -> None:
    """Slack answers `is_archived`: the outbox entry ends FAILED after one send, its reason
    naming the channel and what it takes (an unarchive), and is never sent again; after the
    unarchive a new reply is sent."""
    vw = world(tmp_path)
    async with vw.polling() as engine:
        hooks = Deliveries(vw, engine)
        snapshot = engine.snapshot(section_of(engine, "#dev only"))
        assert snapshot is not None
        message = next(i for i in snapshot.items if isinstance(i, Message))
        dev = vw.slack.channels[message.channel_id]
        vw.set("slack", archived_channels="dev")
        hooks.deliver("channel_archive")
        before = len(dev.messages)
        reply = Action("reply", message.id, "slack", {"text": "on it"})
        [entry_id] = await engine.submit([reply])
        await vw.run_until(lambda: ended(engine, entry_id), 60, 0.5)
        await vw.clock.sleep(600)  # an entry retried would be sent again by now
        entry = engine.store.outbox_get(entry_id)
        assert entry is not None and entry.state is ActionState.FAILED and entry.attempts == 1
        assert entry.reason == (
            "read-only: #dev is archived in Slack, read-only until someone unarchives it "
            "(chat.postMessage: is_archived); not sent"
        )
        assert len(dev.messages) == before

        vw.set("slack", archived_channels="")
        hooks.deliver("channel_unarchive")
        [again] = await engine.submit([replace(reply, params={"text": "back"})])
        await vw.run_until(lambda: ended(engine, again), 60, 0.5)
        assert engine.store.outbox_get(again).state is ActionState.DONE
        assert len(dev.messages) == before + 1


async def test_a_section_with_messages_says_its_channel_is_archived(tmp_path: Path) -> None:
    """#dev has messages, so the empty-section note never shows; its section's freshness
    says read-only from the archive event's refresh on, rows kept, and no longer after the
    unarchive. The other sections do not."""
    vw = world(tmp_path)
    dev_note = "#dev archived in Slack: read-only, no new messages"

    def read_only(title: str) -> str | None:
        snapshot = engine.snapshot(section_of(engine, title))
        assert snapshot is not None and snapshot.items
        return snapshot.freshness.read_only

    async with vw.polling() as engine:
        hooks = Deliveries(vw, engine)
        assert read_only("#dev only") is None
        vw.set("slack", archived_channels="dev")
        hooks.deliver("channel_archive")
        assert await vw.run_until(lambda: read_only("#dev only") == dev_note, 30, 0.5) < 30
        snapshot = engine.snapshot(section_of(engine, "#dev only"))
        assert snapshot is not None and snapshot.freshness.state is FreshnessState.LIVE
        assert snapshot.freshness.reason is None  # the empty-section note: not with rows
        assert reason(engine, "#quiet") is None  # not archived, still empty
        # A delivery placing a message in the section (the processor's apply_items, as for
        # another channel of it) says nothing of the channels: the section still says it.
        engine.apply_items(section_of(engine, "#dev only"), [snapshot.items[0]], derived=True)
        assert read_only("#dev only") == dev_note
        vw.set("slack", archived_channels="")
        hooks.deliver("channel_unarchive")
        assert await vw.run_until(lambda: read_only("#dev only") is None, 30, 0.5) < 30

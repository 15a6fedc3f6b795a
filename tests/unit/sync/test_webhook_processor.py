"""The webhook processor through the engine: items placed into the sections that show them,
refreshes for what cannot be placed, restart, and pollers backing off while webhooks are live."""

import asyncio
import json
import logging

import msgspec

from tests.fakes.settings import engine_settings
from zen_tui.config import PollingConfig, WebhookConfig
from zen_tui.gateway.clock import FakeClock
from zen_tui.gateway.events import EventBus
from zen_tui.store import Store
from zen_tui.store.rows import StoreFull
from zen_tui.sync.backend import SectionUpdated
from zen_tui.sync.engine import WEBHOOK_LIVE_FOR, SyncEngine
from zen_tui.sync.webhook_processor import Reference, partial_payload, referenced
from zen_tui.sync.webhooks import WebhookServer
from zen_tui.sync.wired import Wired
from zen_tui.timefmt import local_time

from .test_engine import SECTION, FakeClient, FakeGateway, Result, issue, poll

POLLING = PollingConfig(min_interval=10, default_interval=60, max_interval=600)


class HookClient(FakeClient):
    """Maps {"issue": {"n": 3, "title": ...}} to the issue; "boom" payloads raise."""

    def items_for_webhook(self, event, payload):
        if event == "jira:issue_deleted" or "noitem" in payload:
            return []
        if "boom" in payload:
            raise KeyError("fields")
        raw = payload["issue"]
        item = issue(raw["n"], raw.get("updated", "2026-03-01T00:00:00Z"), raw["title"])
        return [msgspec.structs.replace(item, assignee=raw.get("assignee"))]


def engine(store, client, clock=None):
    settings = engine_settings(POLLING, WebhookConfig(enabled=True))
    wired = Wired(
        settings,
        store,
        EventBus(),
        clock or FakeClock(),
        {"j": FakeGateway()},  # type: ignore[arg-type]
        {"j": client},
        [SECTION],
        {SECTION.id: 100},
    )
    eng = SyncEngine(wired)
    eng.events = []
    eng.bus.subscribe(eng.events.append)
    return eng


def enqueue(store, delivery, event="jira:issue_updated", **payload):
    body = json.dumps(payload).encode()
    assert store.webhook_enqueue("jira", delivery, event, body, 0.0)


async def listed(store, *items):
    client = HookClient(answers=[Result(list(items), 10.0)])
    eng = engine(store, client)
    await poll(eng)
    eng.events.clear()
    return eng, client


async def test_an_item_the_section_shows_is_updated_in_place_without_a_poll():
    store = Store.open(":memory:")
    shown = msgspec.structs.replace(issue(1), priority="High", assignee="ann")
    eng, client = await listed(store, shown, issue(2))
    enqueue(store, "d1", issue={"n": 1, "title": "renamed"})
    assert eng.webhooks.processor.drain() == 1
    [event] = [e for e in eng.events if isinstance(e, SectionUpdated)]
    titles = {i.id: i.title for i in event.snapshot.items}
    assert titles == {"j:P-1": "renamed", "j:P-2": "t"}
    stored = {i.id: i for i in store.load_section(SECTION.id)[0]}
    assert stored["j:P-1"].title == "renamed"
    assert stored["j:P-1"].priority == "High"  # the payload lacked it: the known value stays
    assert stored["j:P-1"].assignee is None  # unassigned is news, not a missing field
    assert store.webhook_pending() == [] and client.cursors == [None]  # no poll, row done
    assert not eng._stale_sections


async def test_an_unknown_item_an_unnamed_deletion_or_an_unreadable_payload_refresh():
    store = Store.open(":memory:")
    eng, client = await listed(store, issue(1))
    enqueue(store, "new", issue={"n": 9, "title": "new"})
    enqueue(store, "gone", event="jira:issue_deleted", issue={"n": 1})  # no key: can't tell
    enqueue(store, "odd", boom=True)
    enqueue(store, "ping", event="ping")
    client.answers = [Result([issue(9)], 20.0)]
    assert eng.webhooks.processor.drain() == 4
    assert eng.webhooks.processor.failed == 1
    assert store.webhook_pending() == []
    assert eng._stale_sections == {SECTION.id}
    await eng._refresher  # one refresh for the whole burst
    assert len(client.cursors) == 2
    assert [i.id for i in eng.snapshot(SECTION.id).items] == ["j:P-9"]


async def test_a_queued_body_nested_too_deeply_here_is_one_line_and_a_refresh(caplog):
    """The receiver parsed it, but the processor reads it again from a deeper stack: a
    document nested near the limit can be too deep there. A warning and a refresh, the rest
    of the batch applied, no traceback."""
    caplog.set_level(logging.INFO)
    store = Store.open(":memory:")
    eng, _ = await listed(store, issue(1))
    deep = b'{"issue": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert store.webhook_enqueue("jira", "deep", "jira:issue_updated", deep, 0.0)
    enqueue(store, "d2", issue={"n": 1, "title": "renamed"})
    assert eng.webhooks.processor.drain() == 2
    assert eng.webhooks.processor.failed == 1 and store.webhook_pending() == []
    assert [i.title for i in store.load_section(SECTION.id)[0]] == ["renamed"]
    assert eng._stale_sections == {SECTION.id}
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warned == [
        "webhook jira jira:issue_updated (deep): cannot read the body (nested too deeply);"
        " refreshing"
    ]
    assert not [r for r in caplog.records if r.exc_info]
    eng._refresher.cancel()


async def test_a_deleted_issue_leaves_the_section_at_once():
    store = Store.open(":memory:")
    eng, client = await listed(store, issue(1), issue(2))
    enqueue(store, "gone", event="jira:issue_deleted", issue={"key": "P-1"})
    assert eng.webhooks.processor.drain() == 1
    assert [i.id for i in eng.snapshot(SECTION.id).items] == ["j:P-2"]
    assert [i.id for i in store.load_section(SECTION.id)[0]] == ["j:P-2"]
    assert not eng._stale_sections and client.cursors == [None]  # no poll needed


async def test_an_event_about_a_shown_item_without_its_data_refreshes_in_full():
    store = Store.open(":memory:")
    client = HookClient(answers=[Result([issue(1)], 10.0, cursor="c1")])
    eng = engine(store, client)
    await poll(eng)
    enqueue(store, "r1", event="jira:worklog_updated", noitem=True, issue={"key": "P-1"})
    enqueue(store, "r2", event="jira:worklog_updated", noitem=True, issue={"key": "P-77"})
    client.answers = [Result([issue(1)], 20.0, cursor="c2")]
    eng.webhooks.processor.drain()
    assert eng._stale_sections == {SECTION.id}  # P-77 is shown nowhere: nothing to do for it
    await eng._refresher
    assert client.cursors == [None, None]  # a delta (cursor "c1") would not see the change
    client.answers = [Result([], 30.0)]
    await poll(eng)
    assert client.cursors[-1] == "c2"  # back to deltas afterwards


def test_references_of_item_less_events():
    assert referenced("jira", "jira:issue_deleted", {"issue": {"key": "AB-1"}}) == Reference(
        ("AB-1",), deleted=True
    )
    deleted = {
        "event": {
            "type": "message",
            "subtype": "message_deleted",
            "channel": "C1",
            "deleted_ts": "1.2",
        }
    }
    assert referenced("slack", "message", deleted) == Reference(("C1:1.2",), deleted=True)
    reaction = {"event": {"type": "reaction_added", "item": {"channel": "C1", "ts": "3.4"}}}
    assert referenced("slack", "reaction_added", reaction) == Reference(("C1:3.4",))
    assert referenced("slack", "team_join", {"event": {"type": "team_join"}}) is None
    assert referenced("github", "issues", {"issue": {"key": "x"}}) is None


async def test_pending_deliveries_are_applied_after_a_restart(tmp_path):
    path = tmp_path / "zen.db"
    store = Store.open(path)
    await listed(store, issue(1))
    enqueue(store, "before-crash", issue={"n": 1, "title": "from the queue"})
    store.close()  # the process dies before the processor ran

    store = Store.open(path)
    restarted = engine(store, HookClient())
    assert restarted.webhooks.processor.drain() == 1
    assert store.load_section(SECTION.id)[0][0].title == "from the queue"
    assert store.webhook_pending() == []
    assert not store.webhook_enqueue("jira", "before-crash", "x", b"{}", 1.0)  # still deduped
    store.close()


async def test_a_full_disk_while_applying_is_one_line_and_the_deliveries_stay_queued(
    tmp_path, caplog, monkeypatch
):
    """The disk fills while queued deliveries are applied: marking one done raises StoreFull,
    which the store has already said in one line. The processor adds no traceback, and the
    rows stay queued; a delivery arriving once there is room applies them at once (seen
    once in a loaded full run; the timer that applies them without one:
    test_webhook_full_disk_retry.py)."""
    store = Store.open(tmp_path / "zen.db")
    eng, _ = await listed(store, issue(1))
    enqueue(store, "d1", issue={"n": 1, "title": "while full"})

    def done_on_a_full_disk(row_id: int) -> None:
        raise StoreFull("disk full: cannot write zen.db")

    monkeypatch.setattr(store, "webhook_done", done_on_a_full_disk)
    processor = eng.webhooks.processor
    running = asyncio.create_task(processor.run())
    async with asyncio.timeout(5):
        while "stay queued" not in caplog.text:  # noqa: ASYNC110 (the loop under test runs)
            await asyncio.sleep(0)
    assert "Traceback" not in caplog.text
    assert [row.delivery_id for row in store.webhook_pending()] == ["d1"]
    monkeypatch.undo()  # room on the disk again
    processor.wake()
    async with asyncio.timeout(5):
        while store.webhook_pending():  # noqa: ASYNC110
            await asyncio.sleep(0)
    running.cancel()
    store.close()


async def test_pollers_back_off_to_the_safety_net_while_deliveries_arrive(monkeypatch):
    # the receiver counts as listening (no socket here): a stopped one makes polling resume
    monkeypatch.setattr(WebhookServer, "listening", property(lambda self: True))
    clock = FakeClock()
    store = Store.open(":memory:")
    client = HookClient(answers=[Result([issue(1)], 1.0) for _ in range(3)])
    eng = engine(store, client, clock)
    poller = eng.pollers[SECTION.id]
    await poller.poll_now(interactive=False)
    assert poller.wait_for == POLLING.default_interval

    eng.webhooks.receiver.stats.last_at["jira"] = clock.time()  # a verified delivery
    assert eng.webhooks.live("j")
    await poller.poll_now(interactive=False)
    assert poller.wait_for == POLLING.max_interval
    eng.set_focus(SECTION.id)  # even the focused pane leaves it to the webhooks
    assert poller.wait_for == POLLING.max_interval
    eng.set_focus(None)

    clock.advance(WEBHOOK_LIVE_FOR * POLLING.max_interval + 1)  # deliveries stopped
    assert not eng.webhooks.live("j")
    await poller.poll_now(interactive=False)
    assert poller.wait_for < POLLING.max_interval
    store.close()


async def test_a_partial_payload_refreshes_the_section_instead_of_overwriting_the_item():
    store = Store.open(":memory:")
    eng, client = await listed(store, msgspec.structs.replace(issue(1), labels=("keep",)))
    enqueue(store, "c1", event="comment_created", issue={"n": 1, "title": "t"})
    client.answers = [Result([issue(1, title="commented")], 20.0)]
    eng.webhooks.processor.drain()
    assert store.load_section(SECTION.id)[0][0].labels == ("keep",)  # not overwritten
    assert eng._stale_sections == {SECTION.id}
    await eng._refresher
    assert eng.snapshot(SECTION.id).items[0].title == "commented"


async def test_a_failure_while_applying_marks_the_row_done_and_refreshes_instead():
    store = Store.open(":memory:")
    eng, _ = await listed(store, issue(1))

    def broken(section_id, items):
        raise RuntimeError("bug")

    eng.apply_items = broken  # the processor holds the engine as its target
    enqueue(store, "d1", issue={"n": 1, "title": "x"})
    enqueue(store, "d2", issue={"n": 1, "title": "y"})
    assert eng.webhooks.processor.drain() == 2  # no endless replay of the first row
    assert store.webhook_pending() == []
    assert eng._stale_sections == {SECTION.id}
    eng._refresher.cancel()


def processed(store: Store) -> int | None:
    """The deliveries applied, as the health record says (none before the processor runs)."""
    return store.load_health()["j"][0].get("webhooks", {}).get("processed")


async def test_the_run_loop_yields_between_batches_and_wakes_for_new_deliveries():
    store = Store.open(":memory:")
    eng, _ = await listed(store, issue(1))
    processor = eng.webhooks.processor
    for n in range(120):
        enqueue(store, f"d{n}", issue={"n": 1, "title": f"v{n}"})
    seen = []

    async def other_work():
        while True:
            seen.append(processor.processed)
            await asyncio.sleep(0)

    tasks = [asyncio.create_task(other_work()), asyncio.create_task(processor.run())]
    async with asyncio.timeout(5):
        while store.webhook_pending():  # noqa: ASYNC110 (the loop under test runs meanwhile)
            await asyncio.sleep(0)
        assert any(0 < n < 120 for n in seen)  # other tasks ran between batches
        enqueue(store, "late", issue={"n": 1, "title": "late"})
        processor.wake()
        while eng.snapshot(SECTION.id).items[0].title != "late":  # noqa: ASYNC110
            await asyncio.sleep(0)
        while processed(store) != 121:  # noqa: ASYNC110
            await asyncio.sleep(0)  # health is saved once the queue is empty
    for task in tasks:
        task.cancel()


async def test_a_failed_poll_is_retried_on_the_normal_schedule_even_while_deliveries_arrive(
    monkeypatch,
):
    """Deliveries do not make a failed listing fresh: the pane says `cached (offline)` and,
    stretched to the safety net, stayed so for `max_interval` (10 min) after the service was
    back. Only a poll that answered leaves the section to the webhooks."""
    from zen_tui.gateway.errors import Unavailable

    monkeypatch.setattr(WebhookServer, "listening", property(lambda self: True))  # no socket
    clock = FakeClock()
    store = Store.open(":memory:")
    down = Unavailable(service="jira", account="j", message="offline: cannot connect")
    client = HookClient(answers=[Result([issue(1)], 1.0), down, Result([issue(1)], 1.0)])
    eng = engine(store, client, clock)
    poller = eng.pollers[SECTION.id]
    eng.webhooks.receiver.stats.last_at["jira"] = clock.time()  # a verified delivery
    await poller.poll_now(interactive=False)
    assert poller.wait_for == POLLING.max_interval  # answered: the webhooks carry it

    await poller.poll_now(interactive=False)  # the service is unreachable
    assert eng.webhooks.live("j")
    assert eng.snapshot(SECTION.id).freshness.state.value != "live"
    assert poller.wait_for < POLLING.max_interval

    await poller.poll_now(interactive=False)  # back: the safety net again
    assert poller.wait_for == POLLING.max_interval
    store.close()


def test_payloads_that_carry_only_part_of_their_item():
    on_pr = {"issue": {"number": 1, "pull_request": {"url": "x"}}}
    assert partial_payload("issue_comment", on_pr)  # the PR as an issue: no draft, reviewers
    assert not partial_payload("issue_comment", {"issue": {"number": 1}})  # a whole issue
    assert not partial_payload("pull_request", {"pull_request": {"number": 1}})
    assert partial_payload("comment_created", {"issue": {"key": "P-1"}})


def test_a_deleted_or_transferred_github_issue_is_a_deletion():
    payload = {"issue": {"number": 7}, "repository": {"full_name": "acme/api"}}
    for action in ("deleted", "transferred"):
        gone = referenced("github", "issues", {**payload, "action": action})
        assert gone == Reference(("acme/api#7",), deleted=True)
    assert referenced("github", "issues", {**payload, "action": "closed"}) is None
    assert referenced("github", "issue_comment", {**payload, "action": "deleted"}) is None


async def test_github_events_not_read_are_done_named_once_and_odd_names_never_quoted(caplog):
    """X-GitHub-Event is not signed: a name GitHub never sends is not put in the log."""
    caplog.set_level(logging.INFO, logger="zen_tui.sync.webhooks")
    store = Store.open(":memory:")
    eng, _ = await listed(store, issue(1))
    for n, event in enumerate(["push", "push", "\x1b[31m[bold]red", "x" * 65, "workflow_job"]):
        assert store.webhook_enqueue("github", f"g{n}", event, b"{}", 0.0)
    assert eng.webhooks.processor.drain() == 5
    assert store.webhook_pending() == []
    lines = [r.getMessage() for r in caplog.records]
    unknown = "webhook github: an event zen-tui does not know (ignored)"
    assert lines == [
        "webhook github: zen-tui does not read `push` events (ignored); untick them in the "
        "hook's events to save deliveries",
        unknown,
        unknown,
        "webhook github: zen-tui does not read `workflow_job` events (ignored); untick them "
        "in the hook's events to save deliveries",
    ]


async def test_an_app_rate_limited_without_a_usable_minute_still_says_so(caplog, local_tz_not_utc):
    """Slack's docs name `minute_rate_limited`; a body without it (or with a string) is still
    the notice: the log says "from now on" instead of a time. The minute is written as every
    time zen-tui shows (local_time: local, with its zone); it was "%H:%M UTC"."""
    caplog.set_level(logging.WARNING, logger="zen_tui.sync.webhooks")
    store = Store.open(":memory:")
    eng, _ = await listed(store, issue(1))
    minute = local_time(1518467820, now=eng.webhooks.processor.clock.time())  # Slack's example
    bodies = [b'{"type":"app_rate_limited","minute_rate_limited":1518467820}', b"[]"]
    bodies.append(b'{"type":"app_rate_limited","minute_rate_limited":"soon"}')
    for n, body in enumerate(bodies):
        assert store.webhook_enqueue("slack", f"s{n}", "app_rate_limited", body, 0.0)
    assert eng.webhooks.processor.drain() == 3
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == [
        f"webhook slack: Slack is not delivering events from {minute} on",
        "webhook slack: Slack is not delivering events from now on",
        "webhook slack: Slack is not delivering events from now on",
    ]

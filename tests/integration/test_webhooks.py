"""Webhooks end to end over loopback: the simulator signs and POSTs each change to the
engine's receiver; the store and the section update without a poll."""

import asyncio
import http.client
import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlencode, urlsplit

import httpx
import msgspec
import pytest

from tests.fakes import full_disk
from tests.helpers import eventually, loopback_http
from zen_tui.cli import main
from zen_tui.config import WebhookConfig
from zen_tui.models import Action, FreshnessState
from zen_tui.simulator.app import webhook_dispatcher
from zen_tui.simulator.core.webhooks import GITHUB_PAYLOAD_CAP
from zen_tui.simulator.github.render import node_id
from zen_tui.sync.backend import SectionUpdated
from zen_tui.sync.engine import SyncEngine
from zen_tui.sync.webhook_verify import hub_signature, slack_signature
from zen_tui.timefmt import local_time

from .conftest import engine_for

ENV = {"github": "ZT_TEST_GH_HOOK", "jira": "ZT_TEST_JIRA_HOOK", "slack": "ZT_TEST_SLACK_HOOK"}
SECRETS = {"github": "gh-hook-secret", "jira": "jira-hook-secret", "slack": "slack-signing"}


@pytest.fixture
def hooked(settings, monkeypatch):
    for service, name in ENV.items():
        monkeypatch.setenv(name, SECRETS[service])
    # A delivery that needs a listing asks for it after AFTER_ACTION_DELAY (1 s, to gather a
    # burst); a test's burst lands within a few loop turns, so 50 ms gathers it as well.
    monkeypatch.setattr("zen_tui.sync.engine.AFTER_ACTION_DELAY", 0.05)
    config = WebhookConfig(enabled=True, port=0, secret_env=dict(ENV))
    return msgspec.structs.replace(settings, webhooks=config)


async def started(
    settings, sim, secrets=SECRETS, *, deferred=False, github_content_type="json"
) -> SyncEngine:
    """Engine with live sections and paused pollers, the simulator delivering to it."""
    engine = engine_for(settings, deferred=deferred)
    engine.events = []
    engine.bus.subscribe(engine.events.append)
    await engine.start()
    ids = {s.id for s in engine.sections}

    def live():
        snaps = [engine.snapshot(i) for i in ids]
        return all(s and s.freshness.state is FreshnessState.LIVE for s in snaps)

    await eventually(live)
    engine.set_paused(True)  # from here on, only webhooks can change a section
    server = engine.webhooks.server
    targets = {s: (server.url(s), secrets[s]) for s in secrets}
    sim.set_webhooks(targets, github_content_type=github_content_type)
    return engine


@pytest.fixture
async def start_hooked(sim, hooked):
    """started() on this test's simulator and settings; after the test, the simulator stops
    delivering and every engine started is stopped (even when an assertion failed)."""
    engines = []

    async def start(**options) -> SyncEngine:
        engines.append(await started(hooked, sim, **options))
        return engines[-1]

    yield start
    sim.set_webhooks({})
    for engine in engines:
        await engine.stop()


def first_item(engine, pane, service):
    section = next(s for s in engine.sections if s.pane == pane and s.service == service)
    return section, engine.snapshot(section.id).items[0]


def poll_counts(engine):
    """Each section's polls so far: unchanged across a delivery, no poll brought it."""
    return {sid: p.polls for sid, p in engine.pollers.items()}


def stored(engine, section, item_id):
    return next(i for i in engine.store.load_section(section.id)[0] if i.id == item_id)


async def apply_at_provider(engine, action):
    """A change made outside the dashboard (the client straight to the simulator's API)."""
    client = engine.wired.clients[action.account]
    result = await client.apply(action, idempotency_key=f"test-{action.kind}")
    assert result.ok, result


@pytest.mark.parametrize("deferred", [False, True], ids=["built", "built-at-start"])
async def test_a_label_applied_at_github_reaches_the_section_without_a_poll(
    start_hooked, hooked, caplog, deferred
):
    """Also with the gateways and clients built at start(), as the dashboard does."""
    caplog.set_level(logging.DEBUG)
    engine = await start_hooked(deferred=deferred)
    section, pr = first_item(engine, "prs", "github")
    polls = poll_counts(engine)
    await apply_at_provider(engine, Action("add_label", pr.id, pr.account, {"label": "hooked"}))

    await eventually(lambda: "hooked" in stored(engine, section, pr.id).labels)
    assert "hooked" in next(i for i in engine.snapshot(section.id).items if i.id == pr.id).labels
    assert any(isinstance(e, SectionUpdated) and e.section_id == section.id for e in engine.events)
    assert poll_counts(engine) == polls  # no poll did it
    assert engine.webhooks.live(pr.account)
    assert {h.account: h.webhooks_live for h in engine.health()}[pr.account] is True
    poller = engine.pollers[section.id]
    await poller.poll_now(interactive=False)  # live: the next poll waits for the safety net
    assert poller.wait_for == hooked.polling.max_interval
    assert engine.store.webhook_pending() == []
    await engine.stop()
    files = b"".join(p.read_bytes() for p in hooked.data_dir.rglob("*") if p.is_file())
    assert b"hooked" in files  # the store was written (the label arrived in it)
    for secret in SECRETS.values():  # never in the store, its WAL, or any log line
        assert secret.encode() not in files and secret not in caplog.text


async def test_a_github_hook_left_at_its_default_form_content_type_works(start_hooked, caplog):
    """GitHub's new hooks default to application/x-www-form-urlencoded (payload=<json>)."""
    caplog.set_level(logging.INFO)
    engine = await start_hooked(github_content_type="form")
    section, pr = first_item(engine, "prs", "github")
    action = Action("add_label", pr.id, pr.account, {"label": "formed"})
    await apply_at_provider(engine, action)
    await eventually(lambda: "formed" in stored(engine, section, pr.id).labels)
    assert not engine.webhooks.receiver.stats.rejected  # nothing refused on the way
    assert "could not be applied" not in caplog.text  # applied, not a fallback refresh


async def test_jira_and_slack_deliveries_are_verified_and_applied(start_hooked, sim):
    engine = await start_hooked()
    dispatcher = webhook_dispatcher(sim.app)
    assert await asyncio.to_thread(dispatcher.verify_slack_url)  # the Request URL handshake
    section, issue = first_item(engine, "issues", "jira")
    polls = engine.pollers[section.id].polls
    await apply_at_provider(engine, Action("assign", issue.id, issue.account))
    await eventually(lambda: engine.webhooks.receiver.stats.accepted.get("jira"))
    await eventually(lambda: stored(engine, section, issue.id).updated_at != issue.updated_at)
    assert engine.pollers[section.id].polls == polls

    _, message = first_item(engine, "messages", "slack")
    await apply_at_provider(
        engine, Action("reply", message.id, message.account, {"text": "via webhook"})
    )
    await eventually(lambda: engine.webhooks.receiver.stats.accepted.get("slack"))
    await eventually(lambda: engine.store.webhook_pending() == [])
    assert not engine.webhooks.receiver.stats.rejected


async def test_a_forged_signature_is_rejected_and_nothing_is_stored(start_hooked):
    forged = dict(SECRETS, github="not-the-secret")
    engine = await start_hooked(secrets=forged)
    section, pr = first_item(engine, "prs", "github")
    await apply_at_provider(engine, Action("add_label", pr.id, pr.account, {"label": "forged"}))

    await eventually(lambda: engine.webhooks.receiver.stats.rejected.get("github: 401", 0) >= 2)
    assert "github" not in engine.webhooks.receiver.stats.accepted
    assert "forged" not in stored(engine, section, pr.id).labels
    assert not engine.webhooks.live(pr.account)  # forged deliveries do not slow polling
    health = {h.account: h for h in engine.health()}[pr.account]
    assert health.webhooks_rejected >= 2 and not health.webhooks_live


async def test_a_redelivery_with_the_same_id_is_processed_once(start_hooked):
    engine = await start_hooked()
    section, pr = first_item(engine, "prs", "github")
    await apply_at_provider(engine, Action("add_label", pr.id, pr.account, {"label": "once"}))
    await eventually(lambda: "once" in stored(engine, section, pr.id).labels)
    processed = engine.webhooks.processor.processed
    row = _last_delivery(engine)

    headers = {
        "X-GitHub-Event": row[1],
        "X-GitHub-Delivery": row[0],
        "X-Hub-Signature-256": hub_signature(SECRETS["github"], row[2]),
    }
    async with httpx.AsyncClient() as http:  # GitHub's "Redeliver" button: same id, same body
        answer = await http.post(
            engine.webhooks.server.url("github"), content=row[2], headers=headers
        )
    assert answer.status_code == 200 and answer.text == "duplicate"
    await asyncio.sleep(0.1)
    assert engine.webhooks.processor.processed == processed
    assert engine.webhooks.receiver.stats.duplicates == {"github": 1}


async def test_a_jira_retry_after_a_lost_answer_is_a_duplicate_applied_once(start_hooked, sim):
    """Jira Cloud sends a delivery again when no 2xx came back, with the same
    X-Atlassian-Webhook-Identifier and X-Atlassian-Webhook-Retry: 1, 5 to 15 minutes later
    (10,000 times sooner here). Between the simulator and the receiver, a proxy passes every
    delivery on but answers the first try of each 503, as if the receiver's answer was lost:
    the receiver took the first try, so it answers the retry `duplicate`, applied once."""
    engine = await start_hooked()
    receiver = urlsplit(engine.webhooks.server.url("jira"))
    lock = threading.Lock()
    seen: dict[str, list[tuple[str | None, int]]] = {}  # identifier -> (retry, its answer)

    class LosesFirstAnswers(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            retry = self.headers.get("X-Atlassian-Webhook-Retry")
            status = self.forward(body)
            with lock:
                seen.setdefault(self.headers["X-Atlassian-Webhook-Identifier"], []).append(
                    (retry, status)
                )
            self.send_response(status if retry else 503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def forward(self, body: bytes) -> int:
            names = ("Content-Type", "User-Agent", "X-Hub-Signature")
            headers = {n: v for n, v in self.headers.items() if n in names or "Atlassian" in n}
            conn = http.client.HTTPConnection(receiver.netloc, timeout=5)
            try:
                conn.request("POST", receiver.path, body=body, headers=headers)
                return conn.getresponse().status
            finally:
                conn.close()

        def log_message(self, *args: object) -> None:
            pass

    section, issue = first_item(engine, "issues", "jira")
    stats, processor = engine.webhooks.receiver.stats, engine.webhooks.processor
    await eventually(lambda: stats.accepted.get("github"), "GitHub's ping, first")
    with loopback_http(LosesFirstAnswers) as proxy:
        dispatcher = webhook_dispatcher(sim.app)
        assert dispatcher.backoff is None  # Jira's own schedule, scaled
        dispatcher.retry_scale = 1e-4
        sim.set_webhooks({"jira": (proxy + receiver.path, SECRETS["jira"])})
        await eventually(lambda: engine.store.webhook_pending() == [], "earlier deliveries")
        before, duplicates = processor.processed, stats.duplicates.get("jira", 0)
        await apply_at_provider(engine, Action("assign", issue.id, issue.account))
        await eventually(lambda: stored(engine, section, issue.id).updated_at != issue.updated_at)
        await asyncio.to_thread(dispatcher.wait_idle, 10)
        sim.set_webhooks({})
    assert seen and all(tries == [(None, 202), ("1", 200)] for tries in seen.values()), seen
    assert stats.duplicates.get("jira", 0) - duplicates == len(seen)
    await eventually(lambda: engine.store.webhook_pending() == [])
    assert processor.processed - before == len(seen)  # each applied once, not twice


async def test_a_github_delivery_the_full_disk_refused_is_fetched_by_a_refresh(
    start_hooked, sim, caplog
):
    """The receiver answers 500 when it cannot save a verified delivery (here a real
    SQLITE_FULL). GitHub never sends a failed delivery again by itself, so the sections
    of the service ask the server instead, at once, not at the safety-net poll."""
    engine = await start_hooked()
    section, pr = first_item(engine, "prs", "github")
    await eventually(lambda: engine.webhooks.receiver.stats.accepted.get("github"))  # ping
    full_disk.fill(engine.store)
    await apply_at_provider(engine, Action("add_label", pr.id, pr.account, {"label": "unsaved"}))

    def shown():
        item = next(i for i in engine.snapshot(section.id).items if i.id == pr.id)
        return "unsaved" in item.labels

    await eventually(shown, "the label, fetched by a refresh")
    assert engine.webhooks.receiver.stats.rejected == {"github: 503": 1}
    assert sim.app.state.webhooks.dropped == 1  # GitHub gave it up
    assert "cannot save the delivery: disk full" in caplog.text
    assert "Traceback" not in caplog.text  # a full disk is one line, not a crash report
    full_disk.free(engine.store)


async def test_deliveries_a_full_disk_kept_queued_are_applied_once_it_has_room(
    start_hooked, caplog
):
    """A delivery queued, then the disk full when the processor marks it applied: it stays
    queued, and once the disk has room the processor's own timer applies the queue, with
    no further delivery to wake it (the engine's clock; real time here: the first retry
    comes a second later)."""
    caplog.set_level(logging.INFO, "zen_tui.sync.webhooks")
    engine = await start_hooked()
    hooks = engine.webhooks
    section, pr = first_item(engine, "prs", "github")
    await eventually(lambda: hooks.receiver.stats.accepted.get("github"), "the ping")
    await eventually(lambda: not engine.store.webhook_pending(), "the ping applied")
    wake = hooks.processor.wake
    hooks.processor.wake = lambda: None  # queued, not applied yet
    await apply_at_provider(engine, Action("add_label", pr.id, pr.account, {"label": "kept"}))
    await eventually(lambda: hooks.receiver.stats.accepted.get("github") == 2, "the label")
    full_disk.no_room(engine.store)
    try:
        hooks.processor.wake = wake
        wake()
        await eventually(lambda: "stay queued" in caplog.text, "the warning")
        assert len(engine.store.webhook_pending()) == 1
    finally:
        full_disk.room(engine.store)
    await eventually(lambda: not engine.store.webhook_pending(), "the queue applied by the timer")
    assert "kept" in next(i for i in engine.snapshot(section.id).items if i.id == pr.id).labels
    assert "kept" in stored(engine, section, pr.id).labels
    assert caplog.text.count("stay queued") == 1 and "Traceback" not in caplog.text


def _deliveries(engine):
    """(delivery id, event) of every GitHub delivery in the queue, done or not."""
    db = engine.store._connection()
    return db.execute(
        "SELECT delivery_id, event FROM webhook_queue WHERE service = 'github'"
    ).fetchall()


def _last_delivery(engine):
    """(delivery id, event, body) of the last processed GitHub delivery, from the queue."""
    db = engine.store._connection()
    return db.execute(
        "SELECT delivery_id, event, body FROM webhook_queue WHERE service = 'github'"
        " AND event != 'ping' ORDER BY id DESC LIMIT 1"
    ).fetchone()


async def test_deliveries_queued_before_a_crash_are_applied_on_the_next_start(
    start_hooked, sim, hooked
):
    engine = await start_hooked()
    engine.webhooks.processor.wake = lambda: None  # the processor never gets to run again
    section, pr = first_item(engine, "prs", "github")
    await apply_at_provider(engine, Action("add_label", pr.id, pr.account, {"label": "later"}))
    await eventually(lambda: engine.webhooks.receiver.stats.accepted.get("github", 0) >= 2)
    assert engine.store.webhook_pending()  # acknowledged, persisted, not applied yet
    assert "later" not in stored(engine, section, pr.id).labels
    sim.set_webhooks({})
    await engine.stop()

    again = engine_for(hooked)
    again.set_paused(True)  # no poll: the label can only come from the queue
    await again.start()
    await eventually(lambda: again.store.webhook_pending() == [])
    assert again.webhooks.processor.processed >= 1
    assert "later" in stored(again, section, pr.id).labels
    assert all(p.polls == 0 for p in again.pollers.values())
    await again.stop()


async def test_a_slack_reaction_refreshes_the_channel_in_full_and_shows(start_hooked):
    engine = await start_hooked()
    # a channel's history (search results carry no reactions, in Slack as here)
    section = next(s for s in engine.sections if s.service == "slack" and s.query != "mentions")
    message = engine.snapshot(section.id).items[0]
    await apply_at_provider(engine, Action("react", message.id, message.account, {"name": "tada"}))

    def reacted():
        return any(r.name == "tada" for r in stored(engine, section, message.id).reactions)

    await eventually(reacted)  # a delta poll (oldest=ts) would not have brought the reaction
    assert engine.webhooks.receiver.stats.accepted.get("slack")


def slack_sim_message(sim, item):
    """The simulator's own copy of a message the dashboard shows (channel, message)."""
    slack = sim.app.state.world.services["slack"]
    channel, _, ts = item.key.partition(":")
    chan = slack.channels[channel]
    return slack, chan, chan.messages[ts]


async def test_a_slack_edit_and_delete_reach_the_channel_without_a_poll(start_hooked, sim):
    """Slack's hidden message_changed / message_deleted events carry a ts of their own: the
    edit replaces the row it is about, the delete removes it, and neither adds a row."""
    engine = await start_hooked()
    section = next(s for s in engine.sections if s.service == "slack" and s.query != "mentions")
    shown = engine.snapshot(section.id).items
    first = shown[0]
    second = next(i for i in shown[1:] if not i.reply_count)  # gone, not a tombstone
    polls = poll_counts(engine)
    world = sim.app.state.world
    slack, chan, message = slack_sim_message(sim, first)
    with world.lock:  # a colleague fixes a typo in Slack
        slack.edit(chan, message, "edited in Slack")

    def edited():
        return next(i for i in engine.snapshot(section.id).items if i.id == first.id).text

    await eventually(lambda: edited() == "edited in Slack")
    assert stored(engine, section, first.id).text == "edited in Slack"
    assert [i.id for i in engine.snapshot(section.id).items] == [i.id for i in shown]

    slack, chan, message = slack_sim_message(sim, second)
    with world.lock:
        slack.delete(chan, message)
    await eventually(lambda: second.id not in {i.id for i in engine.snapshot(section.id).items})
    assert second.id not in {i.id for i in engine.store.load_section(section.id)[0]}
    await eventually(lambda: engine.store.webhook_pending() == [])
    assert len(engine.snapshot(section.id).items) == len(shown) - 1  # no phantom row
    assert poll_counts(engine) == polls  # no poll did it
    assert engine.webhooks.processor.failed == 0


async def test_an_issue_unassigned_elsewhere_leaves_assigned_to_me_without_a_poll(start_hooked):
    """The delivery keeps the issue's status, but it no longer matches `assignee =
    currentUser()`: the section lists again in full (a delta would never drop it)."""
    engine = await start_hooked()
    section = next(s for s in engine.sections if s.service == "jira" and s.pane == "issues")
    assert "currentUser()" in section.query
    issue = engine.snapshot(section.id).items[0]
    await apply_at_provider(engine, Action("unassign", issue.id, issue.account))
    await eventually(lambda: issue.id not in {i.id for i in engine.snapshot(section.id).items})
    assert issue.id not in {i.id for i in engine.store.load_section(section.id)[0]}


async def test_a_review_request_removed_elsewhere_leaves_review_requested(start_hooked, sim):
    """GitHub's `review_request_removed` keeps the PR open: the section's query
    (`review-requested:@me`) decides, so it lists again; a label alone lists nothing."""
    engine = await start_hooked()
    section = next(
        s for s in engine.sections if s.service == "github" and "review-requested" in s.query
    )
    github = sim.app.state.world.services["github"]
    shown = {i.key: i for i in engine.snapshot(section.id).items}
    pr = next(
        i
        for i in github.state.items
        if f"{i.repo.full_name}#{i.number}" in shown and i.reviewers == ["me"] and not i.teams
    )
    item = shown[f"{pr.repo.full_name}#{pr.number}"]
    account = sim.account("github")
    path = f"{account.base_url}/repos/{pr.repo.full_name}/pulls/{pr.number}/requested_reviewers"
    headers = {"Authorization": f"Bearer {account.token}"}
    await apply_at_provider(engine, Action("add_label", item.id, item.account, {"label": "x"}))
    await eventually(lambda: "x" in stored(engine, section, item.id).labels)
    assert not engine._stale_sections  # the query does not filter on labels
    async with httpx.AsyncClient() as http:
        removed = await http.request("DELETE", path, json={"reviewers": ["me"]}, headers=headers)
    assert removed.status_code == 200
    await eventually(lambda: item.id not in {i.id for i in engine.snapshot(section.id).items})


async def test_a_jira_issue_deleted_elsewhere_leaves_the_section_without_a_poll(start_hooked, sim):
    engine = await start_hooked()
    section = next(s for s in engine.sections if s.service == "jira" and s.pane == "issues")
    issue = engine.snapshot(section.id).items[0]
    polls = poll_counts(engine)
    account = sim.account("jira")
    async with httpx.AsyncClient(auth=(account.username or "", account.token)) as http:
        r = await http.delete(f"{account.base_url}/rest/api/3/issue/{issue.key}")
    assert r.status_code == 204, r.text
    await eventually(lambda: issue.id not in {i.id for i in engine.snapshot(section.id).items})
    assert issue.id not in {i.id for i in engine.store.load_section(section.id)[0]}
    assert poll_counts(engine) == polls  # no poll did it


async def test_a_mention_edited_out_in_slack_leaves_mentions(start_hooked, sim):
    engine = await start_hooked()
    section = next(s for s in engine.sections if s.service == "slack" and s.query == "mentions")
    item = next(i for i in engine.snapshot(section.id).items if i.mentions_me)
    slack, chan, message = slack_sim_message(sim, item)
    with sim.app.state.world.lock:  # its author takes the mention back
        slack.edit(chan, message, "never mind")
    await eventually(lambda: item.id not in {i.id for i in engine.snapshot(section.id).items})


async def test_a_comment_on_a_pr_keeps_what_its_issue_shaped_payload_lacks(start_hooked):
    """`issue_comment` carries the PR as an issue (no draft flag, no requested reviewers):
    the row keeps them, and the sections showing it ask for the rest (a delta)."""
    engine = await start_hooked()
    section = next(
        s for s in engine.sections if s.service == "github" and "review-requested" in s.query
    )
    pr = next(i for i in engine.snapshot(section.id).items if i.requested_reviewers)
    polls = engine.pollers[section.id].polls
    await apply_at_provider(engine, Action("comment", pr.id, pr.account, {"body": "lgtm"}))
    await eventually(lambda: any(r[1] == "issue_comment" for r in _deliveries(engine)))
    await eventually(lambda: engine.store.webhook_pending() == [])  # and applied
    kept = stored(engine, section, pr.id)
    assert kept.requested_reviewers == pr.requested_reviewers and kept.draft == pr.draft
    assert section.id not in engine._full_next  # nothing for the query to decide
    await eventually(lambda: engine.pollers[section.id].polls > polls)  # asked again
    assert stored(engine, section, pr.id).requested_reviewers == pr.requested_reviewers


async def test_a_github_issue_deleted_elsewhere_leaves_the_section_without_a_poll(
    start_hooked, sim
):
    """GitHub's `issues` `deleted` carries the issue as it was: the row goes, never updated."""
    engine = await start_hooked()
    section = next(s for s in engine.sections if s.service == "github" and s.pane == "issues")
    issue = engine.snapshot(section.id).items[0]
    github = sim.app.state.world.services["github"]
    repo, _, number = issue.key.partition("#")
    target = next(
        i for i in github.state.items if i.repo.full_name == repo and i.number == int(number)
    )
    polls = poll_counts(engine)
    account = sim.account("github")
    query = "mutation($id: ID!) { deleteIssue(input: {issueId: $id}) { clientMutationId } }"
    variables = {"id": node_id("Issue", target.id)}
    async with httpx.AsyncClient() as http:
        r = await http.post(
            f"{account.base_url}/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {account.token}"},
        )
    assert "errors" not in r.json(), r.text
    await eventually(lambda: issue.id not in {i.id for i in engine.snapshot(section.id).items})
    assert issue.id not in {i.id for i in engine.store.load_section(section.id)[0]}
    assert poll_counts(engine) == polls  # no poll did it


async def test_slack_messages_refresh_only_the_sections_that_can_list_them(start_hooked, sim):
    """A message in a channel no section lists (or a thread reply, which channel history never
    holds) refreshes nothing: in a busy workspace every event polling every Slack section
    would run into the history methods' tier limit."""
    engine = await start_hooked()
    sections = {s.query: s for s in engine.sections if s.service == "slack"}
    channel, mentions = sections["#dev"], sections["mentions"]
    shown = engine.snapshot(channel.id).items[0]
    slack = sim.app.state.world.services["slack"]
    other = next(c for c in slack.channels.values() if c.name == "random")
    dev = next(c for c in slack.channels.values() if c.name == "dev")
    author = next(u for u in sorted(dev.members) if u not in (slack.me.id, slack.bot.id))
    polls = poll_counts(engine)
    world = sim.app.state.world
    with world.lock:
        slack.post(other, author, "elsewhere", None)  # a channel no section lists
        slack.post(dev, author, "in a thread", shown.ts)  # not in #dev's history
    await eventually(lambda: engine.webhooks.processor.processed >= 3)  # ping + 2
    await eventually(lambda: engine.store.webhook_pending() == [])
    assert not engine._stale_sections
    with world.lock:
        slack.post(other, author, f"<@{slack.me.id}> look", None)  # for Mentions only
    await eventually(
        lambda: any(i.text.endswith("look") for i in engine.snapshot(mentions.id).items)
    )
    assert poll_counts(engine) == {
        **polls,
        mentions.id: polls[mentions.id] + 1,
    }
    with world.lock:
        slack.post(dev, author, "in #dev", None)
    await eventually(lambda: any(i.text == "in #dev" for i in engine.snapshot(channel.id).items))


async def test_a_slack_thread_reply_moves_its_parents_count_without_a_poll(start_hooked, sim):
    """A reply's `message` event (thread_ts of the parent) adds one to the parent's reply
    count and makes it a thread, at once, without reading the thread or polling (the history
    methods' 1/min limit); a `thread_broadcast` sets the count its `root` says and lists the
    reply in the channel. A reply seen again, or one a listing already counted, adds nothing."""
    engine = await start_hooked()
    sections = {s.query: s for s in engine.sections if s.service == "slack"}
    channel = sections["#dev"]
    parent = next(i for i in engine.snapshot(channel.id).items if not i.reply_count)
    slack, chan, message = slack_sim_message(sim, parent)
    author = next(u for u in sorted(chan.members) if u not in (slack.me.id, slack.bot.id))
    polls = poll_counts(engine)
    world = sim.app.state.world

    def shown():
        return next(i for i in engine.snapshot(channel.id).items if i.id == parent.id)

    with world.lock:
        first = slack.post(chan, author, "first reply", parent.ts)
    await eventually(lambda: shown().reply_count == 1)
    assert shown().thread_ts == parent.ts and shown().latest_reply == first.ts
    assert stored(engine, channel, parent.id).reply_count == 1
    assert poll_counts(engine) == polls  # no poll did it
    assert first.ts not in {i.ts for i in engine.snapshot(channel.id).items}

    with world.lock:
        for n in range(2):
            slack.post(chan, author, f"reply {n}", parent.ts)
        loud = slack.post(chan, author, "to the channel too", parent.ts, broadcast=True)
    await eventually(lambda: shown().reply_count == 4)
    assert shown().latest_reply == loud.ts
    # the broadcast is in #dev's history: that section (only) asks for it
    await eventually(lambda: loud.ts in {i.ts for i in engine.snapshot(channel.id).items})
    await eventually(lambda: engine.store.webhook_pending() == [])
    assert shown().reply_count == 4 == len(message.replies)
    assert engine.webhooks.processor.failed == 0


async def test_a_github_event_over_githubs_payload_cap_is_not_sent_and_arrives_by_polling(
    start_hooked, sim
):
    """GitHub does not deliver an event whose payload is over 25 MB: nothing reaches the
    receiver (no 413, nothing to refresh on), so the change arrives with the section's next
    poll. Every payload GitHub does send fits the default max_body_bytes. (The cap is
    lowered to 1 byte here: a 25 MB pull request cannot be made through the API.)"""
    assert WebhookConfig().max_body_bytes >= GITHUB_PAYLOAD_CAP
    engine = await start_hooked()
    section, pr = first_item(engine, "prs", "github")
    stats = engine.webhooks.receiver.stats
    await eventually(lambda: stats.accepted.get("github"), "the ping")
    dispatcher = webhook_dispatcher(sim.app)
    dispatcher.github_payload_cap = 1
    await apply_at_provider(engine, Action("add_label", pr.id, pr.account, {"label": "huge"}))
    assert await asyncio.to_thread(dispatcher.wait_idle)
    assert dispatcher.too_large >= 1 and dispatcher.dropped == 0

    def labels():
        return next(i for i in engine.snapshot(section.id).items if i.id == pr.id).labels

    assert stats.accepted == {"github": 1} and not stats.rejected  # nothing came
    assert "huge" not in labels() and not engine._stale_sections  # nor asked for a refresh
    await engine.pollers[section.id].poll_now(interactive=False)
    assert "huge" in labels()


async def test_a_github_delivery_too_big_to_read_is_fetched_by_a_refresh(sim, hooked):
    """A body over max_body_bytes is refused unread (413: it cannot be verified, nothing in
    it is used), and GitHub never sends it again; the change it carried reaches the section
    by a refresh of the service's sections from the server, at once, though every poller
    is paused (not at the safety-net poll)."""
    config = msgspec.structs.replace(hooked.webhooks, max_body_bytes=1024)
    engine = await started(msgspec.structs.replace(hooked, webhooks=config), sim)
    receiver = engine.webhooks.receiver
    # Each one refreshes (the unit tests hold the limit): the ping's refresh is no answer here.
    receiver.limits = msgspec.structs.replace(receiver.limits, unread_refresh_seconds=0)
    try:
        section, pr = first_item(engine, "prs", "github")
        stats = receiver.stats
        await eventually(lambda: stats.rejected.get("github: 413"), "the ping, refused")
        await apply_at_provider(engine, Action("add_label", pr.id, pr.account, {"label": "big"}))

        def shown():
            item = next(i for i in engine.snapshot(section.id).items if i.id == pr.id)
            return "big" in item.labels

        await eventually(shown, "the label, fetched by a refresh")
        assert stats.rejected == {"github: 413": 2} and not stats.accepted
        assert engine.store.webhook_pending() == []  # nothing of the body was kept
    finally:
        sim.set_webhooks({})
        await engine.stop()


async def test_counters_are_this_receivers_since_it_started_across_a_restart(
    sim, hooked, tmp_path, capsys
):
    """The counters are the running receiver's, since it started, and are labelled so; a
    delivery the previous run accepted but had not applied (it stopped first) is applied by
    this one and counted as left by an earlier run, not as one of this run's."""
    first = await started(hooked, sim)
    try:
        stats = first.webhooks.receiver.stats
        await eventually(lambda: stats.accepted.get("github") == 1, "the ping")
        await eventually(lambda: not first.store.webhook_pending(), "the ping applied")
        first.webhooks.processor.drain_batch = lambda: 0  # stops before applying the next
        _, pr = first_item(first, "prs", "github")
        await apply_at_provider(first, Action("add_label", pr.id, pr.account, {"label": "x"}))
        await eventually(lambda: stats.accepted.get("github") == 2, "the label's delivery")
        assert len(first.store.webhook_pending()) == 1
    finally:
        sim.set_webhooks({})
        await first.stop()

    second = await started(hooked, sim)  # the same data folder: the same store
    try:
        hooks = second.webhooks
        await eventually(lambda: hooks.receiver.stats.accepted.get("github") == 1, "a ping")
        await eventually(lambda: not second.store.webhook_pending(), "the queue applied")
        second.save_health()
        saved = hooks.health()
        assert saved["accepted"] == {"github": 1}  # this run's: the new ping
        assert saved["carried_over"] == 1 and saved["processed"] == 2
        assert saved["started_at"] == hooks.receiver.stats.started_at

        config = tmp_path / "zen.toml"
        config.write_text("[webhooks]\nenabled = true\n")
        base = ["--data-dir", str(hooked.data_dir), "--config", str(config), "webhooks"]
        assert main([*base, "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
        assert report["last_run"]["accepted"] == {"github": 1}
        assert report["last_run"]["carried_over"] == 1
        assert main(base) == 0
        out = capsys.readouterr().out
        assert "since the receiver started at " in out
        assert "1 accepted, 0 duplicates, 0 rejected" in out
        assert "2 applied (1 of them queued by an earlier run)" in out
    finally:
        sim.set_webhooks({})
        await second.stop()


# ---- a hostile body, signed: refused with a reason, nothing after it lost ----------------------

DEEP = b"[" * 100_000 + b"]" * 100_000  # deeper than any JSON decoder's stack


def signed_headers(service: str, body: bytes) -> dict[str, str]:
    """What each provider sends with a delivery of `body`, signed with its secret."""
    if service == "slack":
        ts = str(int(time.time()))
        return {
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": slack_signature(SECRETS["slack"], ts, body),
        }
    if service == "jira":
        return {
            "X-Hub-Signature": hub_signature(SECRETS["jira"], body),
            "X-Atlassian-Webhook-Identifier": "deep-1",
        }
    return {
        "X-GitHub-Event": "issues",
        "X-GitHub-Delivery": "deep-1",
        "X-Hub-Signature-256": hub_signature(SECRETS["github"], body),
        "Content-Type": "application/json",
    }


def a_change_elsewhere(engine, service):
    """A change made at `service` (its delivery follows) and the test that it was applied."""
    if service == "github":
        section, pr = first_item(engine, "prs", "github")
        action = Action("add_label", pr.id, pr.account, {"label": "after-deep"})
        return action, lambda: "after-deep" in stored(engine, section, pr.id).labels
    if service == "jira":
        section, issue = first_item(engine, "issues", "jira")
        action = Action("assign", issue.id, issue.account)
        return action, lambda: stored(engine, section, issue.id).updated_at != issue.updated_at
    section = next(s for s in engine.sections if s.service == "slack" and s.query != "mentions")
    message = engine.snapshot(section.id).items[0]

    def reacted():
        return any(r.name == "tada" for r in stored(engine, section, message.id).reactions)

    return Action("react", message.id, message.account, {"name": "tada"}), reacted


@pytest.mark.parametrize("service", ["github", "jira", "slack"])
async def test_a_signed_body_nested_too_deeply_is_400_and_the_next_delivery_applies(
    start_hooked, caplog, service
):
    """Found end to end: json.loads raised RecursionError (no ValueError) on it, so the
    receiver answered 500 "internal error" and logged a traceback."""
    caplog.set_level(logging.INFO)
    engine = await start_hooked()
    async with httpx.AsyncClient() as http:
        answer = await http.post(
            engine.webhooks.server.url(service), content=DEEP, headers=signed_headers(service, DEEP)
        )
    assert (answer.status_code, answer.text) == (400, "body is nested too deeply")
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warned == [f"webhook {service} rejected (400): body is nested too deeply"]
    assert not [r for r in caplog.records if r.exc_info] and "Traceback" not in caplog.text
    assert engine.webhooks.receiver.stats.rejected == {f"{service}: 400": 1}

    action, applied = a_change_elsewhere(engine, service)
    await apply_at_provider(engine, action)
    await eventually(applied)
    assert engine.webhooks.receiver.stats.accepted.get(service)


# ---- events zen-tui does not read: answered, applied as nothing -------------------------------


async def test_a_github_event_zen_tui_does_not_read_costs_no_refresh(
    start_hooked, sim, caplog, monkeypatch
):
    """A hook sent more than the events docs/webhooks.md names ("Send me everything"):
    starring a repository sends GitHub's `star` and `watch`, which name no issue or PR.
    GitHub's advice: check the event type before processing. They were applied as "an
    event that names no item", each refreshing every section of the account (API calls
    for nothing); now they are answered, marked done, and named once in the log."""
    caplog.set_level(logging.INFO)
    engine = await start_hooked()
    refreshed: list[list[str]] = []
    real = engine.refresh_soon

    def spy(ids, *, full=False):
        refreshed.append(list(ids))
        real(ids, full=full)

    monkeypatch.setattr(engine, "refresh_soon", spy)
    stats = engine.webhooks.receiver.stats
    await eventually(lambda: stats.accepted.get("github") == 1)  # the new hook's ping
    account = sim.account("github")
    headers = {"Authorization": f"Bearer {account.token}"}
    async with httpx.AsyncClient(base_url=account.base_url, headers=headers) as gh:
        for _ in range(2):  # the second star changes nothing: no event
            answer = await gh.put("/user/starred/acme/api")
            assert answer.status_code == 204
        assert (await gh.delete("/user/starred/acme/api")).status_code == 204
    await eventually(lambda: stats.accepted["github"] == 4 and not engine.store.webhook_pending())
    assert sorted(event for _, event in _deliveries(engine)) == ["ping", "star", "star", "watch"]
    assert refreshed == []  # no section refreshed
    assert not engine.webhooks.processor.failed
    ignored = [r.getMessage() for r in caplog.records if "does not read" in r.getMessage()]
    assert ignored == [  # once per event name, with what to do about it
        "webhook github: zen-tui does not read `star` events (ignored); untick them in the "
        "hook's events to save deliveries",
        "webhook github: zen-tui does not read `watch` events (ignored); untick them in the "
        "hook's events to save deliveries",
    ]
    section, pr = first_item(engine, "prs", "github")  # what zen-tui reads still applies
    await apply_at_provider(engine, Action("add_label", pr.id, pr.account, {"label": "after"}))
    await eventually(lambda: "after" in stored(engine, section, pr.id).labels)


async def test_slacks_app_rate_limited_ends_live_and_lists_slack_in_full(
    start_hooked, sim, caplog, monkeypatch, local_tz_not_utc
):
    """Slack drops an app's events past 30,000 an hour, saying so with `app_rate_limited`
    (no inner event). It was applied as an event naming no item (a delta refresh) and,
    being verified, kept the account live: its sections waited for the safety net while
    Slack delivered nothing. Now it ends live (the sections poll as usual until events
    come again) and the Slack sections list in full, a deletion or reaction included."""
    caplog.set_level(logging.INFO)
    engine = await start_hooked()
    dispatcher = webhook_dispatcher(sim.app)
    dispatcher.slack_events_per_hour = 1
    refreshed: list[tuple[list[str], bool]] = []
    real = engine.refresh_soon

    def spy(ids, *, full=False):
        refreshed.append((list(ids), full))
        real(ids, full=full)

    monkeypatch.setattr(engine, "refresh_soon", spy)
    section = next(s for s in engine.sections if s.service == "slack" and s.query != "mentions")
    message = engine.snapshot(section.id).items[0]
    stats, hooks = engine.webhooks.receiver.stats, engine.webhooks

    async def react(name, accepted):
        action = Action("react", message.id, message.account, {"name": name})
        await apply_at_provider(engine, action)
        await eventually(
            lambda: stats.accepted.get("slack") == accepted and not engine.store.webhook_pending()
        )

    await react("tada", 1)
    assert hooks.live(message.account)
    refreshed.clear()
    await react("eyes", 2)  # over the limit: not delivered; app_rate_limited instead
    assert dispatcher.rate_limited == 1
    assert not hooks.live(message.account)
    slack_sections = sorted(s.id for s in engine.sections if s.service == "slack")
    assert [(sorted(ids), full) for ids, full in refreshed] == [(slack_sections, True)]
    [line] = [r.getMessage() for r in caplog.records if "app_rate_limited" in r.getMessage()]
    db = engine.store._connection()
    [(body,)] = db.execute("SELECT body FROM webhook_queue WHERE event = 'app_rate_limited'")
    minute = json.loads(body)["minute_rate_limited"]  # written as every time zen-tui shows
    assert line == (
        f"webhook slack: Slack is not delivering events from {local_time(minute)} on"
        " (app_rate_limited: over 30,000 events in an hour); the Slack sections list"
        " in full from the server and poll as usual until events come again"
    )
    dispatcher.slack_events_per_hour = 30_000
    await react("rocket", 3)  # delivered again: live again
    assert hooks.live(message.account)


async def test_a_form_github_delivery_is_held_to_the_cap_on_its_json_not_on_the_form(
    start_hooked, sim
):
    """GitHub caps the payload (the JSON) at 25 MB; a hook set to the form content type sends
    that JSON percent-encoded in `payload=`, up to three times as many bytes. Such a body
    near the cap was refused (413, never resent by GitHub, a refresh instead). Here the cap
    (GitHub's and max_body_bytes alike) sits between a label's JSON and its form."""
    engine = await start_hooked(github_content_type="form")
    receiver, dispatcher = engine.webhooks.receiver, webhook_dispatcher(sim.app)
    section, pr = first_item(engine, "prs", "github")
    await apply_at_provider(engine, Action("add_label", pr.id, pr.account, {"label": "one"}))
    await eventually(lambda: "one" in stored(engine, section, pr.id).labels)
    _, _, document = _last_delivery(engine)
    form = len(urlencode({"payload": document.decode()}))
    assert form > 1.3 * len(document)  # what percent-encoding does to JSON
    cap = (len(document) + form) // 2  # the next label's JSON fits, its form does not
    dispatcher.github_payload_cap = cap
    receiver.config = msgspec.structs.replace(receiver.config, max_body_bytes=cap)

    await apply_at_provider(engine, Action("add_label", pr.id, pr.account, {"label": "two"}))
    await eventually(lambda: "two" in stored(engine, section, pr.id).labels)
    assert not receiver.stats.rejected and dispatcher.too_large == 0
    _, event, document = _last_delivery(engine)
    assert event == "pull_request" and len(document) <= cap


async def test_a_hooks_set_up_handshake_is_answered_but_is_no_sign_of_deliveries(start_hooked, sim):
    """GitHub's `ping` (sent when a hook is created) and Slack's `url_verification` (sent
    when a Request URL is saved) say the URL works, not that events come: they made the
    account live, its sections waiting for the safety-net poll, a hook subscribed to no
    event that zen-tui reads included. A delivery of a change does."""
    engine = await start_hooked()
    stats, hooks = engine.webhooks.receiver.stats, engine.webhooks
    await eventually(lambda: stats.accepted.get("github") == 1)  # the new hook's ping
    assert await asyncio.to_thread(webhook_dispatcher(sim.app).verify_slack_url)  # echoed
    section, pr = first_item(engine, "prs", "github")
    slack = next(s.account for s in engine.sections if s.service == "slack")
    assert not hooks.live(pr.account) and not hooks.live(slack)
    await apply_at_provider(engine, Action("add_label", pr.id, pr.account, {"label": "live"}))
    await eventually(lambda: "live" in stored(engine, section, pr.id).labels)
    assert hooks.live(pr.account)


async def test_a_slack_refusal_retrying_cannot_fix_turns_slacks_retries_off(start_hooked, sim):
    """A Slack body zen-tui refuses as it is (400; here an event without a type) gets
    `X-Slack-No-Retry: 1`: Slack sent the same refused body three more times, up to five
    minutes later. A 401 keeps Slack's retries (they carry a fresh timestamp: a clock
    off for a moment is no reason to lose the event)."""
    engine = await start_hooked()
    dispatcher = webhook_dispatcher(sim.app)
    dispatcher.backoff = (0.0, 0.05, 0.1)
    stats = engine.webhooks.receiver.stats
    sim.app.state.world.emit("slack", "message", {"event_ts": "1.000005", "text": "typeless"})
    await asyncio.to_thread(dispatcher.wait_idle)
    assert stats.rejected == {"slack: 400": 1}
    async with httpx.AsyncClient() as http:
        body = b'{"type":"event_callback","event":{"type":"message"},"event_id":"Ev1"}'
        headers = signed_headers("slack", body) | {"X-Slack-Request-Timestamp": "1"}
        stale = await http.post(engine.webhooks.server.url("slack"), content=body, headers=headers)
    assert stale.status_code == 401 and "x-slack-no-retry" not in stale.headers

"""Across services on the simulator (real sockets, real SQLite): an issue made from a Slack
message with a reply in its thread, an item shared to Slack, the links they leave, and the
chain finishing after a kill -9 of the process between its steps without doing anything twice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

from zen_tui import crosslink
from zen_tui.models import ActionState, Issue, Message, PullRequest
from zen_tui.services.markers import zw_keys
from zen_tui.simulator.server import SimulatorServer
from zen_tui.store import Store
from zen_tui.sync.engine import SyncEngine
from zen_tui.wiring import open_store

from .conftest import REPO_ROOT, engine_for


async def loaded(engine: SyncEngine) -> tuple[Message, crosslink.Target, list[Any]]:
    """A message of the #dev section, and a GitHub repository the loaded items come from,
    whole, as the dashboard acts on them (Backend.full_item: its rows leave URLs in the
    store)."""
    snapshots = await engine.sync_once()
    items = [engine.full_item(i) for snap in snapshots.values() for i in snap.items]
    dev = next(s for s in engine.sections if s.title == "#dev")
    message = engine.full_item(next(i for i in snapshots[dev.id].items if isinstance(i, Message)))
    target = next(t for t in crosslink.targets(items) if t.service == "github")
    return message, target, items


def gh_issues_with(sim: SimulatorServer, text: str) -> list[Any]:
    return [i for i in sim.world.services["github"].state.items if text in i.body]


def thread_replies(sim: SimulatorServer, message: Message) -> list[Any]:
    channel = sim.world.services["slack"].channels[message.channel_id]
    parent = channel.messages[message.ts]
    return [channel.messages[ts] for ts in parent.replies]


async def test_issue_from_message_creates_replies_and_links(sim, settings) -> None:
    engine = engine_for(settings)
    message, target, _ = await loaded(engine)
    link = await engine.permalink(message)
    assert link.startswith("https://zen-sim.slack.com/archives/")
    title = crosslink.default_title(message)
    body = crosslink.default_body(message, link)
    steps = crosslink.issue_from_message(message, target, title, body)
    ids = await engine.submit_chain(steps)
    states = [engine.store.outbox_get(i).state for i in ids]  # type: ignore[union-attr]
    links = engine.links([message.id])[message.id]
    await engine.stop()

    assert states == [ActionState.DONE, ActionState.DONE]
    [issue] = gh_issues_with(sim, link)
    assert issue.title == title and message.author in issue.body
    [reply] = thread_replies(sim, message)
    key = f"{issue.repo.owner}/{issue.repo.name}#{issue.number}"
    url = f"https://github.com/{key.replace('#', '/issues/')}"
    assert reply.text.startswith(f"Filed as <{url}|{key}>")
    assert [(lk.other_id, lk.url) for lk in links] == [(f"{target.account}:{key}", url)]
    with Store.open(settings.data_dir / "zen-tui.db") as store:  # after a restart
        back = store.links_of([f"{target.account}:{key}"])[f"{target.account}:{key}"]
    assert [(lk.other_id, lk.outgoing) for lk in back] == [(message.id, False)]


async def test_share_posts_the_link_to_a_channel_and_links_both(sim, settings) -> None:
    engine = engine_for(settings)
    _, _, items = await loaded(engine)
    item = next(i for i in items if isinstance(i, PullRequest | Issue))
    slack = sim.account("slack").name
    choices = await engine.share_targets(slack)
    labels = [label for _, label in choices]
    assert "#dev" in labels and any(label.startswith("@") for label in labels)
    channel = dict((label, cid) for cid, label in choices)["#dev"]
    [entry_id] = await engine.submit_chain([crosslink.share(item, slack, channel, "look <here>")])
    entry = engine.store.outbox_get(entry_id)
    links = engine.links([item.id])[item.id]
    await engine.stop()

    assert entry is not None and entry.state is ActionState.DONE, entry
    posted = [
        m
        for m in sim.world.services["slack"].channels[channel].messages.values()
        if entry.idempotency_key in zw_keys(m.text)
    ]
    assert len(posted) == 1
    # the note escaped, so Slack shows it as typed; then the item's link
    assert posted[0].text.startswith(f"look &lt;here&gt;\n<{item.url}|{item.key}: ")
    assert [lk.other_id for lk in links] == [f"{slack}:{channel}:{posted[0].ts}"]


async def test_issue_from_message_into_a_jira_project(sim, settings) -> None:
    """The same chain with Jira's own create (JiraClient.create_issue) as the first step."""
    engine = engine_for(settings)
    message, _, items = await loaded(engine)
    jira = sim.account("jira").name
    target = next(t for t in crosslink.targets(items) if t.service == "jira")
    body = crosslink.default_body(message, message.url)
    steps = crosslink.issue_from_message(message, target, "from chat", body, "Story")
    ids = await engine.submit_chain(steps)
    states = [engine.store.outbox_get(i).state for i in ids]  # type: ignore[union-attr]
    links = engine.links([message.id])[message.id]
    await engine.stop()

    assert states == [ActionState.DONE, ActionState.DONE]
    made = [i for i in sim.world.services["jira"].issues.values() if i.summary == "from chat"]
    assert len(made) == 1 and made[0].issuetype == "10003"  # Story
    [reply] = thread_replies(sim, message)
    url = f"{sim.account('jira').base_url.rstrip('/')}/browse/{made[0].key}"
    assert reply.text.startswith(f"Filed as <{url}|{made[0].key}>")
    assert [(lk.other_id, lk.url) for lk in links] == [(f"{jira}:{made[0].key}", url)]


def kill_on(sim: SimulatorServer, pid: Callable[[], int], service: str, kind: str) -> list[int]:
    """SIGKILL the worker the moment the simulator applies this mutation, before it answers:
    the write is on the server, the worker never learns so."""
    counters = sim.world.counters
    original = counters.mutation
    killed: list[int] = []

    def mutation(svc: str, what: str, **record: Any) -> None:
        original(svc, what, **record)
        if (svc, what) == (service, kind) and not killed:
            killed.append(pid())
            os.kill(killed[0], signal.SIGKILL)

    counters.mutation = mutation  # type: ignore[method-assign]
    return killed


async def run_worker(spec: Any) -> int:
    cmd = [sys.executable, "-m", "tests.integration.replay_worker", str(spec)]
    worker = await asyncio.create_subprocess_exec(*cmd, cwd=REPO_ROOT)
    run_worker.pid = worker.pid  # type: ignore[attr-defined]
    return await asyncio.wait_for(worker.wait(), 60)


async def kill_between_steps(sim, settings, tmp_path, service: str, kind: str) -> list[Any]:
    """Queue the chain here, replay it in a worker process that is killed with SIGKILL when
    the simulator applies `kind`, then replay it in a new worker: one issue, one reply."""
    engine = engine_for(settings)
    message, target, _ = await loaded(engine)
    body = crosslink.default_body(message, message.url)
    steps = crosslink.issue_from_message(message, target, "kill -9 between steps", body)
    ids = [e.id for e in engine.outbox.queue_chain(steps)]  # queued, nothing sent yet
    await engine.stop()
    spec = tmp_path / "spec.json"
    accounts = [dataclasses.asdict(a) for a in sim.accounts]
    spec.write_text(json.dumps({"accounts": accounts, "data_dir": str(settings.data_dir)}))

    killed = kill_on(sim, lambda: run_worker.pid, service, kind)  # type: ignore[attr-defined]
    assert await run_worker(spec) == -signal.SIGKILL and killed
    store = open_store(settings)
    left = [store.outbox_get(i) for i in ids]
    store.close()
    assert left[1] is not None and left[1].state is not ActionState.DONE  # the kill mattered

    assert await run_worker(spec) == 0  # a restart: recovers, verifies, finishes
    store = open_store(settings)
    done = [store.outbox_get(i) for i in ids]
    links = store.links_of([message.id]).get(message.id, [])
    store.close()
    assert [e.state for e in done if e is not None] == [ActionState.DONE, ActionState.DONE]
    issues = gh_issues_with(sim, "kill -9") or [
        i for i in sim.world.services["github"].state.items if i.title == "kill -9 between steps"
    ]
    assert len(issues) == 1, [i.number for i in issues]
    replies = thread_replies(sim, message)
    assert len(replies) == 1, [r.text for r in replies]
    key = f"{issues[0].repo.owner}/{issues[0].repo.name}#{issues[0].number}"
    assert f"|{key}>" in replies[0].text
    assert [lk.other_id for lk in links] == [f"{target.account}:{key}"]
    return [left, done]


async def test_kill_9_after_the_issue_is_created_before_the_worker_knows(
    sim, settings, tmp_path
) -> None:
    left, done = await kill_between_steps(sim, settings, tmp_path, "github", "issue_opened")
    assert left[0].state is ActionState.SENDING  # killed mid-send: the worker never knew
    assert done[0].reason == "already applied (verified)"  # found by its marker, not re-sent


async def test_kill_9_while_the_thread_reply_is_being_posted(sim, settings, tmp_path) -> None:
    left, done = await kill_between_steps(sim, settings, tmp_path, "slack", "message")
    assert left[0].state is ActionState.DONE and left[1].state is ActionState.SENDING
    assert done[1].reason == "already applied (verified)"


async def test_act_verbs_issue_from_message_and_share(sim, settings, capsys) -> None:
    import argparse

    from zen_tui.commands import act

    engine = engine_for(settings)
    message, target, items = await loaded(engine)
    await engine.stop()
    pr = next(i for i in items if isinstance(i, PullRequest))

    def run(kind: str, item: str, **params: str) -> tuple[int, str, str]:
        args = argparse.Namespace(kind=kind, item=item, params=params)
        code = act.run(args, settings)
        out, err = capsys.readouterr()
        return code, out, err

    # plain asyncio.run inside: run it off this test's event loop
    made = await asyncio.to_thread(run, "issue-from-message", message.id, to=target.ref)
    assert made[0] == 0, made
    assert "applied create_issue" in made[1] and "applied reply" in made[1]
    assert len(thread_replies(sim, message)) == 1
    jira = next(t for t in crosslink.targets(items) if t.service == "jira")
    filed = await asyncio.to_thread(
        run, "issue-from-message", message.id, to=jira.ref, issuetype="Story", title="act"
    )
    assert filed[0] == 0 and f"-> {jira.account}:{jira.container}-" in filed[1], filed
    shared = await asyncio.to_thread(run, "share", pr.id, channel="#dev", body="see")
    assert shared[0] == 0 and "applied share" in shared[1], shared

    bad = [
        ("issue-from-message", message.id, {}, "needs to=ACCOUNT:OWNER/REPO"),
        ("issue-from-message", message.id, {"to": "x"}, "is not ACCOUNT:REPO"),
        ("issue-from-message", pr.id, {"to": target.ref}, "is not a Slack message"),
        ("issue-from-message", message.id, {"to": target.ref, "label": "x"}, "does not take"),
        ("issue-from-message", message.id, {"to": target.ref, "issuetype": "Bug"}, "for a Jira"),
        ("share", pr.id, {}, "share needs channel="),
        ("share", pr.id, {"channel": "#dev", "via": "nope"}, "is not a Slack account"),
        ("share", "github:no/such#1", {"channel": "#dev"}, "not in the local store"),
    ]
    for kind, item, params, says in bad:
        code, _, err = await asyncio.to_thread(run, kind, item, **params)
        assert code == 2 and says in err and "Traceback" not in err, (kind, params, err)


async def test_a_cut_off_answer_is_verified_not_resent(sim, settings) -> None:
    """GitHub's and Slack's answers cut in half (the write landed): each step is found by its
    marker on the next turn; one issue, one reply, one share."""
    engine = engine_for(settings)
    message, target, items = await loaded(engine)
    pr = next(i for i in items if isinstance(i, PullRequest))
    sim.set_faults(
        [
            {"service": "github", "method": "POST", "truncated_rate": 1.0},
            {"service": "slack", "endpoint": "/api/chat.postMessage", "truncated_rate": 1.0},
        ]
    )
    body = crosslink.default_body(message, message.url)
    steps = crosslink.issue_from_message(message, target, "cut off", body)
    ids = await engine.submit_chain(steps)
    ids += await engine.submit_chain([crosslink.share(pr, sim.account("slack").name, "#dev")])
    first = [engine.store.outbox_get(i).state for i in ids]  # type: ignore[union-attr]
    # the issue's answer was unreadable: unknown, then found by its marker on the second
    # submit's replay (not created again); the reply's answer too (unknown); the share waits
    # behind it on the Slack account
    assert first == [ActionState.DONE, ActionState.UNKNOWN, ActionState.PENDING], first
    made = engine.store.outbox_get(ids[0])
    assert made is not None and made.reason == "already applied (verified)"
    sim.clear_faults()
    for _ in range(4):  # each replay verifies what the last one could not read
        await engine.outbox.replay()
    entries = [engine.store.outbox_get(i) for i in ids]
    await engine.stop()
    assert [e.state for e in entries if e is not None] == [ActionState.DONE] * 3, entries
    assert len([i for i in sim.world.services["github"].state.items if i.title == "cut off"]) == 1
    assert len(thread_replies(sim, message)) == 1
    posts = [m for m in sim.counters()["mutation_log"] if m["kind"] == "message"]
    assert len(posts) == 2  # the reply and the share, once each


async def test_an_issue_body_github_would_refuse_fails_before_sending(sim, settings) -> None:
    """GitHub takes an issue body of at most 65,536 characters (422 past it): one longer,
    counted with the hidden marker zen-tui adds, is refused before the POST, the outbox
    entry failed saying by how much to shorten it; the reply after it is never sent."""
    engine = engine_for(settings)
    message, target, _ = await loaded(engine)
    github = sim.world.services["github"]
    before = len(github.state.items)
    steps = crosslink.issue_from_message(message, target, "long", "x" * 70_000)
    ids = await engine.submit_chain(steps)
    create, reply = (engine.store.outbox_get(i) for i in ids)
    await engine.stop()

    assert create is not None and create.state == ActionState.FAILED
    reason = create.reason or ""
    assert "issue body too long for GitHub: 70,0" in reason, reason
    assert "at most 65,536; shorten it by 4,5" in reason and "hidden marker" in reason
    assert reply is not None and reply.state != ActionState.DONE
    assert len(github.state.items) == before and not thread_replies(sim, message)

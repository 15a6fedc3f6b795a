"""A SyncEngine whose network part (gateways, service clients) is built at start(), as the
dashboard wires it (commands/dashboard.py): the real store and wiring, servers at a loopback
port where nothing listens (no request is answered, none is needed)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import msgspec
import pytest

from tests.fakes.backend import FROZEN_NOW, make_items
from tests.integration.conftest import fast
from zen_tui.config import Settings, WebhookConfig
from zen_tui.demo import demo_settings
from zen_tui.models import Action, ActionState, ItemDetail, SectionInfo
from zen_tui.sync.backend import ActionUpdated
from zen_tui.sync.engine import SyncEngine
from zen_tui.wiring import build, build_local, connect

NOWHERE = "http://127.0.0.1:9"
GITHUB_PRS = SectionInfo("prs:0:github", "prs", "Review requested", "github", "github", "q")


def settings_in(data_dir: Path) -> Settings:
    sims = [
        SimpleNamespace(service=s, name=s, base_url=NOWHERE, token="t", username="me")
        for s in ("github", "jira", "slack")
    ]
    return fast(demo_settings(sims, data_dir))


def deferred(settings: Settings, network=None) -> SyncEngine:  # type: ignore[no-untyped-def]
    wired = build_local(settings)
    return SyncEngine(wired, connect=network or functools.partial(connect, wired))


def held(settings: Settings) -> tuple[SyncEngine, threading.Event]:
    """An engine whose network part is built only once the returned event is set."""
    release = threading.Event()
    wired = build_local(settings)

    def network(account):  # type: ignore[no-untyped-def]
        release.wait(30)
        return connect(wired, account)

    return SyncEngine(wired, connect=network), release


def sending_seen(engine: SyncEngine) -> asyncio.Event:
    """Set (from whichever thread publishes) when the outbox starts sending an action."""
    seen = asyncio.Event()
    loop = asyncio.get_running_loop()
    engine.bus.subscribe(
        lambda e: (
            isinstance(e, ActionUpdated)
            and e.state is ActionState.SENDING
            and loop.call_soon_threadsafe(seen.set)
        )
    )
    return seen


async def turns(n: int = 20) -> None:
    """Let the loop run other tasks for a while (no wall-clock wait)."""
    for _ in range(n):
        await asyncio.sleep(0)


async def test_before_start_nothing_of_the_network_exists_and_health_is_a_new_gateways(
    tmp_path: Path,
) -> None:
    settings = settings_in(tmp_path / "a")
    engine = deferred(settings)
    eager = SyncEngine(build(settings_in(tmp_path / "b")))
    try:
        assert engine.wired.gateways == {} and engine.wired.clients == {}
        # the cards seed the same figures before a poll, each account saying it is connecting
        before = engine.health()
        assert {h.connection for h in before} == {"connecting"}
        built = [msgspec.structs.replace(h, connection="connected") for h in before]
        assert built == eager.health()
        engine.set_paused(True)  # no poll spends a token before the comparison below
        await engine.start()
        assert sorted(engine.wired.gateways) == sorted(engine.wired.clients)
        assert sorted(engine.wired.gateways) == ["github", "jira", "slack"]
        assert engine.outbox.clients is engine.wired.clients  # the outbox sees them
        assert engine.health() == eager.health()
        # the outbox keeps what the new clients resolve before a send (verify() after a crash)
        [entry] = engine.outbox.queue([Action("transition", "jira:P-1", "jira", {"to": "Done"})])
        engine.wired.clients["jira"].resolved(entry.idempotency_key, {"transition": "31"})
        assert engine.store.outbox_get(entry.id).action.params["transition"] == "31"
    finally:
        await engine.stop()
        await eager.stop()


async def test_the_local_paint_needs_no_network(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    seeded = SyncEngine(build(settings))
    section = next(s for s in seeded.sections if s.pane == "prs")
    seeded.store.save_section(section.id, make_items(GITHUB_PRS, 5), FROZEN_NOW)
    await seeded.stop()
    engine = deferred(settings)
    try:
        local = engine.load_local()
        assert len(local[section.id].items) == 5
        assert engine.wired.gateways == {}
    finally:
        await engine.stop()


async def test_a_call_that_needs_a_client_waits_for_start_and_connects_off_the_loop(
    tmp_path: Path,
) -> None:
    built_in: list[threading.Thread] = []
    settings = settings_in(tmp_path)

    def network(account):  # type: ignore[no-untyped-def]
        built_in.append(threading.current_thread())
        return connect(engine.wired, account)

    engine = deferred(settings, network)
    item = make_items(GITHUB_PRS, 1)[0]
    waiting = asyncio.ensure_future(engine.details(item))
    try:
        await turns()
        assert not waiting.done() and built_in == []  # nothing built before start()
        await engine.start()
        assert len(built_in) == 3  # an account per thread, none of them the loop's
        assert threading.current_thread() not in built_in
        detail = await asyncio.wait_for(waiting, 30)
        assert isinstance(detail, ItemDetail)  # answered (the server refused: an error)
        await engine.refresh()  # later calls reuse the same gateways: built once
        assert len(built_in) == 3
    finally:
        await engine.stop()


async def test_stop_while_the_network_is_being_built_returns_at_once(tmp_path: Path) -> None:
    """A keyring that hangs while the gateways are built (a locked Secret Service) holds up
    neither stop() nor the calls waiting for the network: they fail, they do not hang."""
    release = threading.Event()
    entered = threading.Event()
    settings = settings_in(tmp_path)
    finished = threading.Event()

    def network(account):  # type: ignore[no-untyped-def]
        entered.set()
        release.wait(30)
        parts = connect(engine.wired, account)
        finished.set()
        return parts

    engine = deferred(settings, network)
    starting = asyncio.ensure_future(engine.start())
    waiting = asyncio.ensure_future(engine.details(make_items(GITHUB_PRS, 1)[0]))
    assert await asyncio.to_thread(entered.wait, 10)
    await asyncio.wait_for(engine.stop(), 5)  # the build is still blocked
    assert engine.closed
    with pytest.raises((asyncio.CancelledError, RuntimeError)):
        await asyncio.wait_for(starting, 5)
    with pytest.raises((asyncio.CancelledError, RuntimeError)):
        await asyncio.wait_for(waiting, 5)
    release.set()
    assert await asyncio.to_thread(finished.wait, 10)  # the thread finishes its build
    await turns()
    assert engine.wired.gateways == {}  # and it is never taken


async def test_a_failing_build_is_reported_by_start(tmp_path: Path) -> None:
    def network(account):  # type: ignore[no-untyped-def]
        raise ValueError("no network stack today")

    engine = deferred(settings_in(tmp_path), network)
    try:
        with pytest.raises(ValueError, match="no network stack today"):
            await engine.start()
    finally:
        await asyncio.wait_for(engine.stop(), 5)


async def test_a_client_asked_for_before_the_build_is_handed_over_once_built(
    tmp_path: Path,
) -> None:
    """A triage form's service_client() before (and while) the network part is built waits
    for it, then gets the account's real client; unknown accounts still get None."""
    settings = settings_in(tmp_path)
    engine, gate = held(settings)
    asked = asyncio.ensure_future(engine.service_client("jira"))
    try:
        await turns()
        assert not asked.done() and not engine.connected()  # before start(): waits
        starting = asyncio.ensure_future(engine.start())
        await turns()
        assert not asked.done()  # being built: still waits
        gate.set()
        client = await asyncio.wait_for(asked, 30)
        await asyncio.wait_for(starting, 30)
        assert engine.connected() and client is engine.wired.clients["jira"]
        assert await engine.service_client("nobody") is None
    finally:
        gate.set()
        await engine.stop()


async def test_an_action_submitted_before_the_clients_exist_is_queued_and_never_lost(
    tmp_path: Path,
) -> None:
    """Triage in the first moments (or while a keyring hangs): the action is in the store
    at once, PENDING, and stays there when the engine stops before the build ends; the next
    start's outbox sends it."""
    settings = settings_in(tmp_path)
    engine, release = held(settings)
    starting = asyncio.ensure_future(engine.start())
    approve = Action("approve", "github:o/r#1", "github")
    chain = [(Action("comment", "github:o/r#1", "github", {"body": "hi"}), None)]
    try:
        ids = await asyncio.wait_for(engine.submit([approve]), 5)  # returns while building
        ids += await asyncio.wait_for(engine.submit_chain(chain), 5)
        with pytest.raises(ValueError, match="no account named 'nobody'"):
            await engine.submit([Action("approve", "github:o/r#1", "nobody")])
        assert [engine.store.outbox_get(i).state.value for i in ids] == ["pending", "pending"]
        await asyncio.wait_for(engine.stop(), 5)  # the build is still blocked
    finally:
        release.set()
        with contextlib.suppress(BaseException):
            await starting
    again = deferred(settings)
    try:
        kept = again.store.outbox_by_state(ActionState.PENDING)
        assert sorted(e.id for e in kept) == sorted(ids)
    finally:
        await again.stop()


async def test_an_action_submitted_while_building_is_sent_once_the_clients_exist(
    tmp_path: Path,
) -> None:
    """The same before the clients exist, but the build finishes: the outbox tries to send
    it (no server listens: it stays PENDING with a reason, to retry), it is not refused."""
    settings = settings_in(tmp_path)
    engine, release = held(settings)
    sent = sending_seen(engine)
    starting = asyncio.ensure_future(engine.start())
    try:
        [entry_id] = await asyncio.wait_for(
            engine.submit([Action("approve", "github:o/r#1", "github")]), 5
        )
        await turns()
        assert engine.store.outbox_get(entry_id).attempts == 0 and not sent.is_set()
        release.set()
        await asyncio.wait_for(starting, 30)
        await asyncio.wait_for(sent.wait(), 30)  # the outbox took it up
        await asyncio.wait_for(engine.outbox.replay(), 30)  # its send has ended
        entry = engine.store.outbox_get(entry_id)
        assert entry.attempts >= 1 and entry.state is not ActionState.FAILED
    finally:
        release.set()
        await engine.stop()


def hooked(settings: Settings) -> Settings:
    hooks = WebhookConfig(enabled=True, port=0, secrets={"github": "s", "jira": "s", "slack": "s"})
    return msgspec.structs.replace(settings, webhooks=hooks)


async def test_a_failed_build_is_said_in_the_panes_and_retried_by_the_next_poll(
    tmp_path: Path,
) -> None:
    """An import error (or a keyring that raises) while the network part is built: start()
    says so, but the engine keeps running, the receiver listening; each pane says why it is
    not fresh, and the next poll or refresh builds again. Once a build works, it all syncs."""
    calls: list[str] = []
    settings = hooked(settings_in(tmp_path))

    def network(account):  # type: ignore[no-untyped-def]
        calls.append(account)
        if len(calls) <= 4:  # the three first builds, and the first retry
            raise ImportError("no module named 'httpx'")
        return connect(engine.wired, account)

    engine = deferred(settings, network)
    section = engine.sections[0]
    engine.set_paused(True)  # only the refreshes below poll
    sending = sending_seen(engine)
    try:
        await engine.submit([Action("approve", "github:o/r#1", "github")])  # queued
        with pytest.raises(ImportError):
            await engine.start()
        assert not engine.connected() and len(calls) == 3
        assert engine.webhooks is not None and engine.webhooks.server.port  # listening
        await engine.refresh(section.id)  # builds its account again: fails, and says so
        snapshot = engine.snapshot(section.id)
        assert snapshot is not None and calls[3:] == [section.account]
        assert snapshot.freshness.reason == "could not set up syncing: no module named 'httpx'"
        await engine.refresh()  # every account builds now
        assert sorted(calls[4:]) == ["github", "jira", "slack"] and engine.connected()
        assert engine.snapshot(section.id).freshness.reason != snapshot.freshness.reason
        await asyncio.wait_for(sending.wait(), 10)  # the outbox sends what waited
        assert await engine.service_client("slack") is engine.wired.clients["slack"]
        assert len(calls) == 7  # built once it worked
    finally:
        await asyncio.wait_for(engine.stop(), 5)


async def test_start_twice_waits_for_the_one_build(tmp_path: Path) -> None:
    release = threading.Event()
    calls: list[str] = []

    def network(account):  # type: ignore[no-untyped-def]
        calls.append(account)
        release.wait(30)
        return connect(engine.wired, account)

    engine = deferred(settings_in(tmp_path), network)
    try:
        first = asyncio.ensure_future(engine.start())
        second = asyncio.ensure_future(engine.start())
        await turns()
        assert not second.done()  # not "started" while nothing runs yet
        release.set()
        await asyncio.wait_for(asyncio.gather(first, second), 30)
        assert engine.connected() and sorted(calls) == ["github", "jira", "slack"]
    finally:
        release.set()
        await engine.stop()


async def test_a_refresh_before_the_build_waits_for_it_then_polls(tmp_path: Path) -> None:
    """`R` pressed before (or while) the network part is built: the refresh waits and then
    really asks the server, it does not fail or get dropped."""
    engine, release = held(settings_in(tmp_path))
    section = engine.sections[0]
    engine.set_paused(True)  # only the refresh polls
    try:
        refreshing = asyncio.ensure_future(engine.refresh(section.id))
        await turns()
        assert not refreshing.done() and engine.snapshot(section.id) is None
        starting = asyncio.ensure_future(engine.start())
        await turns()
        assert not refreshing.done()
        release.set()
        await asyncio.wait_for(starting, 30)
        await asyncio.wait_for(refreshing, 30)
        snapshot = engine.snapshot(section.id)
        assert snapshot is not None and engine.pollers[section.id].polls == 1
        assert "set up" not in (snapshot.freshness.reason or "")  # the server's answer
    finally:
        release.set()
        await engine.stop()


async def test_one_account_that_cannot_be_built_fails_alone_and_is_retried_alone(
    tmp_path: Path, keyring_faults: dict[str, Any]
) -> None:
    """The Jira account's keyring lookup raises while the network part is built: the other
    accounts get their clients and poll; Jira's panes say why (one line); once the fault is
    gone, the next refresh builds Jira alone (the others' clients are kept, not rebuilt)."""
    broken = keyring_faults
    broken["jira"] = RuntimeError("keyring locked:\n  unlock it")
    engine = deferred(settings_in(tmp_path))
    engine.set_paused(True)  # only the refreshes below poll
    jira = next(s for s in engine.sections if s.account == "jira")
    github = next(s for s in engine.sections if s.account == "github")
    try:
        await engine.start()  # one account failing is not a start error
        assert sorted(engine.wired.clients) == ["github", "slack"]
        kept = engine.wired.clients["github"]
        await engine.refresh()
        why = engine.snapshot(jira.id).freshness.reason
        assert why == "could not set up syncing: keyring locked: unlock it"
        assert "set up" not in (engine.snapshot(github.id).freshness.reason or "")  # it polled
        assert [h.account for h in engine.health()] == ["github", "jira", "slack"]
        broken.clear()
        await engine.refresh(jira.id)
        assert engine.connected() and engine.wired.clients["github"] is kept
        assert "set up" not in (engine.snapshot(jira.id).freshness.reason or "")
    finally:
        await asyncio.wait_for(engine.stop(), 5)


async def test_a_login_builds_again_only_its_account_even_one_the_first_build_left_out(
    tmp_path: Path, keyring_faults: dict[str, Any]
) -> None:
    """reconnect (after a login in the dashboard): an account the first build could not
    build is built, the network part is then whole; the other accounts keep their clients.
    A rebuild that fails keeps the account's old gateway and client (not retired)."""
    broken = keyring_faults
    broken["jira"] = RuntimeError("keyring locked")
    engine = deferred(settings_in(tmp_path))
    engine.set_paused(True)
    try:
        await engine.start()
        assert not engine.connected("jira") and engine.connected("github")
        kept = dict(engine.wired.clients)
        broken.clear()  # the user logged in (a session login, say)
        await engine.reconnect("jira")
        assert engine.connected("jira") and engine.connected()
        assert {n: engine.wired.clients[n] for n in kept} == kept  # not rebuilt

        old_gateway, old_client = engine.wired.gateways["jira"], engine.wired.clients["jira"]
        broken["jira"] = RuntimeError("keyring locked again")
        await engine.reconnect("jira")  # fails: nothing is lost, the old pair goes on
        assert engine.wired.clients["jira"] is old_client
        assert engine.wired.gateways["jira"] is old_gateway and not old_gateway._retired
        await engine.reconnect("nobody")  # no such account: nothing happens
        assert sorted(engine.wired.clients) == ["github", "jira", "slack"]
    finally:
        await asyncio.wait_for(engine.stop(), 5)


async def test_a_login_before_start_leaves_the_build_to_start(tmp_path: Path) -> None:
    engine = deferred(settings_in(tmp_path))
    engine.set_paused(True)
    try:
        await asyncio.wait_for(engine.reconnect("github"), 5)  # never waits for start()
        assert engine.wired.clients == {} and engine.wired.gateways == {}
        await engine.start()
        assert sorted(engine.wired.clients) == ["github", "jira", "slack"]
    finally:
        await asyncio.wait_for(engine.stop(), 5)

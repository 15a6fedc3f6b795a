"""Once a login is replaced, its old gateway starts no read with the old token: on the
simulator over real sockets, the keyring in memory, each request noted as it is started on
the wire (method, path, Authorization) by the transport every gateway of the engine shares.

- one example: a multi-page poll of a Slack channel (its history comes 15 messages a page,
  each page slowed down by the simulator) and a reply in flight when the login changes: no
  read with the old token starts after the swap, the reply lands once, the section goes
  on as the new login without showing an error;
- seeded random rounds: the login changes at random points of a poll and of outbox sends;
  after each change no read carries any earlier token, and every queued reply lands once.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from msgspec.structs import replace

from tests.helpers import eventually, seeds
from tests.integration.helpers import running
from tests.integration.test_login_takes_effect import (
    Recorder,
    another_valid_token,
    deferred,
    outbox_state,
    service_sim,
    state_of,
)
from tests.unit.auth.memory_keyring import MemoryKeyring, memory_keyring
from zen_tui.auth.keyring_store import KeyringCredentialStore, StoredCredential
from zen_tui.config import Settings
from zen_tui.events import Event
from zen_tui.gateway.profiles import profile_for
from zen_tui.gateway.writing import writing
from zen_tui.models import Action, ActionState, FreshnessState, Message
from zen_tui.simulator.server import SimulatorServer
from zen_tui.sync.backend import SectionUpdated
from zen_tui.sync.engine import SyncEngine

__all__ = ["memory_keyring"]
pytestmark = pytest.mark.timeout(180)

ACCOUNT = "slack"
READS = profile_for("slack").reads
ROUNDS = 25  # login changes per seed


class Wire(Recorder):
    """Recorder's loopback transport, noting each request's method too, as it starts."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, str, str]] = []  # (method, path, authorization)
        self.of_writes: set[int] = set()  # which of them a write under way made (indexes)
        self.changed = asyncio.Event()  # set at each request started

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        auth = request.headers.get("authorization", "")
        self.sent.append((request.method, request.url.path, auth))
        if writing():
            self.of_writes.add(len(self.sent) - 1)
        self.changed.set()
        return await super().handle_async_request(request)

    async def until(
        self, ready: Callable[[], bool], also: asyncio.Future[Any] | None = None
    ) -> None:
        """Wait, request by request (an event, not a sleep), until `ready()`. `also`: a task
        `ready` reads too, which wakes the wait when it ends (a poll over with no request
        after it would otherwise leave it waiting for one that never starts)."""
        if also is not None:
            also.add_done_callback(lambda _: self.changed.set())
        async with asyncio.timeout(30):
            while not ready():
                self.changed.clear()
                await self.changed.wait()

    def old_reads_after(self, mark: int, old: set[str]) -> list[tuple[str, str]]:
        """Reads started from `mark` on with one of the `old` tokens, but those a write under
        way made (its check whether a reply already landed, before it is sent again): part of
        the write, they finish where it began (gateway/writing.py, test_retire.py)."""
        return [
            (method, path)
            for n, (method, path, auth) in enumerate(self.sent[mark:], start=mark)
            if auth.removeprefix("Bearer ") in old
            and READS(method, path)
            and n not in self.of_writes
        ]

    def count(self, token: str, method: str, suffix: str, since: int = 0) -> int:
        return sum(
            1
            for m, path, auth in self.sent[since:]
            if auth == f"Bearer {token}" and m == method and path.endswith(suffix)
        )


def begun_or_over(wire: Wire, requests: int, polling: asyncio.Future[None]) -> bool:
    """`requests` requests have begun so far, or the poll is over."""
    return len(wire.sent) >= requests or polling.done()


def slack_only(settings: Settings) -> Settings:
    """The Slack account alone, its login the keyring's, and one section: #dev (the other
    polls would only be noise here)."""
    accounts = [replace(a, token=None) for a in settings.accounts if a.name == ACCOUNT]
    sections = [s for s in settings.sections if s.channels == ("#dev",)]
    return replace(settings, accounts=accounts, sections=sections)


def committed(engine: SyncEngine, wire: Wire) -> list[int]:
    """How many requests had started when each new gateway was swapped in (the old one is
    retired in that same step, SyncEngine._rebuild): one mark per login change."""
    marks: list[int] = []
    adopt = engine._adopt

    def marked(account: str, gateways: Any, clients: Any) -> Any:
        replaced = account in engine.wired.gateways  # else its first build
        old = adopt(account, gateways, clients)
        if replaced:
            marks.append(len(wire.sent))
        return old

    engine._adopt = marked  # type: ignore[method-assign]
    return marks


def long_history(sim: SimulatorServer, messages: int) -> str:
    """#dev gets `messages` more (a colleague's): its history is several pages."""
    slack = service_sim(sim, "slack")
    dev = next(c for c in slack.channels.values() if c.name == "dev")
    colleague = next(u for u in slack.users if u not in (slack.me.id, slack.bot.id))
    for n in range(messages):
        slack.post(dev, colleague, f"backlog {n}", None)
    return str(dev.id)


def landed(sim: SimulatorServer, text: str) -> int:
    """Messages the simulator holds whose text is `text` (plus the idempotency marker)."""
    slack = service_sim(sim, "slack")
    return sum(
        1
        for channel in slack.channels.values()
        for message in channel.messages.values()
        if message.text.startswith(text)
    )


def dev_section(engine: SyncEngine) -> str:
    [section] = engine.sections
    return section.id


def errors_shown(engine: SyncEngine) -> list[str]:
    """Every reason a section was published with from now on (a pane shows it)."""
    said: list[str] = []

    def watch(event: Event) -> None:
        if isinstance(event, SectionUpdated) and event.snapshot.freshness.reason:
            said.append(str(event.snapshot.freshness.reason))

    engine.bus.subscribe(watch)
    return said


async def log_in(sim: SimulatorServer, store: KeyringCredentialStore) -> str:
    """A new login of the same user, saved as the login screen saves it; its token."""
    token = another_valid_token(sim, "slack")
    await store.save(ACCOUNT, StoredCredential(token, login="me"))
    return token


async def test_a_poll_under_way_sends_no_read_with_the_old_token_after_a_login_change(
    sim: SimulatorServer, settings: Settings, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    settings = slack_only(settings)
    store = KeyringCredentialStore()
    old = sim.account("slack").token
    await store.save(ACCOUNT, StoredCredential(old, login="me"))
    long_history(sim, 60)  # several pages of 15
    wire = Wire()
    engine = deferred(settings, wire)
    marks = committed(engine, wire)
    async with running(engine, wire.inner):
        dev = dev_section(engine)
        await engine.refresh(dev)  # after the poll at start
        listed = len(wire.sent)
        await engine.refresh(dev)
        assert state_of(engine, dev) is FreshnessState.LIVE
        pages = wire.count(old, "GET", "conversations.history", listed)  # one full listing
        assert pages >= 4
        target = next(i for i in engine.snapshot(dev).items if isinstance(i, Message))  # type: ignore[union-attr]
        said = errors_shown(engine)
        sim.set_faults(
            [
                {"service": "slack", "endpoint": "*conversations.history", "latency_ms": 150},
                {"service": "slack", "endpoint": "*chat.postMessage", "latency_ms": 600},
            ]
        )
        start = len(wire.sent)
        text = "sent while the login changes"
        [entry] = await engine.submit([Action("reply", target.id, ACCOUNT, {"text": text})])
        polling = asyncio.ensure_future(engine.refresh(dev))
        await wire.until(
            lambda: (
                wire.count(old, "POST", "chat.postMessage", start) == 1
                and wire.count(old, "GET", "conversations.history", start) == 2
            )
        )  # the reply is in flight, the poll's second page too; more pages to go

        new = await log_in(sim, store)
        await engine.reconnect(ACCOUNT, new_login=True)  # what the login screen's app does
        [mark] = marks
        await polling  # the refresh ends with the new login's whole listing
        assert wire.count(new, "GET", "conversations.history", mark) >= pages
        assert state_of(engine, dev) is FreshnessState.LIVE
        await eventually(
            lambda: outbox_state(engine, entry) is ActionState.DONE,
            "the reply begun with the old token to finish",
        )
        sim.clear_faults()

        assert wire.old_reads_after(mark, {old}) == []  # on main: the poll's last pages
        assert wire.count(old, "GET", "conversations.history", start) == 2  # begun, then cut
        assert wire.count(old, "POST", "chat.postMessage", start) == 1  # the write went on
        assert landed(sim, text) == 1
        assert said == []  # the refused pages: no error on the pane, not a degraded section
        gateway = engine.wired.gateways[ACCOUNT]
        assert gateway.breaker_state() == "closed" and gateway.health().errors == 0


# Seed 0 in every run, the rest with `make soak`: each seed's changes meet polls and sends
# under way (asserted below), so one covers both.
@pytest.mark.parametrize("seed", seeds(every_run=(0,), soak=(1, 2, 3)))
async def test_after_each_random_login_change_no_read_carries_an_earlier_token(
    sim: SimulatorServer,
    settings: Settings,
    memory_keyring: MemoryKeyring,
    tmp_path: Path,
    seed: int,
) -> None:
    """Rounds of one poll (several pages) and up to three replies, the login changed once
    at a random point of them: after the n-th change, no read carries any of the n tokens
    before it; writes begun before it finish (the reads they make included: a reply sent
    before whose answer was lost checks whether it landed); every reply lands exactly once."""
    rng = random.Random(seed)
    settings = slack_only(settings)
    store = KeyringCredentialStore()
    tokens = [sim.account("slack").token]
    await store.save(ACCOUNT, StoredCredential(tokens[0], login="me"))
    long_history(sim, 40)  # 46 messages: 4 pages of 15
    # Each new login's client lists the channels again (conversations.list, Slack's tier 2:
    # 20 a minute): a budget for 25 logins a round, not Slack's minute-long 429 waits.
    sim.world.rate_scale = 10.0
    wire = Wire()
    engine = deferred(settings, wire)
    marks = committed(engine, wire)
    texts: list[str] = []
    entries: list[str] = []
    async with running(engine, wire.inner):
        dev = dev_section(engine)
        await engine.refresh(dev)
        targets = [i for i in engine.snapshot(dev).items if isinstance(i, Message)]  # type: ignore[union-attr]
        sim.set_faults(
            [
                {
                    "service": "slack",
                    "endpoint": endpoint,
                    "latency_ms": 5,
                    "jitter": "uniform",
                    "jitter_ms": jitter,
                }
                for endpoint, jitter in (("*conversations.history", 40), ("*chat.*", 80))
            ]
        )
        cut_polls = cut_writes = 0
        for round_ in range(ROUNDS):
            begun = len(wire.sent)
            polling = asyncio.ensure_future(engine.refresh(dev))
            for n in range(rng.randrange(4)):  # replies queued before, during and after
                text = f"[seed {seed}, round {round_}, reply {n}]"
                target = rng.choice(targets)
                texts.append(text)
                entries += await engine.submit(
                    [Action("reply", target.id, ACCOUNT, {"text": text})]
                )
                await asyncio.sleep(rng.choice((0, 0, 0.01)))
            after = rng.randrange(7)  # the change comes after this many more requests began
            await wire.until(partial(begun_or_over, wire, begun + after, polling), polling)
            await asyncio.sleep(rng.choice((0, 0, 0.005, 0.02)))
            tokens.append(await log_in(sim, store))
            await engine.reconnect(ACCOUNT, new_login=True)
            # what the change met (read just after the swap: reconnect's awaits are short)
            cut_polls += not polling.done()
            cut_writes += bool(engine.store.outbox_by_state(ActionState.SENDING))
            await polling
        sim.clear_faults()

        def all_sent() -> bool:
            waiting = engine.store.outbox_by_state(
                ActionState.PENDING, ActionState.SENDING, ActionState.UNKNOWN
            )
            return not waiting

        await eventually(all_sent, "every reply to be sent", within=60)
        print(f"seed {seed}: {cut_polls} polls and {cut_writes} sends under way at a change")
        assert cut_polls and cut_writes  # the changes met polls and writes under way
        assert len(marks) == ROUNDS
        for n, mark in enumerate(marks, start=1):  # the n-th change replaced tokens[n - 1]
            assert wire.old_reads_after(mark, set(tokens[:n])) == [], f"after change {n}"
        failed = engine.store.outbox_by_state(ActionState.FAILED)
        assert not failed, [e.reason for e in failed]
        assert [landed(sim, text) for text in texts] == [1] * len(texts)
        assert all(outbox_state(engine, e) is ActionState.DONE for e in entries)


async def test_a_preview_read_under_way_is_read_again_as_the_new_login(
    sim: SimulatorServer, settings: Settings, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    """The preview of a thread is being read when the login changes: the user gets the new
    login's answer, no error, and nothing more is read with the old token."""
    settings = slack_only(settings)
    store = KeyringCredentialStore()
    old = sim.account("slack").token
    await store.save(ACCOUNT, StoredCredential(old, login="me"))
    wire = Wire()
    engine = deferred(settings, wire)
    marks = committed(engine, wire)
    async with running(engine, wire.inner):
        dev = dev_section(engine)
        await engine.refresh(dev)
        message = next(i for i in engine.snapshot(dev).items if isinstance(i, Message))  # type: ignore[union-attr]
        sim.set_faults(
            [{"service": "slack", "endpoint": "*conversations.replies", "latency_ms": 300}]
        )
        start = len(wire.sent)
        reading = asyncio.ensure_future(engine.details(message))
        await wire.until(lambda: wire.count(old, "GET", "conversations.replies", start) == 1)
        new = await log_in(sim, store)
        await engine.reconnect(ACCOUNT, new_login=True)
        [mark] = marks
        detail = await reading
        assert detail.error is None and detail.item_id == message.id
        assert wire.count(new, "GET", "conversations.replies", mark) == 1  # on main: 0
        assert wire.old_reads_after(mark, {old}) == []

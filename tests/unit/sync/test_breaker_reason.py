"""A pane's "breaker open until HH:MM" stops claiming it once that time is past: from then
on the breaker lets the next call through as its probe (the gateway card says "open, probe
due"), and so does the pane, without waiting for that poll. On the engine's fake clock."""

from __future__ import annotations

import asyncio

from zen_tui.gateway.errors import CircuitOpen
from zen_tui.models import FreshnessState
from zen_tui.store import Store
from zen_tui.sync.backend import SectionUpdated
from zen_tui.sync.engine import PROBE_DUE

from .test_engine import SECTION, FakeClient, Result, engine, issue, poll


def reasons(eng) -> list[str | None]:  # type: ignore[no-untyped-def]
    seen: list[str | None] = []
    eng.bus.subscribe(
        lambda e: seen.append(e.snapshot.freshness.reason) if isinstance(e, SectionUpdated) else 0
    )
    return seen


async def advance(eng, seconds: float) -> None:  # type: ignore[no-untyped-def]
    """Move the fake clock on, then give the loop the turn its due timers run in."""
    eng.wired.clock.advance(seconds)
    for _ in range(3):
        await asyncio.sleep(0)


def opened(eng, seconds: float) -> CircuitOpen:  # type: ignore[no-untyped-def]
    until = eng.wired.clock.time() + seconds
    return CircuitOpen(service="jira", account="j", retry_at=until)


async def test_the_reason_says_the_probe_is_due_once_the_breakers_wait_is_over() -> None:
    store = Store.open(":memory:")
    client = FakeClient(answers=[Result([issue(1)], 10.0)])
    eng = engine(store, client)
    await poll(eng)
    client.answers = [opened(eng, 30)]
    published = reasons(eng)
    await poll(eng)
    shown = eng.snapshot(SECTION.id)
    assert shown.freshness.reason.startswith("breaker open until")
    await advance(eng, 29)
    assert eng.snapshot(SECTION.id) == shown  # still waiting: the time it names is ahead
    await advance(eng, 2)
    now = eng.snapshot(SECTION.id)
    assert now.freshness.reason == PROBE_DUE and published[-1] == PROBE_DUE
    assert now.items == shown.items and now.freshness.state is FreshnessState.CACHED
    assert now.freshness.fetched_at == shown.freshness.fetched_at  # only the reason moved
    assert store.section_reason(SECTION.id) == PROBE_DUE  # what `zen-tui list` says too
    await eng.stop()


async def test_a_newer_poll_keeps_its_own_reason() -> None:
    """The breaker opened again (a failed probe) before the first wait ran out: the new
    "open until" stands until its own time; the old timer does not overwrite it."""
    store = Store.open(":memory:")
    client = FakeClient(answers=[Result([issue(1)], 10.0)])
    eng = engine(store, client)
    await poll(eng)
    client.answers = [opened(eng, 30)]
    await poll(eng)
    await advance(eng, 10)
    client.answers = [opened(eng, 60)]  # until 70 s after the first
    await poll(eng)
    again = eng.snapshot(SECTION.id)
    await advance(eng, 25)  # past the first wait, not the second
    assert eng.snapshot(SECTION.id) == again
    await advance(eng, 40)
    assert eng.snapshot(SECTION.id).freshness.reason == PROBE_DUE
    await eng.stop()


async def test_a_stale_copy_served_while_the_breaker_is_open_says_so_too() -> None:
    store = Store.open(":memory:")
    client = FakeClient(answers=[Result([issue(1)], 10.0)])
    eng = engine(store, client)
    await poll(eng)
    client.answers = [Result([issue(1)], 10.0, cache="stale", stale_error=opened(eng, 30))]
    await poll(eng)
    assert eng.snapshot(SECTION.id).freshness.reason.startswith("breaker open until")
    await advance(eng, 31)
    assert eng.snapshot(SECTION.id).freshness.reason == PROBE_DUE
    await eng.stop()


async def test_a_recovered_section_is_left_alone_when_the_old_time_comes() -> None:
    store = Store.open(":memory:")
    client = FakeClient(answers=[Result([issue(1)], 10.0)])
    eng = engine(store, client)
    await poll(eng)
    client.answers = [opened(eng, 30), Result([issue(1)], 20.0)]
    await poll(eng)
    await poll(eng)  # the probe went through: live again
    live = eng.snapshot(SECTION.id)
    await advance(eng, 31)
    assert eng.snapshot(SECTION.id) == live and live.freshness.reason is None
    await eng.stop()

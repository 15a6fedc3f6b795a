"""Rate-limit pauses kept in the store: a restart, or another process on the same data
folder, sends nothing before a pause the server asked for ends, and never waits longer.

The simulator runs in process (ASGI) on the test's FakeClock, the store is a real SQLite
file, and each "process" is a Store connection of its own with a Gateway over it (wired as
zen-tui wires them: wiring.StorePauses). What reaches the server is recorded with the
virtual time it arrived at.
"""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import httpx
import pytest

from zen_tui.gateway import FakeClock, Gateway
from zen_tui.gateway.credentials import Credential, StaticCredentialProvider
from zen_tui.gateway.errors import RateLimited
from zen_tui.gateway.events import EventBus, QuotaUpdated
from zen_tui.gateway.pauses import STEP_KEPT
from zen_tui.simulator.app import build_app, create_world
from zen_tui.simulator.core.faults import FaultRule
from zen_tui.store import Store
from zen_tui.store.pauses import PAUSES_RECHECK
from zen_tui.sync import retention
from zen_tui.wiring import StorePauses

from .conftest import near, settings_for

ACCOUNT = "gh"
WAIT = 3600.0  # a call's token wait and budget: long enough to sit out any pause here


class Sim:
    """The simulator's GitHub on `clock`, noting (virtual time, status) of each request."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        world = create_world(seed=7, size=40, clock=clock.time)
        self.app = build_app(world, clock=clock.time)
        self.github = world.services["github"]
        self.base = "http://sim" + self.github.base_path
        self.log: list[tuple[float, int, float]] = []  # (arrived, status, its Retry-After)

    def limit(self, retry_after: float) -> None:
        """Every request answered 429: a secondary limit (GitHub's, remaining > 0) with
        Retry-After `retry_after` seconds, or none at all when it is 0."""
        rule = FaultRule(service="github", rate_limit_rate=1.0, retry_after=retry_after)
        self.app.state.faults.set_rules([rule])

    def clear(self) -> None:
        self.app.state.faults.clear()

    def transport(self) -> httpx.AsyncBaseTransport:
        sim = self

        class Recording(httpx.ASGITransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                response = await super().handle_async_request(request)
                after = float(response.headers.get("retry-after", 0))
                sim.log.append((sim.clock.time(), response.status_code, after))
                return response

        return Recording(app=self.app)

    def sent_at(self) -> list[float]:
        return [at for at, _, _ in self.log]


class Process:
    """One zen-tui process's part: its own connection to the store file and a gateway."""

    def __init__(
        self,
        sim: Sim,
        path: Path,
        clock: FakeClock,
        bus: EventBus | None = None,
        store: Store | None = None,
    ) -> None:
        self.own = store is None  # else another gateway's connection: one process
        self.store = store or Store.open(path, clock=clock.time)
        creds = StaticCredentialProvider({ACCOUNT: Credential(sim.github.token)})
        self.gateway = Gateway(
            account=ACCOUNT,
            service="github",
            base_url=sim.base,
            settings=settings_for("github", max_attempts=1),
            credentials=creds,
            bus=bus,
            clock=clock,
            transport=sim.transport(),
            pauses=StorePauses(self.store),
        )

    async def get(self) -> int:
        """GET /user, waiting out any pause; its status (429 as RateLimited's)."""
        try:
            response = await self.gateway.request("GET", "/user", deadline=WAIT, total_timeout=WAIT)
        except RateLimited as err:
            return err.status or 0
        return response.status

    def paused_until(self) -> float | None:
        return self.gateway.health().buckets["core"].paused_until

    async def stop(self) -> None:
        await self.gateway.aclose()
        if self.own:
            self.store.close()


@pytest.fixture
def sim(clock: FakeClock) -> Sim:
    return Sim(clock)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "zen-tui.db"


async def test_a_restart_sends_nothing_before_a_secondary_limit_ends(sim, path, clock):
    first = Process(sim, path, clock)
    sim.limit(0)  # no Retry-After, budget left: GitHub's docs ask for at least a minute
    met = clock.time()
    assert await first.get() == 429
    await first.stop()
    sim.clear()
    clock.advance(20)  # the restart takes a while; 40 s of the minute are left

    bus = EventBus()
    told: list[QuotaUpdated] = []
    bus.subscribe(lambda e: told.append(e) if isinstance(e, QuotaUpdated) else None)
    second = Process(sim, path, clock, bus)
    assert second.paused_until() == near(met + 60)
    assert [e.paused_until for e in told] == [near(met + 60)]  # the cards say so at the build
    assert await second.get() == 200
    assert sim.sent_at() == [met, near(met + 60)]  # resumed as the minute ended, not before
    assert second.store.rate_pauses(ACCOUNT) == []  # over, and a call went through: gone
    await second.stop()


async def test_the_doubling_of_secondary_limits_goes_on_after_a_restart(sim, path, clock):
    first = Process(sim, path, clock)
    sim.limit(0)
    assert await first.get() == 429  # 60 s
    assert await first.get() == 429  # waited the minute out; limited again: 120 s
    [row] = first.store.rate_pauses(ACCOUNT)
    assert (row.step, row.length) == (2, 120.0)
    await first.stop()

    second = Process(sim, path, clock)
    assert await second.get() == 429  # after the 120 s: the third in a row waits 240 s
    [row] = second.store.rate_pauses(ACCOUNT)
    assert (row.step, row.length) == (3, 240.0)
    assert second.paused_until() == near(row.until)
    assert "secondary limit naming no wait (3 in a row)" in row.reason
    gaps = [b - a for a, b in zip(sim.sent_at(), sim.sent_at()[1:], strict=False)]
    assert gaps == [near(60), near(120)]
    await second.stop()


@pytest.mark.parametrize("connections", ["one connection", "two connections"])
async def test_another_gateway_on_the_store_waits_for_a_pause_it_did_not_meet(
    sim, path, clock, connections
):
    limited = Process(sim, path, clock)
    shared = limited.store if connections == "one connection" else None
    other = Process(sim, path, clock, store=shared)
    assert await other.get() == 200  # running, its own pause state read
    sim.limit(30)
    met = clock.time()
    assert await limited.get() == 429
    sim.clear()
    if connections == "two connections":  # another process's commit: seen within the recheck
        clock.advance(PAUSES_RECHECK)
    assert await other.get() == 200
    assert sim.sent_at()[-1] == near(met + 30)  # it waited the other one's Retry-After out
    await other.stop()
    await limited.stop()


async def test_another_process_pause_holds_requests_from_a_recheck_after_it_on(sim, path, clock):
    """The store asks SQLite whether another connection wrote at most every PAUSES_RECHECK
    seconds (a query before every request was most of the gateway's own time per GET): a
    request within that of the other's 429 goes, as one already on the wire would have; the
    first one after it waits the pause out."""
    limited, other = Process(sim, path, clock), Process(sim, path, clock)
    assert await other.get() == 200  # asked the store just now
    sim.limit(30)
    met = clock.time()
    assert await limited.get() == 429
    sim.clear()
    clock.advance(PAUSES_RECHECK / 2)
    assert await other.get() == 200
    assert sim.sent_at()[-1] == near(met + PAUSES_RECHECK / 2)  # not asked again yet
    clock.advance(PAUSES_RECHECK / 2)
    assert await other.get() == 200
    assert sim.sent_at()[-1] == near(met + 30)  # asked: waited the other one's pause out
    await other.stop()
    await limited.stop()


async def test_an_ended_pause_is_ignored_and_pruned(sim, path, clock):
    first = Process(sim, path, clock)
    sim.limit(30)
    assert await first.get() == 429
    await first.stop()
    sim.clear()
    clock.advance(31)

    second = Process(sim, path, clock)
    assert second.paused_until() is None
    now = clock.time()
    assert await second.get() == 200
    assert sim.sent_at()[-1] == now  # at once
    await second.stop()

    # A row nobody's success removed (the process stopped first) goes with the prune.
    third = Process(sim, path, clock)
    sim.limit(30)
    assert await third.get() == 429
    end = third.store.rate_pauses(ACCOUNT)[0].until
    assert retention.prune(third.store, end + STEP_KEPT - 1)["rate_pauses"] == 0  # its step
    assert retention.prune(third.store, end + STEP_KEPT + 1)["rate_pauses"] == 1
    assert third.store.rate_pauses() == []
    await third.stop()


def _insert(path: Path, *rows: tuple[object, ...]) -> None:
    Store.open(path).close()  # the schema
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO rate_pauses (account, scope, service, until, recorded_at, reason, step)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


async def test_odd_stored_rows_are_ignored_with_a_clear_line_and_start_up_goes_on(
    sim, path, clock, caplog
):
    now = clock.time()
    _insert(
        path,
        (ACCOUNT, "core", "github", "soon", now, "x", 0),  # not a time
        (ACCOUNT, "search", "github", now + 10**9, now, "x", 0),  # 31 years
        (ACCOUNT, "graphql", "github", now - 5, now, "x", 0),  # ends before it began
        (ACCOUNT, "core:x", "slack", now + 60, now, "x", 0),  # another service's
        (ACCOUNT, "tier1", "github", now + 60, now, "x", -3),  # a negative step
    )
    with caplog.at_level("INFO"):
        process = Process(sim, path, clock)
        assert await process.get() == 200
    assert sim.sent_at() == [now]  # nothing held it
    assert "a rate-limit pause row is unreadable" in caplog.text
    for scope in ("search", "graphql", "core:x", "tier1"):
        assert f"a stored rate-limit pause of '{scope}' is ignored" in caplog.text
    assert "Traceback" not in caplog.text
    # Those whose times never end go at the next prune; the others an hour after their end.
    assert retention.prune(process.store, now)["rate_pauses"] == 3
    await process.stop()


async def test_a_clock_set_back_never_makes_a_pause_longer_than_asked(sim, path, clock):
    now = clock.time()
    # Met "an hour from now": the clock was set back an hour since. 60 s was asked for.
    _insert(path, (ACCOUNT, "core", "github", now + 3660, now + 3600, "HTTP 429 Retry-After", 0))
    process = Process(sim, path, clock)
    assert process.paused_until() == near(now + 60)
    assert await process.get() == 200
    assert sim.sent_at() == [near(now + 60)]
    await process.stop()


@pytest.mark.parametrize("seed", range(12))
async def test_random_pauses_restarts_and_expiries_keep_to_what_the_server_asked(
    sim, path, clock, seed
):
    """Two processes on one store, in a random order: requests, 429s with random
    Retry-Afters, the limit lifted, restarts of either, time passing. No request reaches the
    server before the latest end any 429 so far asked for, each goes as soon as that end has
    passed (no longer), and no gateway ever holds a pause past it. Requests come at least
    PAUSES_RECHECK apart: within it, another process's pause may not be seen yet (that
    window has its own test above)."""
    rng = random.Random(seed)
    procs = [Process(sim, path, clock), Process(sim, path, clock)]
    asked = float("-inf")  # the latest end any 429 so far asked for (virtual time)
    for _ in range(40):
        op = rng.choice(["get", "get", "get", "limit", "clear", "restart", "wait"])
        p = rng.randrange(2)
        if op == "get":
            clock.advance(PAUSES_RECHECK)
            start, seen = clock.time(), len(sim.log)
            await procs[p].get()
            [(arrived, status, after)] = sim.log[seen:]
            assert arrived == near(max(start, asked)), (seed, start, asked)
            if status == 429:
                asked = max(asked, arrived + after)
        elif op == "limit":
            sim.limit(rng.randint(1, 300))
        elif op == "clear":
            sim.clear()
        elif op == "restart":
            await procs[p].stop()
            clock.advance(rng.uniform(0, 120))
            procs[p] = Process(sim, path, clock)
        else:
            clock.advance(rng.uniform(0, 400))
        for proc in procs:
            until = proc.paused_until()
            assert until is None or until <= asked + 0.01, (seed, op)
    for proc in procs:
        await proc.stop()


async def test_a_graphql_limit_in_the_answers_body_is_said_so_not_as_http_200(path, clock):
    """GitHub's GraphQL says its points are spent in a 200's errors (RATE_LIMITED). The
    stored pause, which `zen-tui health` shows, said `HTTP 200 until the quota resets`."""
    world = create_world(seed=7, size=40, rate_scale=0.0002, clock=clock.time)  # 1 point/h
    sim = Sim(clock)
    sim.app = build_app(world, clock=clock.time)
    sim.github = world.services["github"]
    query = {"query": "{ rateLimit { cost remaining } }"}
    spender = Process(sim, path, clock)  # spends the hour's one point
    await spender.gateway.request("POST", "/graphql", json=query, scope="graphql")
    await spender.stop()
    process = Process(sim, path, clock)  # knows nothing of it: GitHub says so
    with pytest.raises(RateLimited):
        await process.gateway.request("POST", "/graphql", json=query, scope="graphql")
    [row] = process.store.rate_pauses(ACCOUNT)
    assert row.scope == "graphql"
    assert row.reason == "GraphQL RATE_LIMITED until the quota resets"
    await process.stop()

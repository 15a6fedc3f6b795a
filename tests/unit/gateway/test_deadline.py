"""Every logical call has a total time budget across attempts, backoff and rate-limit waits."""

from __future__ import annotations

import asyncio
import random
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from msgspec.structs import replace

from tests.helpers import socket_server
from zen_tui.gateway import (
    CircuitOpen,
    DeadlineExceeded,
    FakeClock,
    Gateway,
    Priority,
    RateLimited,
    SystemClock,
    Unavailable,
)
from zen_tui.gateway.credentials import Credential, StaticCredentialProvider
from zen_tui.gateway.deadline import Deadline, Watch
from zen_tui.gateway.events import EventBus, RequestDone
from zen_tui.gateway.settings import BreakerSettings, DeadlineSettings, TimeoutSettings
from zen_tui.sync.freshness import reason_for

from .conftest import near, settings_for

INTERACTIVE = Priority.INTERACTIVE


def hanging(clock: FakeClock, calls: list[float]):
    """A server that never answers: each attempt ends at httpx's read timeout, on the clock."""

    async def handler(request: httpx.Request) -> httpx.Response:
        calls.append(clock.monotonic())
        await clock.sleep(request.extensions["timeout"]["read"])  # what httpx would wait
        raise httpx.ReadTimeout("no answer", request=request)

    return handler


async def test_a_hanging_server_ends_an_interactive_call_at_its_deadline(
    make_gateway, clock, recorder
):
    calls: list[float] = []
    gw = make_gateway(handler=hanging(clock, calls))
    with pytest.raises(DeadlineExceeded) as info:
        await gw.request("GET", "/repos/o/r/pulls/1", priority=INTERACTIVE)
    [done] = recorder.of(RequestDone)
    assert done.latency == near(10)  # the default interactive budget, not 4 x 15 s + backoff
    assert calls == [0]
    err = info.value
    assert (err.budget, err.attempt, err.status, err.method) == (10, 1, None, "GET")
    assert str(err) == "github: gave up after 10s: no answer to attempt 1"
    assert done.error == str(err)


async def test_a_background_poll_gets_the_longer_budget_and_still_ends_at_it(
    make_gateway, clock, recorder
):
    calls: list[float] = []
    unbounded = make_gateway(handler=hanging(clock, calls))
    with pytest.raises(Unavailable) as before:
        await unbounded.request("GET", "/search/issues", total_timeout=1000)
    assert not isinstance(before.value, DeadlineExceeded)
    # What a call could take without a budget: 4 read timeouts and backoff 1 + 2 + 4.
    assert recorder.of(RequestDone)[-1].latency == near(4 * 15 + 7)

    calls.clear()
    gw = make_gateway(handler=hanging(clock, calls))
    with pytest.raises(DeadlineExceeded) as info:
        await gw.request("GET", "/search/issues")  # background by default
    assert recorder.of(RequestDone)[-1].latency == near(60)
    start = calls[0]
    assert [c - start for c in calls] == [0, 16, 33, 52]  # the 4th attempt is cut off at 60
    assert info.value.attempt == 4


async def test_a_retry_that_would_start_after_the_deadline_fails_at_once(
    router, make_gateway, clock, recorder
):
    route = router.get("/flaky").respond(503)
    gw = make_gateway(settings_for(initial_wait=2, multiplier=2, max_attempts=4))
    with pytest.raises(DeadlineExceeded) as info:
        await gw.request("GET", "/flaky", total_timeout=5)
    assert route.call_count == 2 and clock.sleeps == [2]  # the 4 s wait would end at 6 > 5
    assert recorder.of(RequestDone)[-1].latency == near(2)  # did not sit out the rest
    err = info.value
    assert (err.status, err.attempt, err.budget) == (503, 2, 5)
    assert "server error 503 on attempt 2, no time left to retry" in str(err)


async def test_a_server_requested_wait_past_the_deadline_fails_at_once_as_rate_limited(
    router, make_gateway, clock
):
    route = router.get("/limited").respond(429, headers={"Retry-After": "30"})
    gw = make_gateway()
    with pytest.raises(RateLimited) as info:  # 30 s is within max_server_wait, not within 10 s
        await gw.request("GET", "/limited", priority=INTERACTIVE)
    assert route.call_count == 1 and clock.sleeps == []
    assert info.value.retry_at == near(clock.time() + 30)


async def test_a_token_that_would_come_after_the_deadline_fails_at_once(
    router, make_gateway, clock
):
    router.get("/q").respond(200, json={})
    s = settings_for()
    gw = make_gateway(replace(s, rate_limit=replace(s.rate_limit, buckets={"core": (1, 20)})))
    await gw.request("GET", "/q")
    # The next token is 20 s away: within the 30 s queue deadline, past the 10 s budget.
    with pytest.raises(RateLimited) as info:
        await gw.request("GET", "/q", priority=INTERACTIVE)
    assert clock.sleeps == []
    assert info.value.retry_at == near(clock.time() + 20)
    await gw.request("GET", "/q")  # a poll (60 s budget) waits for it
    assert clock.sleeps == [near(20)]


async def test_a_caller_riding_on_a_slower_callers_request_leaves_at_its_own_deadline(
    make_gateway, clock
):
    calls: list[float] = []

    async def hangs_for_an_hour(request: httpx.Request) -> httpx.Response:
        calls.append(clock.monotonic())
        await clock.sleep(3600)
        return httpx.Response(200, json={})

    gw = make_gateway(handler=hangs_for_an_hour)
    ended: dict[str, float] = {}

    async def call(name: str, priority: Priority) -> BaseException | None:
        try:
            await gw.request("GET", "/pulls/1", cache_type="issue_details", priority=priority)
        except DeadlineExceeded as err:
            return err
        finally:
            ended[name] = clock.monotonic()
        return None

    poll = asyncio.create_task(call("poll", Priority.BACKGROUND))
    await asyncio.sleep(0)
    preview = await call("preview", INTERACTIVE)
    assert ended == {"preview": near(10)}
    assert "the same request, already under way" in str(preview)
    assert not poll.done()  # its leader's fetch goes on for the poll
    assert "no answer to attempt 1" in str(await poll)
    assert ended["poll"] == near(60) and len(calls) == 1


async def test_running_out_of_time_counts_as_a_failure_for_the_breaker(make_gateway, clock):
    calls: list[float] = []
    s = settings_for()
    settings = replace(s, breaker=BreakerSettings(failure_threshold=1, timeout=30))
    gw = make_gateway(settings, handler=hanging(clock, calls))
    with pytest.raises(DeadlineExceeded):
        await gw.request("GET", "/x", priority=INTERACTIVE)
    assert gw.breaker_state() == "open"
    with pytest.raises(CircuitOpen):
        await gw.request("GET", "/x", priority=INTERACTIVE)
    assert len(calls) == 1


async def test_a_section_read_that_runs_out_of_time_falls_back_to_its_stale_copy(
    make_gateway, clock
):
    answers = [httpx.Response(200, json={"v": 1})]

    async def handler(request: httpx.Request) -> httpx.Response:
        if answers:
            return answers.pop()
        await clock.sleep(request.extensions["timeout"]["read"])
        raise httpx.ReadTimeout("no answer", request=request)

    gw = make_gateway(handler=handler)
    await gw.request("GET", "/board", cache_type="listing")
    clock.advance(100)
    stale = await gw.request(
        "GET", "/board", cache_type="listing", allow_stale=True, priority=INTERACTIVE
    )
    assert (stale.cache, stale.json()) == ("stale", {"v": 1})
    assert isinstance(stale.stale_error, DeadlineExceeded)
    assert reason_for(stale.stale_error) == "gave up after 10s: no answer to attempt 1"


async def test_the_budgets_come_from_the_service_settings(make_gateway, clock, recorder):
    calls: list[float] = []
    settings = replace(settings_for(), deadline=DeadlineSettings(interactive=3, background=20))
    gw = make_gateway(settings, handler=hanging(clock, calls))
    for priority, budget in ((INTERACTIVE, 3), (Priority.BACKGROUND, 20)):
        with pytest.raises(DeadlineExceeded) as info:
            await gw.request("GET", "/x", priority=priority)
        assert info.value.budget == budget
        assert recorder.of(RequestDone)[-1].latency == near(budget)


async def test_a_cancel_from_outside_stays_a_cancel_not_a_deadline(make_gateway, clock):
    reached = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        reached.set()
        await clock.sleep(3600)
        return httpx.Response(200)

    gw = make_gateway(handler=handler)
    task = asyncio.create_task(gw.request("GET", "/x", priority=INTERACTIVE))
    await reached.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert gw.breaker_state() == "closed"


async def test_the_fake_clocks_watchdog_never_moves_time_by_itself() -> None:
    clock = FakeClock()
    start, fired = clock.monotonic(), []
    clock.call_later(5, lambda: fired.append(clock.monotonic() - start))
    await asyncio.sleep(0.01)  # real time passes (a socket, an event): virtual time does not
    assert (fired, clock.monotonic()) == ([], start)
    await clock.sleep(10)  # a wait on the clock carries time past it: it fires at 5
    assert fired == [5]


def test_the_reason_names_the_budget_and_the_last_failure() -> None:
    err = DeadlineExceeded(
        service="jira",
        account="jira:work",
        method="GET",
        endpoint="/rest/api/3/search/jql",
        status=503,
        attempt=3,
        budget=60,
        message="server error 503 on attempt 3, no time left to retry",
    )
    assert (
        reason_for(err) == "gave up after 60s: server error 503 on attempt 3, no time left to retry"
    )
    assert "attempt=3" in err.detail() and "status=503" in err.detail()


# ---- a real socket and the real clock: a slowloris server -----------------------------


@pytest.fixture
def dribbling_server() -> Iterator[str]:
    """Answers with headers, then one body byte every 50 ms, forever: no read ever times out."""

    def dribble(conn: socket.socket, stop: threading.Event) -> None:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")
        while not stop.wait(0.05):
            try:
                conn.sendall(b"x")
            except OSError:
                return

    with socket_server(dribble) as url:
        yield url


async def test_a_slowloris_server_is_cut_off_by_the_deadline_on_the_real_clock(
    dribbling_server: str,
) -> None:
    settings = replace(
        settings_for(),
        timeouts=replace(TimeoutSettings(), read=1.0),
        deadline=DeadlineSettings(interactive=0.5, background=0.5),
    )
    gw = Gateway(
        account="gh",
        service="github",
        base_url=dribbling_server,
        settings=settings,
        credentials=StaticCredentialProvider({"gh": Credential("t")}),
        bus=EventBus(),
        clock=SystemClock(),
    )
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        await gw.request("GET", "/drip", priority=INTERACTIVE)
    elapsed = time.monotonic() - started
    await gw.aclose()
    # The deadline ended it: not before 0.5 s, and not by the read timeout, which the drip
    # never lets fire (the bound is loose: a loaded machine can starve the loop a while).
    assert 0.45 <= elapsed < 30.0


async def test_a_watchdog_cancelled_after_it_came_due_does_not_fire() -> None:
    clock = FakeClock()
    fired: list[str] = []
    watchdog = clock.call_later(5, lambda: fired.append("late"))
    clock.advance(5)  # due: its callback is queued for the next loop turn...
    watchdog.cancel()  # ...and the call it guarded finished in this turn
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert fired == []


def test_remaining_counts_down_to_zero_and_allows_only_waits_that_leave_time() -> None:
    rng = random.Random(5)
    clock = FakeClock()
    for _ in range(500):
        budget = rng.uniform(0.1, 120)
        deadline = Deadline.start(clock, budget)
        elapsed = rng.choice([rng.uniform(0, budget), rng.uniform(budget, 2 * budget)])
        clock.advance(elapsed)
        left = deadline.remaining()
        assert left == pytest.approx(max(0.0, budget - elapsed), abs=1e-6)
        assert not deadline.allows(left)  # waiting all that is left leaves nothing
        wait = rng.uniform(0, budget)
        assert deadline.allows(wait) is (wait < left)


async def test_an_answer_that_swallowed_the_deadline_stands_and_leaves_no_cancel_behind() -> None:
    # A later asyncio.timeout in this task relies on its cancel count being back at zero.
    clock = FakeClock()

    async def stubborn() -> str:
        try:
            await clock.sleep(10)
        except asyncio.CancelledError:
            return "answered anyway"
        return "never cut off"

    def expired() -> BaseException:
        return AssertionError("the answer should have stood")

    assert await Deadline.start(clock, 5).bound(stubborn, expired) == "answered anyway"
    task = asyncio.current_task()
    assert task is not None and task.cancelling() == 0


async def test_one_timer_watches_every_call_and_each_ends_at_its_own_deadline() -> None:
    """The gateway's calls share one timer (Watch): whatever order they start and end in,
    each running call is cut off at its own deadline, none that ended is, and none late."""
    rng = random.Random(11)
    clock = FakeClock()
    watch = Watch(clock)

    async def call(budget: float, answer_after: float) -> float:
        """When it ended: cut off (positive) or answered (negative)."""
        try:
            await Deadline.start(clock, budget, watch).bound(
                lambda: clock.sleep(answer_after), TimeoutError
            )
        except TimeoutError:
            return clock.monotonic()
        return -clock.monotonic()

    for _round in range(20):
        calls, starts = [], []
        for _ in range(rng.randint(1, 8)):
            budget, answer_after = rng.uniform(0.5, 60), rng.uniform(0.1, 60)
            starts.append((clock.monotonic(), budget, answer_after))
            calls.append(asyncio.create_task(call(budget, answer_after)))
            await clock.sleep(rng.uniform(0, 5))
        ended = await asyncio.gather(*calls)
        for n, (start, budget, answer_after) in enumerate(starts):
            if answer_after < budget:
                assert ended[n] == pytest.approx(-(start + answer_after)), n
            else:
                assert ended[n] == pytest.approx(start + budget), n


async def test_calls_one_after_another_set_the_shared_timer_once(
    make_gateway, clock, monkeypatch
) -> None:
    """What makes it cheaper: a timer per attempt, set and cancelled at each answer, was a
    tenth of the gateway's own cost per request (benchmarks/gateway_overhead.py)."""
    set_for: list[float] = []
    call_later = clock.call_later

    def counting(seconds: float, callback):
        set_for.append(seconds)
        return call_later(seconds, callback)

    monkeypatch.setattr(clock, "call_later", counting)
    gw = make_gateway(handler=lambda request: httpx.Response(200, json={}))
    for _ in range(5):
        await gw.request("GET", "/repos/o/r/pulls", total_timeout=30.0)
        clock.advance(1.0)
    assert len(set_for) == 1, set_for
    # a shorter budget that starts while a longer one runs moves the timer to its own end
    hang = make_gateway(handler=hanging(clock, []), account="github:other")
    longer = asyncio.create_task(hang.request("GET", "/slow", total_timeout=60.0))
    await clock.sleep(1.0)
    started = clock.monotonic()
    with pytest.raises(DeadlineExceeded):
        await hang.request("GET", "/slow", total_timeout=2.0)
    assert clock.monotonic() - started == pytest.approx(2.0)
    with pytest.raises(DeadlineExceeded):
        await longer
    assert clock.monotonic() - started == pytest.approx(59.0)


def test_the_shared_timer_is_set_again_on_a_new_event_loop() -> None:
    """A gateway used by one asyncio.run, then another (a CLI command's, a test's): the timer
    the first loop held never rings once that loop is gone, so the second sets its own."""
    clock = SystemClock()
    watch = Watch(clock)

    async def bounded(budget: float, answer_after: float) -> str:
        async def answer() -> str:
            await asyncio.sleep(answer_after)
            return "answered"

        try:
            return await Deadline.start(clock, budget, watch).bound(answer, TimeoutError)
        except TimeoutError:
            return "cut off"

    assert asyncio.run(bounded(0.05, 0)) == "answered"  # its timer, due in 50 ms, is left
    started = time.monotonic()
    assert asyncio.run(bounded(0.2, 10)) == "cut off"
    assert time.monotonic() - started < 5  # at its own deadline (loose: a loaded machine)

import asyncio
import itertools

from zen_tui.gateway.clock import FakeClock
from zen_tui.gateway.events import EventBus
from zen_tui.models import SectionInfo
from zen_tui.sync.backend import PollerChanged
from zen_tui.sync.interval import IntervalPolicy
from zen_tui.sync.poller import Poller, PollOutcome

SECTION = SectionInfo(id="prs:0:gh", pane="prs", title="Review", account="gh", service="github")
POLICY = IntervalPolicy(base=60, minimum=10, maximum=600, backoff=1.5, focus_factor=0.5)


def make(outcomes=None):
    bus, clock = EventBus(), FakeClock()
    changes: list[PollerChanged] = []
    bus.subscribe(lambda e: changes.append(e) if isinstance(e, PollerChanged) else None)
    calls: list[float] = []

    async def poll(section, interactive):
        calls.append(clock.time())
        return (outcomes or {}).get(len(calls), PollOutcome(changed=False))

    return Poller(SECTION, poll, bus, POLICY, clock), clock, calls, changes


async def run_until(poller, calls, n):
    task = asyncio.create_task(poller.run())
    for _ in range(10_000):
        if len(calls) >= n:
            break
        await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_backs_off_when_nothing_changes_and_obeys_x_poll_interval():
    poller, _clock, calls, changes = make({3: PollOutcome(changed=True, poll_interval=300)})
    await run_until(poller, calls, 5)
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    assert gaps[:4] == [60, 90, 300, 90]  # base, x1.5, X-Poll-Interval floor, back to base*1.5
    assert [c.interval for c in changes][:3] == [60, 90, 300]


async def test_polls_never_overlap():
    bus, clock = EventBus(), FakeClock()
    running, peak, release = 0, 0, asyncio.Event()

    async def slow(section, interactive):
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await release.wait()
        running -= 1
        return PollOutcome(changed=True)

    poller = Poller(SECTION, slow, bus, POLICY, clock)
    tasks = [asyncio.create_task(poller.poll_now()) for _ in range(3)]
    await asyncio.sleep(0.01)
    release.set()
    await asyncio.gather(*tasks)
    # never two at once; the two callers that came while a poll ran share one follow-up poll
    assert peak == 1 and poller.polls == 2


async def test_a_refresh_during_a_running_poll_gets_a_poll_that_began_after_it():
    bus, clock = EventBus(), FakeClock()
    started: list[int] = []
    release = asyncio.Event()

    async def slow(section, interactive):
        started.append(len(started) + 1)
        if len(started) == 1:
            await release.wait()  # the first poll runs across the refresh request
        return PollOutcome(changed=True)

    poller = Poller(SECTION, slow, bus, POLICY, clock)
    first = asyncio.create_task(poller.poll_now(interactive=False))
    await asyncio.sleep(0.01)
    refresh = asyncio.create_task(poller.poll_now())  # e.g. the user pressed R mid-poll
    await asyncio.sleep(0.01)
    release.set()
    await asyncio.gather(first, refresh)
    assert started == [1, 2]  # the refresh was answered by a poll that began after it


async def test_pause_stops_polling_and_resume_restarts():
    poller, clock, calls, changes = make()
    task = asyncio.create_task(poller.run())
    for _ in range(50):
        await asyncio.sleep(0)
    poller.set_paused(True)
    before = len(calls)
    for _ in range(200):
        clock.advance(1000)
        await asyncio.sleep(0)
    assert len(calls) == before and changes[-1].paused and changes[-1].next_poll_at is None
    poller.set_paused(False)
    for _ in range(50):
        await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert len(calls) > before


async def test_focus_halves_the_wait_without_touching_backoff():
    poller, clock, _calls, changes = make()
    await poller.poll_now()
    assert poller.wait_for == 60 and poller.next_poll_at == clock.time() + 60
    poller.set_focused(True)
    assert poller.wait_for == 30 and poller.plain == 60
    assert poller.next_poll_at == clock.time() + 30 and changes[-1].interval == 30


async def test_poll_errors_do_not_kill_the_poller():
    bus, clock = EventBus(), FakeClock()

    async def broken(section, interactive):
        raise RuntimeError("bug")

    poller = Poller(SECTION, broken, bus, POLICY, clock)
    await poller.poll_now()
    assert poller.polls == 1 and poller.wait_for == 60


# ---- the supervisor: nothing stops polling behind the user's back ----------------------


class Crash(BaseException):
    """A bug escaping a poll the way a stray cancellation did: past `except Exception`."""


def unchanged(n: int) -> PollOutcome:
    return PollOutcome(changed=False)


def supervised(answer=unchanged):
    """A supervisor of one poller whose n-th poll (from 1) returns or raises what `answer(n)`
    does: (supervisor, clock, the (time, why) its section was told, each poll's time)."""
    from zen_tui.sync.poller import PollerSupervisor

    bus, clock = EventBus(), FakeClock()
    downs: list[tuple[float, str]] = []
    calls: list[float] = []

    async def poll(section, interactive):
        calls.append(clock.time())
        return answer(len(calls))

    poller = Poller(SECTION, poll, bus, POLICY, clock)
    supervisor = PollerSupervisor([poller], clock, lambda s, why: downs.append((clock.time(), why)))
    return supervisor, clock, downs, calls


async def _until(condition, turns: int = 50_000) -> None:
    for _ in range(turns):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never held")


async def test_a_killed_poller_task_is_restarted_and_its_section_told():
    supervisor, clock, downs, calls = supervised()
    supervisor.start()
    await _until(lambda: len(calls) == 1)
    killed_at = clock.time()
    supervisor.tasks[SECTION.id].cancel()  # not a shutdown: nobody called stop()
    await _until(lambda: len(calls) == 2)
    assert downs == [(killed_at, "polling stopped (cancelled); restarting in 1s")]
    assert calls[1] == killed_at + 1 and supervisor.restarts == 1
    await _until(lambda: len(calls) == 3)  # and polls on, its backoff kept: 60 s, then x1.5
    assert calls[2] - calls[1] == 90
    await supervisor.stop()


async def test_a_crash_loop_backs_off_and_a_good_poll_resets_it():
    def answer(n: int) -> PollOutcome:
        if n <= 8 or n == 10:
            raise Crash("boom")
        return PollOutcome(changed=False)

    supervisor, _clock, downs, calls = supervised(answer)
    supervisor.start()
    await _until(lambda: len(calls) == 11)
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    assert gaps == [1, 2, 4, 8, 16, 32, 60, 60, 60, 1]  # doubling to the cap; reset by a poll
    assert downs[0][1] == "polling stopped (Crash); restarting in 1s"
    await supervisor.stop()


async def test_a_stray_cancellation_from_inside_a_poll_is_a_failed_poll_not_the_end():
    def answer(n: int) -> PollOutcome:
        if n == 1:
            raise asyncio.CancelledError  # what a cancelled shared read used to raise here
        return PollOutcome(changed=True)

    supervisor, _clock, downs, calls = supervised(answer)
    supervisor.start()
    await _until(lambda: len(calls) == 2)
    assert downs == [] and supervisor.restarts == 0  # the same task went on
    assert calls[1] - calls[0] == 60
    await supervisor.stop()


async def test_stop_ends_every_poller_for_good():
    supervisor, clock, downs, calls = supervised()
    supervisor.start()
    await _until(lambda: len(calls) == 1)
    task = supervisor.tasks[SECTION.id]
    await supervisor.stop()
    assert task.cancelled() and supervisor.tasks == {}
    await clock.sleep(3600)
    assert (len(calls), downs, supervisor.restarts) == (1, [], 0)


async def test_stop_ends_a_poller_whatever_loop_turn_it_comes_in():
    """Found by the chaos run: stop() at the turn where a poller's wait was winding down its
    timer and waker tasks was swallowed there, so that poller polled on and stop() (and
    engine.stop()) waited for it forever. Every turn of two whole poll cycles is tried."""
    lost = []
    for turn in range(80):  # one cycle (poll, then a 60 s wait on the fake clock) is ~27 turns
        supervisor, _clock, _downs, _calls = supervised()
        supervisor.start()
        task = supervisor.tasks[SECTION.id]
        for _ in range(turn):
            await asyncio.sleep(0)
        stopping = asyncio.create_task(supervisor.stop())
        for _ in range(200):
            await asyncio.sleep(0)
        if not stopping.done():
            lost.append(turn)
            task.cancel()  # again, so this test itself ends on the old code
            await stopping
        assert task.cancelled()
    assert lost == []


async def test_a_partial_answer_is_asked_again_soon_doubling_while_it_stays_partial():
    """Polls 2-4 are partial (a search that timed out): the next poll comes at the minimum,
    then twice and four times that; a whole answer resumes the backoff where it was."""
    partial = PollOutcome(changed=False, soon=True)
    poller, _clock, calls, _ = make({2: partial, 3: partial, 4: partial})
    await run_until(poller, calls, 6)
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    assert gaps == [60, 10, 20, 40, 90]  # base; 10, 20, 40 s; then base x1.5 (not reset)


async def test_a_partial_answer_never_polls_sooner_than_x_poll_interval():
    poller, _clock, calls, _ = make({2: PollOutcome(changed=False, poll_interval=45, soon=True)})
    await run_until(poller, calls, 3)
    assert [b - a for a, b in itertools.pairwise(calls)] == [60, 45]


async def test_a_week_of_partial_answers_keeps_polling_at_the_plain_interval():
    """A search that stays incomplete for 1,100 polls in a row (days at the plain interval):
    each retry waits the plain interval at most, and the doubling never overflows a float
    (2 ** 1100 did: the poller raised OverflowError at each poll from then on)."""
    clock, calls = FakeClock(), []

    async def partial(section, interactive):
        calls.append(clock.time())
        return PollOutcome(changed=False, soon=True)

    policy = IntervalPolicy(minimum=10.0, maximum=600.0)  # floats, as the config's durations
    poller = Poller(SECTION, partial, EventBus(), policy, clock)
    task = asyncio.create_task(poller.run())
    await _until(lambda: len(calls) >= 1_100 or task.done(), turns=200_000)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    assert len(gaps) >= 1_099 and max(gaps) <= policy.maximum


async def test_a_refresh_queued_behind_a_poll_whose_caller_gave_up_gets_its_own_poll():
    """Two callers queue behind a running poll; the first one's poll begins, then its caller
    gives up (a cancelled worker): that poll read nothing, so the refresh behind it polls
    instead of returning with nothing new (found by test_poller_interleavings.py)."""
    bus, clock = EventBus(), FakeClock()
    answered: list[int] = []
    gates: list[asyncio.Event] = []

    async def poll(section, interactive):
        gates.append(asyncio.Event())
        await gates[-1].wait()
        answered.append(len(gates))
        return PollOutcome(changed=False)

    async def turns():
        for _ in range(10):
            await asyncio.sleep(0)

    poller = Poller(SECTION, poll, bus, POLICY, clock)
    running = asyncio.create_task(poller.poll_now())
    await turns()
    given_up = asyncio.create_task(poller.poll_now())
    refresh = asyncio.create_task(poller.poll_now())  # e.g. the user pressed R
    await turns()
    gates[0].set()  # the running poll ends; the first queued caller's poll begins
    await turns()
    given_up.cancel()
    await turns()
    assert not refresh.done()  # it polls: a poll of its own has begun
    gates[-1].set()
    await asyncio.gather(running, refresh)
    assert answered == [1, 3]


async def test_a_refresh_that_brings_the_next_poll_forward_wakes_the_loop():
    """The loop's poll said X-Poll-Interval 300; a refresh's poll, without it, set the next
    poll 60 s on. The loop slept on to 300 s (found by test_poller_interleavings.py)."""
    bus, clock = EventBus(), FakeClock()
    calls: list[float] = []

    async def poll(section, interactive):
        calls.append(clock.time())
        return PollOutcome(changed=True, poll_interval=300 if len(calls) == 1 else None)

    poller = Poller(SECTION, poll, bus, POLICY, clock)
    with clock.holding():  # time moves only when the test moves it
        task = asyncio.create_task(poller.run())
        for _ in range(40):
            await asyncio.sleep(0)
        await poller.poll_now()  # at 0: the next poll is due at 60
        clock.advance(60)
        for _ in range(40):
            await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    start = calls[0]
    assert [c - start for c in calls] == [0, 0, 60]

"""A login made in one running dashboard (its login screen) reaches another running zen-tui:
two engines, each on its own thread and event loop with its own SQLite connection to one
store, one keyring file shared by both (tests/unit/auth/file_keyring.py), the simulator over
real sockets. The first re-logs in as the same user with a new token: the second one sets
the account up again, once, and sends the new token; with no change nobody reconnects.
Then seeded random logins, logouts and refreshes by either engine or a terminal, with the
checks at random moments: no engine ever goes back to an older login, each ends on the last."""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Awaitable, Callable, Iterator, Mapping
from pathlib import Path

import pytest

from tests.helpers import eventually, seeds
from tests.integration.helpers import login_simulator
from tests.integration.test_login_takes_effect import Recorder, deferred, service_sim
from tests.integration.test_login_watch import write_config
from zen_tui.auth.keyring_store import KeyringCredentialStore, StoredCredential
from zen_tui.auth.login import LoginFlow
from zen_tui.auth.states import LoggedIn
from zen_tui.config import Settings, load_settings
from zen_tui.simulator.server import SimulatorServer
from zen_tui.sync.engine import SyncEngine

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    """A small world (its polls are the cost here) and a search budget 20 times GitHub's:
    the random rounds below poll after every step."""
    with login_simulator(rate_scale=20) as server:
        yield server


class Watched:
    """One engine wired as the dashboard wires it, its login check shortened; counts its
    login checks and the reconnects its watch makes (never those of its own logins)."""

    def __init__(self, settings: Settings) -> None:
        self.recorder = Recorder()
        self.engine: SyncEngine = deferred(settings, self.recorder)
        self.engine.login_check = 0.02
        self.checks = 0
        self.reconnects: list[str] = []
        check, reconnect = self.engine.take_changed_logins, self.engine.reconnect

        async def counted_check() -> list[str]:
            changed = await check()
            self.checks += 1
            return changed

        async def counted_reconnect(account: str, *, new_login: bool = False) -> None:
            if not new_login:  # the watch's (a login made here passes new_login)
                self.reconnects.append(account)
            await reconnect(account, new_login=new_login)

        self.engine.take_changed_logins = counted_check  # type: ignore[method-assign]
        self.engine.reconnect = counted_reconnect  # type: ignore[method-assign]

    def sent_since(self, mark: int) -> set[str]:
        return self.recorder.auth_since(mark, "")


class OnItsOwnThread:
    """Runs a Watched engine on its own thread and event loop, as another zen-tui would."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.ready = threading.Event()
        self.watched: Watched | None = None
        self.error: BaseException | None = None
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, name="other-zen-tui", daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # said by the test thread
            self.error = exc
            self.ready.set()

    async def _main(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        self.watched = Watched(self.settings)
        try:
            await self.watched.engine.start()
            self.ready.set()
            await self._stop.wait()
        finally:
            await self.watched.engine.stop()
            await self.watched.recorder.inner.aclose()

    async def refresh(self) -> None:
        """A refresh of every section, on the other engine's own loop."""
        assert self._loop is not None and self.watched is not None
        done = asyncio.run_coroutine_threadsafe(self.watched.engine.refresh(None), self._loop)
        await asyncio.wrap_future(done)

    def __enter__(self) -> OnItsOwnThread:
        self._thread.start()
        assert self.ready.wait(30), "the other engine did not start"
        if self.error is not None:
            raise self.error
        assert self.watched is not None
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)
        assert not self._thread.is_alive(), "the other engine did not stop"


async def both_polling(here: Watched, other: OnItsOwnThread, token: str) -> Watched:
    """Start and refresh `here`; wait for `other`'s engine to poll with `token`; that engine."""
    there = other.watched
    assert there is not None
    await here.engine.start()
    await here.engine.refresh(None)
    await eventually(lambda: f"Bearer {token}" in there.sent_since(0), "the other's poll")
    return there


async def checks_pass(*watched: Watched, count: int = 5) -> None:
    """Let each engine run `count` more login checks (an event of theirs, not a sleep)."""
    marks = [w.checks for w in watched]
    await eventually(
        lambda: all(w.checks >= m + count for w, m in zip(watched, marks, strict=True)),
        f"{count} login checks of each engine",
    )


async def test_a_same_user_relogin_in_one_dashboard_reaches_the_other_running_one(
    sim: SimulatorServer, tmp_path: Path, file_keyring: None
) -> None:
    settings = load_settings(write_config(sim, tmp_path), tmp_path)
    old, new = sim.account("github").token, "fake-token-me-again-in-a-dashboard"
    service_sim(sim, "github").extra_tokens.add(new)  # a second token of `me`
    await KeyringCredentialStore().save("gh", StoredCredential(old, login="me"))
    here = Watched(settings)
    try:
        with OnItsOwnThread(settings) as other:
            there = await both_polling(here, other, old)
            await checks_pass(here, there)
            assert here.reconnects == [] and there.reconnects == []  # nothing changed

            account = next(a for a in settings.accounts if a.name == "gh")
            flow = LoginFlow(account, "token", token=new)  # as the login screen runs it
            assert isinstance([s async for s in flow.run()][-1], LoggedIn)
            mark_here, mark_there = len(here.recorder.seen), len(there.recorder.seen)
            await here.engine.reconnect("gh", new_login=True)  # what the screen's app does
            await eventually(lambda: there.reconnects == ["gh"], "the other to take it")
            await eventually(
                lambda: f"Bearer {new}" in there.sent_since(mark_there), "its new token sent"
            )
            await here.engine.refresh(None)
            assert here.sent_since(mark_here) == {f"Bearer {new}"}
            await checks_pass(here, there)
            assert there.reconnects == ["gh"]  # once, never in a loop
            assert here.reconnects == []  # its own login: never taken again
            mark_there = len(there.recorder.seen)
            await other.refresh()
            assert there.sent_since(mark_there) == {f"Bearer {new}"}  # on main: the old one
    finally:
        await here.engine.stop()
        await here.recorder.inner.aclose()


OUT = -1  # what a watcher sends while logged out: nothing (its panes say "not logged in")


class World:
    """The logins made so far, in order: each login or logout is one more; a refresh keeps
    its login (a new token of it, saved over it in the keyring, no generation bump)."""

    def __init__(self, sim: SimulatorServer, settings: Settings) -> None:
        self.github = service_sim(sim, "github")
        self.settings = settings
        self.keyring = KeyringCredentialStore()
        self.login_of: dict[str, int] = {}  # token -> the login it belongs to
        self.logouts: list[int] = []
        self.last = 0
        self.stored: StoredCredential | None = None

    def token(self, user: str, login: int, refresh: int) -> str:
        token = f"fake-token-{user}-{login}-{refresh}"
        if user == "me":  # every token stays valid: a watcher that missed a login would
            self.github.extra_tokens.add(token)  # go on sending its old one, not fail
        else:
            self.github.other_users[token] = user
        self.login_of[token] = login
        return token

    async def log_in(self, user: str) -> None:
        self.last += 1
        self.stored = StoredCredential(self.token(user, self.last, 0), login=user)
        await self.keyring.save("gh", self.stored)

    async def log_out(self) -> bool:
        removed = await self.keyring.delete("gh")
        if removed:
            self.last += 1
            self.logouts.append(self.last)
            self.stored = None
        return removed

    async def refresh(self) -> None:
        if self.stored is None:
            return
        login, refresh = self.stored.token.rsplit("-", 2)[1:]
        token = self.token(str(self.stored.login), int(login), int(refresh) + 1)
        self.stored = StoredCredential(token, login=self.stored.login)
        await self.keyring.save("gh", self.stored)  # as the provider saves a rotated pair

    async def terminal(self, changed: bool) -> None:
        """`zen-tui auth login`/`logout` records it as the CLI does."""
        from zen_tui.commands.auth import _record_user

        await _record_user(self.settings, "gh", self.keyring, changed=changed)


async def on_login(w: Watched, world: World) -> int:
    """The login whose token the watcher sends now (a refresh of its section), or OUT."""
    return await steady_login(w.engine, w.recorder, world.login_of)


async def steady_login(
    engine: SyncEngine,
    recorder: Recorder,
    login_of: Mapping[str, int],
    counts: Callable[[str], bool] = lambda path: True,
) -> int:
    """The login (number) whose token the engine sends now, or OUT: what two refreshes in a
    row agree on, each sending one token or none. A poll the engine's own timer began before
    a login change may still finish on the replaced gateway (SyncEngine.reconnect: a call
    running on it finishes there), so one refresh's window can hold an earlier token too; an
    engine that kept sending an earlier login never settles, and fails here. `counts`: which
    request paths are the polls' (not an outbox send finishing on the old gateway)."""
    answers: list[set[int]] = []
    for _ in range(6):
        mark = len(recorder.seen)
        await engine.refresh(None)
        sent = {a.removeprefix("Bearer ") for path, a in recorder.seen[mark:] if a and counts(path)}
        answers.append({login_of[token] for token in sent})
        if len(answers) > 1 and answers[-1] == answers[-2] and len(answers[-1]) <= 1:
            return next(iter(answers[-1]), OUT)
    raise AssertionError(f"the logins it sends never settle: {answers}")


@pytest.mark.parametrize("seed", seeds(every_run=(2,), soak=(1, 3)))
async def test_two_watchers_end_on_the_last_login_and_never_go_back(
    seed: int, sim: SimulatorServer, tmp_path: Path, file_keyring: None
) -> None:
    """Seeded random logins (the same user again, or another), logouts and token refreshes,
    each made by one of two running engines (its login screen, its palette) or a terminal,
    while the engines' login checks run at random moments, sometimes at the same time as
    the change. Each engine sends, after each step, a login no older than the last it sent;
    after a last check both send the last stored one (nothing once logged out), and a
    second check finds nothing."""
    rng = random.Random(seed)
    settings = load_settings(write_config(sim, tmp_path), tmp_path)
    world = World(sim, settings)
    await world.log_in("me")
    await world.terminal(changed=True)
    watchers = [Watched(settings), Watched(settings)]
    for w in watchers:
        w.engine.login_check = 3600.0  # its checks: this test's own, at random moments
    sent = {id(w): 1 for w in watchers}
    try:
        for w in watchers:
            await w.engine.start()
            assert await on_login(w, world) == 1
        for _ in range(50):
            await asyncio.gather(
                change(rng, world, watchers), *checks(rng, [w.engine for w in watchers])
            )
            for w in watchers:
                now = await on_login(w, world)
                if now == OUT:  # logged out: only by a logout after what it sent before
                    assert world.logouts and world.logouts[-1] > sent[id(w)]
                else:
                    assert now >= sent[id(w)], "went back to an older login"
                sent[id(w)] = max(now, sent[id(w)])
            if rng.random() < 0.3:  # a quiet moment: one check brings each to the last
                await on_the_last_login(world, watchers)
        await on_the_last_login(world, watchers)
    finally:
        for w in watchers:
            await w.engine.stop()
            await w.recorder.inner.aclose()


async def on_the_last_login(world: World, watchers: list[Watched]) -> None:
    """With nothing changing meanwhile, one check brings each watcher to the last stored
    login (nothing sent once logged out), and a second finds nothing new."""
    last = OUT if world.stored is None else world.last
    for w in watchers:
        await w.engine.take_changed_logins()
        assert await w.engine.take_changed_logins() == []  # each change taken once
        assert await on_login(w, world) == last


async def change(rng: random.Random, world: World, watchers: list[Watched]) -> None:
    """One login, logout or refresh, by a watcher or a terminal, after a random few ticks."""
    for _ in range(rng.randrange(4)):
        await asyncio.sleep(0)
    kind = rng.choice(("login", "login", "logout", "refresh", "refresh"))
    by = rng.choice([None, *watchers])  # None: a terminal
    if kind == "refresh":
        await world.refresh()
        return
    if kind == "login":
        await world.log_in(rng.choice(("me", "me", "ada")))
        changed = True
    else:
        changed = await world.log_out()
    if by is None:
        await world.terminal(changed)
    else:
        await by.engine.reconnect("gh", new_login=changed)


def checks(
    rng: random.Random, engines: list[SyncEngine], chance: float = 0.6
) -> list[Awaitable[list[str]]]:
    """Each engine's login check, or not (1 - chance), after a random few ticks: beside the
    change."""

    async def later(engine: SyncEngine) -> list[str]:
        for _ in range(rng.randrange(6)):
            await asyncio.sleep(0)
        return await engine.take_changed_logins()

    return [later(e) for e in engines if rng.random() < chance]

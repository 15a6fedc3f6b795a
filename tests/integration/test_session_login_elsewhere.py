"""A login kept for this session only (no usable keyring: SessionOnlyStore) is this process's
alone. Two engines, each on its own thread and event loop with its own SQLite connection to
one store, one keyring file shared by both (tests/unit/auth/file_keyring.py), the simulator
over real sockets; each engine has its own session logins, as two processes have. One
dashboard logs in as `ada` for this session only while the other reads `me` from the keyring:
neither sets the other up again, check after check (on main they rebuilt each other at every
check), each keeps sending its own login, and a real keyring login still reaches the other."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from tests.helpers import eventually, seeds
from tests.integration.helpers import login_simulator
from tests.integration.test_login_takes_effect import service_sim
from tests.integration.test_login_watch import write_config
from tests.integration.test_relogin_elsewhere import (
    OnItsOwnThread,
    Watched,
    both_polling,
    checks_pass,
    steady_login,
)
from tests.integration.test_relogin_elsewhere import checks as relogin_checks
from zen_tui.auth.keyring_store import KeyringCredentialStore, SessionOnlyStore, StoredCredential
from zen_tui.auth.login import LoginFlow
from zen_tui.auth.provider import KeyringCredentialProvider
from zen_tui.auth.states import LoggedIn
from zen_tui.config import Settings, load_settings
from zen_tui.simulator.server import SimulatorServer
from zen_tui.wiring import LoginRequired

pytestmark = pytest.mark.timeout(120)
CHECKS = 10  # login checks of each engine after the session login


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    """A small world (its polls are the cost here) and a search budget 20 times GitHub's 30
    a minute: the interleavings below poll after every step (a rate-limited poll would send
    no token to compare)."""
    with login_simulator(rate_scale=20) as server:
        yield server


def with_session(settings: Settings, session: dict[str, StoredCredential]) -> Watched:
    """A Watched engine whose process keeps its session logins in `session` (one process's
    memory; the production default is the module's own, shared by the whole process)."""
    watched = Watched(settings)
    store = KeyringCredentialStore(session=session)
    provider = KeyringCredentialProvider(settings.accounts, store=store)
    watched.engine.wired.credentials = LoginRequired(settings.accounts, provider)
    return watched


@pytest.mark.usefixtures("file_keyring")
async def test_a_session_only_login_and_a_keyring_one_never_rebuild_each_other(
    sim: SimulatorServer, tmp_path: Path
) -> None:
    from zen_tui.commands.auth import _record_user

    settings = load_settings(write_config(sim, tmp_path), tmp_path)
    github = service_sim(sim, "github")
    me, ada, me_again = sim.account("github").token, "fake-token-ada-session", "fake-token-me-2"
    github.other_users[ada] = "ada"
    github.extra_tokens.add(me_again)
    keyring = KeyringCredentialStore(session={})  # a terminal's: no session logins
    await keyring.save("gh", StoredCredential(me, login="me"))
    session: dict[str, StoredCredential] = {}
    here = with_session(settings, session)
    try:
        with OnItsOwnThread(settings) as other:
            there = await both_polling(here, other, me)

            account = next(a for a in settings.accounts if a.name == "gh")
            flow = LoginFlow(account, "token", token=ada)  # the login screen's "session" choice
            flow.store = SessionOnlyStore(session=session)
            assert isinstance([s async for s in flow.run()][-1], LoggedIn)
            mark_here = len(here.recorder.seen)
            await here.engine.reconnect("gh", new_login=True)  # what the screen's app does
            await checks_pass(here, there, count=CHECKS)
            rebuilds = len(here.reconnects) + len(there.reconnects)
            assert rebuilds == 0, f"{rebuilds} rebuilds over {CHECKS} login checks each"
            await here.engine.refresh(None)
            assert here.sent_since(mark_here) == {f"Bearer {ada}"}  # its session login wins
            mark_there = len(there.recorder.seen)
            await other.refresh()
            assert there.sent_since(mark_there) == {f"Bearer {me}"}  # the keyring's, still
            assert await keyring.load("gh") == StoredCredential(me, login="me")

            # A real keyring login (a terminal's `zen-tui auth login`) reaches the other one
            # once; the session login stays this dashboard's.
            await keyring.save("gh", StoredCredential(me_again, login="me"))
            await _record_user(settings, "gh", keyring, changed=True)
            await eventually(lambda: there.reconnects == ["gh"], "the other to take it")
            await checks_pass(here, there, count=CHECKS)
            assert there.reconnects == ["gh"] and here.reconnects == []
            mark_here, mark_there = len(here.recorder.seen), len(there.recorder.seen)
            await here.engine.refresh(None)
            await other.refresh()
            assert here.sent_since(mark_here) == {f"Bearer {ada}"}
            assert there.sent_since(mark_there) == {f"Bearer {me_again}"}
    finally:
        await here.engine.stop()
        await here.recorder.inner.aclose()


OUT = -1  # what a watcher sends while logged out: nothing


class Process:
    """One watcher and its own session logins; `protected`: its session login is in use
    (learnt by its build), so no keyring change may set it up again."""

    def __init__(self, settings: Settings) -> None:
        self.session: dict[str, StoredCredential] = {}
        self.watched = with_session(settings, self.session)
        self.engine = self.watched.engine
        self.session_login: int | None = None  # the number of its session login, if any
        self.protected = False
        self.owed = 0  # others' keyring changes made while it used the keyring's login
        self.watch_rebuilds = 0
        self.wrong: list[str] = []  # what its watch did that it must not
        self.floor = 0  # the newest keyring login (or logout) it has shown it knows
        self.own: int | None = None  # a login it made in the step just run
        rebuild = self.engine.reconnect

        async def checked(account: str, *, new_login: bool = False) -> None:
            if not new_login:  # its watch's (which logs what this raises: noted instead)
                self.watch_rebuilds += 1
                if self.protected:
                    self.wrong.append("its session login set up again by another's")
                elif self.watch_rebuilds > self.owed:
                    self.wrong.append("set up again with no real change")
            await rebuild(account, new_login=new_login)

        self.engine.reconnect = checked  # type: ignore[method-assign]

    def store(self) -> KeyringCredentialStore:
        """This process's stores, as its login screen and its logout use them."""
        return KeyringCredentialStore(session=self.session)


class Logins:
    """The logins made so far, numbered in order: each keyring login or logout, each
    session login. The keyring holds the last keyring one; a process, its session's."""

    def __init__(self, sim: SimulatorServer, settings: Settings) -> None:
        self.github = service_sim(sim, "github")
        self.settings = settings
        self.keyring = KeyringCredentialStore(session={})  # a terminal's
        self.login_of: dict[str, int] = {}
        self.last = 0
        self.in_keyring: int | None = None
        self.logouts: list[int] = []
        self.session_of: dict[int, Process] = {}  # a session login's number -> its process

    def credential(self, user: str) -> StoredCredential:
        self.last += 1
        token = f"fake-token-{user}-{self.last}"
        if user == "me":
            self.github.extra_tokens.add(token)
        else:
            self.github.other_users[token] = user
        self.login_of[token] = self.last
        return StoredCredential(token, login=user)

    def keyring_changed(self, by: Process | None, processes: list[Process]) -> None:
        """A keyring login or logout: every other process on the keyring's login owes it."""
        for p in processes:
            if p is not by and not p.protected:
                p.owed += 1

    def expected(self, p: Process) -> int:
        if p.session_login is not None:
            return p.session_login
        return OUT if self.in_keyring is None else self.in_keyring


async def sends(p: Process, logins: Logins) -> int:
    # The polls' only: a comment its outbox was sending may finish on the gateway a login
    # replaced (test_session_login_queue.py queues some).
    return await steady_login(
        p.engine, p.watched.recorder, logins.login_of, lambda path: not path.endswith("/comments")
    )


async def step(rng: random.Random, logins: Logins, processes: list[Process]) -> None:
    """One login or logout, by a terminal or one process (a session-only login when that
    process chose it, or already has one: a login then stays in its session)."""
    from zen_tui.commands.auth import _record_user

    for _ in range(rng.randrange(4)):
        await asyncio.sleep(0)
    by = rng.choice([None, *processes])
    login = rng.random() < 0.6
    user = rng.choice(("me", "me", "ada"))
    if by is None:  # `zen-tui auth login`/`logout` in a terminal
        if login:
            logins.keyring_changed(None, processes)
            stored = logins.credential(user)
            logins.in_keyring = logins.last
            await logins.keyring.save("gh", stored)
        else:
            if logins.in_keyring is None:
                return
            logins.keyring_changed(None, processes)
            logins.last += 1
            logins.logouts.append(logins.last)
            logins.in_keyring = None
            assert await logins.keyring.delete("gh")
        await _record_user(logins.settings, "gh", logins.keyring, changed=True)
        return
    session = by.session_login is not None or rng.random() < 0.5
    if login:
        stored = logins.credential(user)
        if session:  # into its session (the keyring is untouched)
            by.session_login = logins.last
            logins.session_of[logins.last] = by
            await SessionOnlyStore(session=by.session).save("gh", stored)
        else:
            logins.keyring_changed(by, processes)
            logins.in_keyring = logins.last
            await by.store().save("gh", stored)
        await by.engine.reconnect("gh", new_login=True)
        by.protected = by.session_login is not None
        by.own = logins.last  # its own login: used at once
        return
    if by.session_login is not None:  # its session login goes: the keyring's is used
        by.session_login, by.protected = None, False
    elif logins.in_keyring is not None:
        logins.keyring_changed(by, processes)
        logins.last += 1
        logins.logouts.append(logins.last)
        logins.in_keyring = None
    else:
        return  # nothing to log out of: the dashboard says so and builds nothing
    assert await by.store().delete("gh")
    await by.engine.reconnect("gh", new_login=True)


def checks(rng: random.Random, processes: list[Process]) -> list[Awaitable[list[str]]]:
    return relogin_checks(rng, [p.engine for p in processes], chance=0.7)


async def keyring_login_as_me(sim: SimulatorServer, tmp_path: Path) -> tuple[Settings, Logins]:
    """The settings, and the keyring holding a first login as `me` that a terminal recorded."""
    settings = load_settings(write_config(sim, tmp_path), tmp_path)
    logins = Logins(sim, settings)
    await first_keyring_login(settings, logins)
    return settings, logins


async def first_keyring_login(settings: Settings, logins: Logins) -> None:
    """The keyring holds a first login as `me`, recorded as a terminal's `auth login` does."""
    from zen_tui.commands.auth import _record_user

    first = logins.credential("me")
    logins.in_keyring = logins.last
    await logins.keyring.save("gh", first)
    await _record_user(settings, "gh", logins.keyring, changed=True)


@contextlib.asynccontextmanager
async def two_processes(
    settings: Settings, each_started: Callable[[Process], Awaitable[None]] | None = None
) -> AsyncIterator[list[Process]]:
    """Two processes on `settings`, started one after the other (`each_started(p)` before the
    next starts), their login checks left to the test; stopped, recorders closed, after."""
    processes = [Process(settings), Process(settings)]
    try:
        for p in processes:
            p.engine.login_check = 3600.0  # its checks: this test's own, at random moments
            await p.engine.start()
            if each_started is not None:
                await each_started(p)
        yield processes
    finally:
        for p in processes:
            await p.engine.stop()
            await p.watched.recorder.inner.aclose()


async def never_back(p: Process, logins: Logins) -> None:
    """A process on its session login sends exactly that one; else a keyring login no older
    than any it showed before (nothing only after a logout newer than that)."""
    now = await sends(p, logins)
    assert p.wrong == []
    if p.own is not None:
        own, p.own = p.own, None
        assert now >= own, "its own login not used at once"
    if p.session_login is not None:
        assert now == p.session_login, "its session login lost"
    elif now == OUT:
        assert logins.logouts and logins.logouts[-1] > p.floor - 1, "logged out of nothing"
        p.floor = max(p.floor, logins.logouts[-1])
    else:
        assert now >= p.floor, "went back to an older login"
        assert logins.session_of.get(now, p) is p, "another process's session login"
        p.floor = now


async def quiet(logins: Logins, processes: list[Process]) -> None:
    """Nothing changing: one check brings each process to the login it should see, and a
    second finds nothing."""
    for p in processes:
        await p.engine.take_changed_logins()
        assert await p.engine.take_changed_logins() == []
        assert await sends(p, logins) == logins.expected(p)


@pytest.mark.usefixtures("file_keyring")
@pytest.mark.parametrize("seed", seeds(every_run=(1,), soak=(2, 3, 4)))
async def test_session_and_keyring_logins_interleaved_rebuild_only_on_real_changes(
    seed: int, sim: SimulatorServer, tmp_path: Path
) -> None:
    """Seeded random keyring logins and logouts (a terminal's or a process's), session-only
    logins and their logouts, across two running processes whose login checks run at random
    moments, sometimes beside the change. No process is set up again by its watch without a
    keyring change by someone else while it used the keyring's login (never while its own
    session login is in use); each sends its session login, else a keyring login no older
    than it showed before; at a quiet moment and at the end each is on the login it should
    see (its session's, else the keyring's), and a second check finds nothing."""
    rng = random.Random(seed)
    settings, logins = await keyring_login_as_me(sim, tmp_path)
    async with two_processes(settings, lambda p: never_back(p, logins)) as processes:
        for _ in range(60):
            await asyncio.gather(step(rng, logins, processes), *checks(rng, processes))
            for p in processes:
                await never_back(p, logins)
            if rng.random() < 0.3:
                await quiet(logins, processes)
        await quiet(logins, processes)

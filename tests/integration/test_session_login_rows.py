"""What a login of one process alone fetched stays with that login. Two engines, each with
its own SQLite connection to one data folder, one keyring file shared by both
(tests/unit/auth/file_keyring.py), the simulator over real sockets; the section is
`is:pr author:@me`, which GitHub (and the simulator) answers with the caller's own pull
requests, so every row names the user whose login fetched it.

Before, the rows a session-only login polled were saved in the shared store under the
account, as the keyring login's: the other dashboard, `zen-tui list` and the next start
showed another user's pull requests as their own. A token exported in one terminal was
recorded as the account's login (the keyring's rows dropped, its own shown by every
terminal), and `zen-tui act` there stamped its action with the keyring's login."""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import github_config, seeds
from tests.integration.helpers import login_simulator
from tests.integration.test_login_takes_effect import service_sim
from tests.integration.test_login_watch import REPO
from tests.integration.test_relogin_elsewhere import OnItsOwnThread, both_polling
from tests.integration.test_session_login_elsewhere import (
    OUT,
    Logins,
    Process,
    checks,
    first_keyring_login,
    sends,
    step,
    two_processes,
    with_session,
)
from tests.integration.test_session_login_queue import user_of
from zen_tui.auth.keyring_store import KeyringCredentialStore, SessionOnlyStore, StoredCredential
from zen_tui.auth.login import LoginFlow
from zen_tui.auth.states import LoggedIn
from zen_tui.config import Settings, load_settings
from zen_tui.models import PullRequest
from zen_tui.paths import store_path
from zen_tui.simulator.server import SimulatorServer
from zen_tui.store import Store
from zen_tui.sync.engine import SyncEngine
from zen_tui.sync.session_rows import RowStores
from zen_tui.wiring import build_local

pytestmark = pytest.mark.timeout(180)
FILE_KEYRING = "tests.unit.auth.file_keyring.FileKeyring"
MINE = """
[[sections]]
pane = "prs"
account = "gh"
title = "My pull requests"
query = "is:pr author:@me"
"""


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    """A small world and a search budget 20 times GitHub's: every step below polls (as in
    test_session_login_elsewhere)."""
    with login_simulator(rate_scale=20) as server:
        yield server


def authored_prs(sim: SimulatorServer, user: str, count: int = 2) -> None:
    """`count` open pull requests by `user`: what their `author:@me` lists."""
    state = service_sim(sim, "github").state
    repo = state.items[0].repo
    for n in range(count):
        state.new_item(repo, user, f"{user}'s pull request {n}", "", is_pr=True)


def settings_for(sim: SimulatorServer, tmp_path: Path) -> Settings:
    return load_settings(github_config(sim, tmp_path, then=MINE), tmp_path)


def authors_shown(engine: SyncEngine) -> set[str]:
    """Whose pull requests the engine's section shows now."""
    snapshot = engine.snapshot(engine.sections[0].id)
    items = () if snapshot is None else snapshot.items
    return {i.author for i in items if isinstance(i, PullRequest)}


def authors_stored(settings: Settings, section_id: str) -> set[str]:
    """Whose pull requests the shared store holds for the section, read as `zen-tui list`
    and the next start read it: a connection of its own."""
    with Store.open(store_path(Path(settings.data_dir))) as store:
        items, _ = store.load_section(section_id)
    return {i.author for i in items if isinstance(i, PullRequest)}


async def session_login(
    settings: Settings, session: dict[str, StoredCredential], token: str
) -> None:
    """The login screen's "session" choice, as `token`."""
    account = next(a for a in settings.accounts if a.name == "gh")
    flow = LoginFlow(account, "token", token=token)
    flow.store = SessionOnlyStore(session=session)
    assert isinstance([s async for s in flow.run()][-1], LoggedIn)


@pytest.mark.usefixtures("file_keyring")
async def test_rows_a_session_login_fetched_are_shown_by_its_dashboard_alone(
    sim: SimulatorServer, tmp_path: Path
) -> None:
    settings = settings_for(sim, tmp_path)
    me, ada = sim.account("github").token, "fake-token-ada-session"
    service_sim(sim, "github").other_users[ada] = "ada"
    authored_prs(sim, "ada")
    await KeyringCredentialStore(session={}).save("gh", StoredCredential(me, login="me"))
    session: dict[str, StoredCredential] = {}
    here = with_session(settings, session)
    section = here.engine.sections[0].id
    try:
        with OnItsOwnThread(settings) as other:
            there = await both_polling(here, other, me)
            assert authors_shown(here.engine) == {"me"} == authors_shown(there.engine)

            await session_login(settings, session, ada)
            await here.engine.reconnect("gh", new_login=True)  # what the screen's app does
            await here.engine.refresh(None)
            assert authors_shown(here.engine) == {"ada"}  # its own login's, none of me's
            await other.refresh()
            assert authors_shown(there.engine) == {"me"}  # the keyring's, none of ada's
            assert authors_stored(settings, section) == {"me"}

            # Its session logout: the keyring's rows again, and ada's are forgotten.
            assert await KeyringCredentialStore(session=session).delete("gh")
            await here.engine.reconnect("gh", new_login=True)
            assert authors_shown(here.engine) <= {"me"}
            await here.engine.refresh(None)
            assert authors_shown(here.engine) == {"me"}
    finally:
        await here.engine.stop()
        await here.recorder.inner.aclose()
    # The next start paints from the store: the keyring login's rows only.
    assert authors_stored(settings, section) == {"me"}


class OneUserEach(Logins):
    """Every login (keyring or session) is a user of its own, with pull requests of its own:
    a row's author names the login that fetched it."""

    def __init__(self, sim: SimulatorServer, settings: Settings) -> None:
        super().__init__(sim, settings)
        self.sim = sim

    def credential(self, user: str) -> StoredCredential:
        self.last += 1
        name = f"u{self.last}"
        token = f"fake-token-{name}-{self.last}"
        self.github.other_users[token] = name
        self.login_of[token] = self.last
        authored_prs(self.sim, name)
        return StoredCredential(token, login=name)

    def keyring_users(self) -> set[str]:
        sessions = set(self.session_of)
        return {f"u{n}" for n in self.login_of.values() if n not in sessions}


async def shows_its_own(p: Process, logins: OneUserEach) -> None:
    """After a refresh: the process shows only pull requests of the login it sends as; one
    on a session login, that login's."""
    now = await sends(p, logins)
    shown = authors_shown(p.engine)
    if p.session_login is not None:
        assert shown <= {user_of(logins, p.session_login)}, "not its session login's rows"
    if now != OUT:
        assert shown <= {user_of(logins, now)}, f"{shown} shown as {user_of(logins, now)}"
    others = {f"u{n}" for n, q in logins.session_of.items() if q is not p}
    assert not shown & others, "another process's session login's rows"


@pytest.mark.usefixtures("file_keyring")
# Seed 4 in every run (12 keyring logins, 7 keyring logouts, 12 session logins, 5 session
# logouts: every kind of step, as each seed has); the rest with `make soak`.
@pytest.mark.parametrize("seed", seeds(every_run=(4,), soak=(1, 2, 3, 5, 6)))
async def test_interleaved_session_and_keyring_logins_never_show_anothers_rows(
    seed: int, sim: SimulatorServer, tmp_path: Path
) -> None:
    """Seeded random keyring logins and logouts (a terminal's or a process's), session-only
    logins and their logouts, login checks at random moments, across two running processes
    on one data folder. After every step: the shared store holds no row a session login
    fetched, and each process shows only rows of the login it sends as; at quiet moments and
    at the end, the store holds only the keyring login's rows, and a new process starting
    on the data folder paints none of a session login's."""
    rng = random.Random(seed)
    settings = settings_for(sim, tmp_path)
    logins = OneUserEach(sim, settings)
    await first_keyring_login(settings, logins)
    async with two_processes(settings) as processes:
        section = processes[0].engine.sections[0].id
        for _ in range(40):
            await asyncio.gather(step(rng, logins, processes), *checks(rng, processes))
            for p in processes:
                await shows_its_own(p, logins)
            stored = authors_stored(settings, section)
            assert stored <= logins.keyring_users(), f"a session login's rows stored: {stored}"
            if rng.random() < 0.3:
                await quiet_and_stored(logins, processes, settings, section)
        await quiet_and_stored(logins, processes, settings, section)
    fresh = SyncEngine(build_local(settings))  # the next start: its first paint
    try:
        painted = fresh.load_local()[section].items
        authors = {i.author for i in painted if isinstance(i, PullRequest)}
        keyring = set() if logins.in_keyring is None else {user_of(logins, logins.in_keyring)}
        assert authors <= keyring
    finally:
        await fresh.stop()


async def quiet_and_stored(
    logins: OneUserEach, processes: list[Process], settings: Settings, section: str
) -> None:
    """Nothing changing: each process takes what changed, then shows its expected login's
    rows only; the shared store, the keyring login's only (none once logged out)."""
    for p in processes:
        await p.engine.take_changed_logins()
    for p in processes:
        await shows_its_own(p, logins)
        expected = logins.expected(p)
        if expected != OUT:
            assert authors_shown(p.engine) <= {user_of(logins, expected)}
    keyring = set() if logins.in_keyring is None else {user_of(logins, logins.in_keyring)}
    assert authors_stored(settings, section) <= keyring


def test_row_stores_keep_one_session_user_per_account() -> None:
    """The session store forgets a session user's rows when another session user logs in,
    and when the account goes back to the shared store's login."""
    shared = Store.open(":memory:")
    rows = RowStores(shared)
    assert rows.of("gh") is shared
    assert rows.use_local("gh", "ada")
    own = rows.of("gh")
    assert own is not shared
    item = PullRequest("gh:o/r#1", "gh", "github", "o/r#1", "t", "u", "2026-12-01T00:00:00Z")
    own.save_section("prs:0:gh", [item], 1.0)
    assert not rows.use_local("gh", "ada")  # the same user: nothing changed
    assert own.load_section("prs:0:gh")[0] == [item]
    assert rows.use_local("gh", "bob")  # another session user: none of ada's
    assert rows.of("gh").load_section("prs:0:gh")[0] == []
    rows.of("gh").save_section("prs:0:gh", [item], 2.0)
    assert rows.use_shared("gh") and rows.of("gh") is shared
    assert rows.use_local("gh", "bob")  # back to bob's session: forgotten meanwhile
    assert rows.of("gh").load_section("prs:0:gh")[0] == []
    rows.close()
    shared.close()


def zen(config: Path, data: Path, *argv: str, env_token: str | None = None) -> str:
    """A `zen-tui` command in a terminal of its own (its own interpreter, the shared keyring
    file); `env_token`: exported there as the account's `token_env` (ZEN_T_GH)."""
    env = {k: v for k, v in os.environ.items() if k not in ("GH_TOKEN", "GITHUB_TOKEN")}
    env.pop("ZEN_T_GH", None)
    env |= {"PYTHONPATH": str(REPO), "PYTHON_KEYRING_BACKEND": FILE_KEYRING}
    if env_token is not None:
        env["ZEN_T_GH"] = env_token
    where = ["--config", str(config), "--data-dir", str(data)]
    done = subprocess.run(
        [sys.executable, "-m", "zen_tui", *where, *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode in (0, 3), done.stdout + done.stderr  # 3: act left it pending
    return done.stdout


def listed_authors(config: Path, data: Path, env_token: str | None = None) -> set[str]:
    document = json.loads(zen(config, data, "list", "prs", "--json", env_token=env_token))
    return {i["author"] for s in document["sections"] for i in s["items"]}


@pytest.mark.usefixtures("file_keyring")
async def test_a_terminals_environment_login_keeps_its_rows_and_its_actions_to_itself(
    sim: SimulatorServer, tmp_path: Path
) -> None:
    """One terminal exports ada's token (`token_env`), another uses the keyring's `me`, on
    one data folder, each running `zen-tui sync --once`, `list` and `act` as separate
    processes. Each terminal lists its own login's pull requests (the environment's kept
    for the next run in that environment), never the other's; a comment ada's terminal
    queued during an outage is not sent by the keyring's `sync` as `me`: it waits, and
    ada's next `sync` sends it as ada, once."""
    config = github_config(sim, tmp_path, token_env="ZEN_T_GH", then=MINE)
    data = tmp_path / "data"
    github = service_sim(sim, "github")
    me, ada = sim.account("github").token, "fake-token-ada-env"
    github.other_users[ada] = "ada"
    authored_prs(sim, "ada")
    await KeyringCredentialStore(session={}).save("gh", StoredCredential(me, login="me"))

    await asyncio.to_thread(zen, config, data, "sync", "--once", env_token=ada)
    await asyncio.to_thread(zen, config, data, "sync", "--once")
    assert await asyncio.to_thread(listed_authors, config, data) == {"me"}
    assert await asyncio.to_thread(listed_authors, config, data, ada) == {"ada"}

    ref = next(i.ref for i in github.state.items if i.is_pr and i.state == "open")
    sim.set_faults([{"service": "github", "outage": True}])
    queued = "queued in ada's terminal"
    await asyncio.to_thread(
        zen, config, data, "act", "comment", f"gh:{ref}", f"body={queued}", env_token=ada
    )
    sim.clear_faults()

    def commenters() -> list[str]:
        log = sim.counters()["mutation_log"]
        return [m["user"] for m in log if m["kind"] == "comment" and queued in m["body"]]

    await asyncio.to_thread(zen, config, data, "sync", "--once")  # the keyring's: as me
    assert commenters() == []
    outbox = json.loads(await asyncio.to_thread(zen, config, data, "outbox", "--json"))
    assert [e["state"] for e in outbox["entries"]] == ["pending"]  # waits for ada
    await asyncio.to_thread(zen, config, data, "sync", "--once", env_token=ada)
    assert commenters() == ["ada"]
    assert await asyncio.to_thread(listed_authors, config, data) == {"me"}

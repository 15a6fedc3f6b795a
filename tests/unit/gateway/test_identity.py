"""Cache keys name the login (gateway/identity.py): an HMAC of the credential under a key
made once per install, shared by every process over the data folder, never the token."""

from __future__ import annotations

import hashlib
import multiprocessing
import random
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from zen_tui.gateway import AuthExpired, FakeClock
from zen_tui.gateway.credentials import Credential, StaticCredentialProvider
from zen_tui.gateway.identity import Fingerprinter
from zen_tui.paths import cache_key_path, secure_data_dir

from .conftest import TOKEN, GatewayFactory
from .test_cache import DictPersistentCache


def install(folder: Path) -> Fingerprinter:
    """The fingerprinter a run with data folder `folder` uses (as wiring.connect makes it)."""
    return Fingerprinter.kept_at(cache_key_path(folder))


def _fingerprint_in(folder: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    queue.put(install(Path(folder)).of(Credential("t0ken")))


def test_the_install_key_is_made_once_private_and_read_by_later_runs(tmp_path: Path) -> None:
    first = install(tmp_path).of(Credential(TOKEN))
    again = install(tmp_path).of(Credential(TOKEN))
    mode = stat.S_IMODE(cache_key_path(tmp_path).stat().st_mode)
    assert first == again and mode == 0o600
    assert TOKEN not in first and hashlib.sha256(TOKEN.encode()).hexdigest()[:32] != first
    cache_key_path(tmp_path).chmod(0o644)  # a copy, a umask: tightened at the next start
    assert secure_data_dir(tmp_path) == []
    assert stat.S_IMODE(cache_key_path(tmp_path).stat().st_mode) == 0o600
    assert "key" in repr(install(tmp_path))
    assert cache_key_path(tmp_path).read_text() not in repr(install(tmp_path))


def test_fingerprints_differ_per_login_and_per_install(tmp_path: Path) -> None:
    here = install(tmp_path / "a")
    there = install(tmp_path / "b")
    assert here.of(Credential("x")) != here.of(Credential("y"))
    assert here.of(Credential("x", "ada")) != here.of(Credential("x", "bob"))
    assert here.of(Credential("x")) != there.of(Credential("x"))


def test_a_damaged_key_is_replaced(tmp_path: Path) -> None:
    cache_key_path(tmp_path).write_text("not hex")
    made = install(tmp_path)
    assert made.of(Credential("x")) == install(tmp_path).of(Credential("x"))


def test_a_folder_that_cannot_hold_the_key_falls_back_to_this_run(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    made = install(blocker / "data")  # a file where a folder should be
    assert made.of(Credential("x")) == install(blocker).of(Credential("x"))


@pytest.mark.parametrize("seed", range(3))
def test_processes_racing_to_make_the_key_all_get_the_same_one(tmp_path: Path, seed: int) -> None:
    """Real processes started together on an empty folder: one key wins, whole, for all."""
    ctx: Any = multiprocessing.get_context("spawn" if seed % 2 else "fork")
    queue = ctx.Queue()
    n = random.Random(seed).randint(3, 6)
    procs = [ctx.Process(target=_fingerprint_in, args=(str(tmp_path), queue)) for _ in range(n)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
    got = {queue.get(timeout=5) for _ in procs}
    assert len(got) == 1
    assert got == {install(tmp_path).of(Credential("t0ken"))}
    assert [p.name for p in tmp_path.iterdir()] == [
        cache_key_path(tmp_path).name
    ]  # no temp file left


async def test_another_login_on_a_shared_cache_misses_and_sends_no_etag(
    router: respx.Router, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    store = DictPersistentCache()
    route = router.get("/user")
    route.side_effect = [
        httpx.Response(200, json={"login": "me"}, headers={"ETag": '"me"'}),
        httpx.Response(200, json={"login": "ada"}, headers={"ETag": '"ada"'}),
    ]
    got = await make_gateway(persistent_cache=store).request("GET", "/user", cache_type="user_info")
    other = make_gateway(persistent_cache=store, credential=Credential("fake-token-ada"))
    clock.advance(10_000)  # stale: a revalidation would send the ETag it holds
    again = await other.request("GET", "/user", cache_type="user_info")
    assert (got.json(), again.json(), again.cache) == ({"login": "me"}, {"login": "ada"}, "miss")
    assert "if-none-match" not in route.calls[1].request.headers
    assert all(k.startswith(other._owner or "?") for k in store.entries)  # me's entry is gone
    assert not any(TOKEN in k or "fake-token-ada" in k for k in store.entries)


async def test_without_a_credential_nothing_cached_is_served_even_stale(
    router: respx.Router, make_gateway: GatewayFactory
) -> None:
    store = DictPersistentCache()
    router.get("/user").respond(200, json={"login": "me"})
    await make_gateway(persistent_cache=store).request("GET", "/user", cache_type="user_info")
    logged_out = make_gateway(persistent_cache=store, credentials=StaticCredentialProvider({}))
    with pytest.raises(AuthExpired):
        await logged_out.request("GET", "/user", cache_type="user_info", allow_stale=True)
    assert store.entries == {}  # a logout leaves no login's answers on the disk

"""Tokens from the OS keyring reach the gateway: accounts without a demo token sync against
the simulator over loopback with the token a login stored (an in-memory keyring backend)."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import keyring.backend
import keyring.backends.fail
import msgspec
import pytest

from tests.unit.auth.memory_keyring import MemoryKeyring, memory_keyring, use_keyring
from zen_tui.auth.keyring_store import SERVICE_NAME, StoredCredential
from zen_tui.config import Settings
from zen_tui.models import FreshnessState, Snapshot
from zen_tui.simulator.server import SimulatorServer

from .conftest import engine_for

__all__ = ["memory_keyring"]  # a fixture, used by name


@pytest.fixture
def broken_keyring() -> Iterator[None]:
    with use_keyring(keyring.backends.fail.Keyring()):
        yield


def without_demo_tokens(settings: Settings) -> Settings:
    accounts = [msgspec.structs.replace(a, token=None) for a in settings.accounts]
    return msgspec.structs.replace(settings, accounts=accounts)


async def sync_without_demo_tokens(settings: Settings) -> dict[str, Snapshot]:
    """One sync of every section, each token coming from token_env or the keyring."""
    engine = engine_for(without_demo_tokens(settings))
    try:
        snaps = await engine.sync_once()
        # whole, as the dashboard acts on them: its rows leave their URLs in the store
        return {
            sid: msgspec.structs.replace(snap, items=tuple(map(engine.full_item, snap.items)))
            for sid, snap in snaps.items()
        }
    finally:
        await engine.stop()


def store_logins(backend: MemoryKeyring, sim: SimulatorServer, *, cloud: str) -> None:
    for acc in sim.accounts:
        stored = StoredCredential(token=acc.token, method="oauth")
        if acc.service == "jira":  # a 3LO login: Bearer at /ex/jira/{cloudid}
            stored = msgspec.structs.replace(stored, base_url=f"{acc.base_url}/ex/jira/{cloud}")
        backend.set_password(SERVICE_NAME, acc.name, stored.to_json())


async def test_tokens_stored_in_the_keyring_sync_every_section(sim, settings, memory_keyring):
    cloud = sim.world.services["jira"].cloud_id
    store_logins(memory_keyring, sim, cloud=cloud)
    snaps = await sync_without_demo_tokens(settings)
    for section_id, snap in snaps.items():
        assert snap.freshness.state is FreshnessState.LIVE, (section_id, snap.freshness)
        assert snap.items, section_id
    jira = [i for s in snaps.values() for i in s.items if i.account == "jira"]
    assert jira and all("/ex/jira/" not in i.url for i in jira)  # browse links: the site


async def test_a_3lo_login_is_called_at_its_cloud_url(sim, settings, memory_keyring):
    store_logins(
        memory_keyring, sim, cloud="00000000-0000-0000-0000-000000000000"
    )  # not the site's
    snaps = await sync_without_demo_tokens(settings)
    jira = [s for sid, s in snaps.items() if "jira" in sid]
    others = [s for sid, s in snaps.items() if "jira" not in sid]
    assert jira and all("cloud id" in (s.freshness.reason or "") for s in jira), jira
    assert others and all(s.freshness.state is FreshnessState.LIVE for s in others)


async def test_no_token_anywhere_says_not_logged_in(settings, memory_keyring):
    snaps = await sync_without_demo_tokens(settings)
    for snap in snaps.values():
        assert snap.freshness.state is not FreshnessState.LIVE
        reason = snap.freshness.reason or ""
        assert reason.startswith("not logged in") and "expired" not in reason, reason


async def test_an_unusable_keyring_does_not_stop_start_up(settings, broken_keyring):
    snaps = await sync_without_demo_tokens(settings)
    for snap in snaps.values():
        reason = snap.freshness.reason or ""
        assert "cannot read the login" in reason and "keyring" in reason, reason

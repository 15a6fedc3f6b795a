"""GitHub device flow against the simulator over loopback; the test approves as the user."""

from __future__ import annotations

import httpx

from tests.unit.auth.browser_double import sim_account
from tests.unit.auth.memory_keyring import MemoryKeyring, memory_keyring
from zen_tui.auth.identity import whoami
from zen_tui.auth.keyring_store import KeyringCredentialStore
from zen_tui.auth.login import LoginFlow
from zen_tui.auth.provider import KeyringCredentialProvider
from zen_tui.auth.states import DeviceCodeShown, LoggedIn, LoginFailed, SlowedDown
from zen_tui.gateway.clock import FakeClock
from zen_tui.simulator.server import SimulatorServer

__all__ = ["memory_keyring"]


def device_codes(sim: SimulatorServer) -> dict:
    return sim.world.services["github"].oauth.codes


async def login(sim: SimulatorServer, clock: FakeClock, on_code) -> list[object]:
    flow = LoginFlow(sim_account(sim, "github"), "device", clock=clock, open_browser=None)
    states: list[object] = []
    async with httpx.AsyncClient() as user:
        async for state in flow.run():
            states.append(state)
            if isinstance(state, (DeviceCodeShown, SlowedDown)):
                await on_code(user, states[0])
    return states


def approve(decision: str = "approve"):
    async def act(user: httpx.AsyncClient, shown: DeviceCodeShown) -> None:
        page = await user.post(
            shown.verification_uri, data={"user_code": shown.user_code, "action": decision}
        )
        assert page.status_code == 200

    return act


async def test_approved_device_login_is_stored_and_works(
    sim: SimulatorServer, memory_keyring: MemoryKeyring
) -> None:
    clock = FakeClock()
    sim.world.clock = clock.time
    states = await login(sim, clock, approve())
    shown = states[0]
    assert isinstance(shown, DeviceCodeShown) and shown.verification_uri.startswith(sim.root_url)
    assert states[-1] == LoggedIn("github", "me")
    assert clock.sleeps == [5]
    stored = await KeyringCredentialStore().load("github")
    assert stored is not None and stored.method == "device" and stored.login == "me"
    assert stored.token.startswith("gho_")
    credential = await KeyringCredentialProvider([sim_account(sim, "github")]).get("github")
    assert credential is not None and credential.token == stored.token
    base = sim.account("github").base_url
    assert await whoami("github", "github", base, credential) == "me"


async def test_slow_down_from_the_server_lengthens_the_interval(
    sim: SimulatorServer, memory_keyring: MemoryKeyring
) -> None:
    clock = FakeClock()
    sim.world.clock = clock.time

    async def strict_then_approve(user: httpx.AsyncClient, shown: DeviceCodeShown) -> None:
        code = next(c for c in device_codes(sim).values() if c.user_code == shown.user_code)
        if code.interval == 5 and code.last_poll is None:
            code.interval = 6  # the server now wants >= 6 s between polls
        elif code.status == "pending":
            await approve()(user, shown)

    states = await login(sim, clock, strict_then_approve)
    assert SlowedDown(11) in states  # the server's new interval (6 + 5)
    assert clock.sleeps == [5, 5, 11]
    assert isinstance(states[-1], LoggedIn)


async def test_denied_and_expired_are_clear_and_store_nothing(
    sim: SimulatorServer, memory_keyring: MemoryKeyring
) -> None:
    clock = FakeClock()
    sim.world.clock = clock.time
    denied = await login(sim, clock, approve("deny"))
    assert isinstance(denied[-1], LoginFailed) and "denied" in denied[-1].reason

    async def let_it_expire(user: httpx.AsyncClient, shown: DeviceCodeShown) -> None:
        sim.world.clock = lambda: clock.time() + 901  # the server's code outlives nobody

    expired = await login(sim, clock, let_it_expire)
    assert isinstance(expired[-1], LoginFailed) and "expired" in expired[-1].reason
    assert memory_keyring.entries == {}

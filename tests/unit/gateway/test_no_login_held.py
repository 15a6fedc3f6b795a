"""A logged-out account's gateway asks its credential chain once, then keeps "no login"
(None, or the AuthExpired that says how to log in) for NO_LOGIN_HOLD seconds, not again at
every call; a login (a new gateway, as SyncEngine.reconnect builds) is used at once."""

from __future__ import annotations

import random
from collections.abc import Callable

import httpx
import pytest

from zen_tui.gateway import FakeClock
from zen_tui.gateway.credentials import Credential
from zen_tui.gateway.errors import AuthExpired
from zen_tui.gateway.gateway import NO_LOGIN_HOLD

from .conftest import TOKEN, GatewayFactory


class CountingChain:
    """A credential chain that counts its asks; no login until `log_in`; `why`: it says
    "not logged in" by raising AuthExpired, as the keyring's LoginRequired does."""

    def __init__(self, *, why: bool) -> None:
        self.why = why
        self.asked = 0
        self.credential: Credential | None = None

    async def get(self, account: str) -> Credential | None:
        self.asked += 1
        if self.credential is None and self.why:
            raise AuthExpired(service="github", account=account, message="not logged in: fix")
        return self.credential

    async def refresh(self, account: str) -> Credential | None:
        return None


def sent_to(seen: list[str]) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization", ""))
        return httpx.Response(200, json=[])

    return handler


@pytest.mark.parametrize("why", [True, False])
async def test_no_login_is_asked_once_per_hold_and_a_login_is_used_at_once(
    why: bool, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    chain = CountingChain(why=why)
    seen: list[str] = []
    gateway = make_gateway(credentials=chain, handler=sent_to(seen))
    for _ in range(10):
        with pytest.raises(AuthExpired, match="not logged in" if why else "no token"):
            await gateway.request("GET", "/user/repos", cache_type="listing")
        assert await gateway.login() is None
    assert chain.asked == 1 and seen == []  # on main: 30 (each call asked twice, each login() once)

    chain.credential = Credential(TOKEN)  # `gh auth login`: nobody tells this process
    clock.advance(NO_LOGIN_HOLD - 0.01)
    with pytest.raises(AuthExpired):
        await gateway.request("GET", "/user/repos")
    clock.advance(0.02)  # the hold is over: asked again, and the login is used
    await gateway.request("GET", "/user/repos")
    assert chain.asked == 2 and seen == [f"Bearer {TOKEN}"]

    chain.credential = None
    logged_out = make_gateway(credentials=chain, handler=sent_to(seen))
    with pytest.raises(AuthExpired):
        await logged_out.request("GET", "/user/repos")
    chain.credential = Credential(TOKEN)  # a zen-tui login: it builds a new gateway
    rebuilt = make_gateway(credentials=chain, handler=sent_to(seen))
    await rebuilt.request("GET", "/user/repos")  # at once, no hold waited for
    assert seen[-1] == f"Bearer {TOKEN}" and chain.asked == 4


async def test_the_kept_answer_is_a_fresh_error_each_time(
    make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    """Seeded random calls and clock steps: the chain is asked exactly when the hold has run
    out, and each raise is its own exception (a kept one would gather every traceback)."""
    rng = random.Random(6)
    chain = CountingChain(why=True)
    gateway = make_gateway(credentials=chain)
    raised: list[AuthExpired] = []
    expected, until = 0, -1.0
    for _ in range(200):
        clock.advance(rng.choice((0.0, 0.5, 3.0, 11.0)))
        if clock.monotonic() >= until:
            expected, until = expected + 1, clock.monotonic() + NO_LOGIN_HOLD
        with pytest.raises(AuthExpired) as caught:
            await gateway.request("GET", "/user/repos")
        raised.append(caught.value)
        assert chain.asked == expected
        assert "not logged in: fix" in str(caught.value)
    assert len({id(e) for e in raised}) == len(raised)

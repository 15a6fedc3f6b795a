"""A login only this process can see (Credential.local: a session-only login) is never
recorded as the account's login for other processes; any other login is, once."""

from __future__ import annotations

import pytest

from zen_tui.gateway import CachedEntry
from zen_tui.gateway.credentials import Credential

from .conftest import TOKEN, GatewayFactory


class Recording:
    """The persistent cache's side the gateway tells which user it is logged in as."""

    def __init__(self) -> None:
        self.logins: list[tuple[str, str | None]] = []

    def load(self, key: str) -> CachedEntry | None:
        return None

    def save(self, key: str, entry: CachedEntry) -> None:
        pass

    def keep_only(self, account: str, owner: str | None, *, local: bool = False) -> None:
        pass

    def login_is(self, account: str, login: str | None) -> None:
        self.logins.append((account, login))


@pytest.mark.parametrize("local", [False, True])
async def test_only_a_login_other_processes_can_see_is_recorded(
    make_gateway: GatewayFactory, local: bool
) -> None:
    recording = Recording()
    credential = Credential(TOKEN, who="ada", local=local)
    gw = make_gateway(credential=credential, persistent_cache=recording)
    user = await gw.login()
    assert user is not None and await gw.login() == user
    assert gw.local_login is local
    assert recording.logins == ([] if local else [("github:me", user)])

"""A GitHub App user token (ghu_) may not search issues and PRs together: the client learns
that from GitHub's 422 and then searches each kind on its own, without asking the refused way
again at every poll. That is the token's rule, not the account's: after a login with another
token the engine builds the account's client again, and it tries the one mixed search first.
On the simulator over real sockets, the keyring in memory."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from msgspec.structs import replace

from tests.integration.helpers import running
from tests.integration.test_login_takes_effect import deferred, service_sim, without_token
from tests.unit.auth.memory_keyring import MemoryKeyring, memory_keyring
from zen_tui.auth.keyring_store import KeyringCredentialStore, StoredCredential
from zen_tui.config import SectionConfig, Settings
from zen_tui.services.github_query import words
from zen_tui.simulator.server import SimulatorServer

__all__ = ["memory_keyring"]
pytestmark = pytest.mark.timeout(90)


class Searches(httpx.AsyncBaseTransport):
    """The real loopback transport, noting each GitHub search's `q` and status."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.seen: list[tuple[str, int]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path.endswith("/search/issues"):
            self.seen.append((request.url.params.get("q", ""), response.status_code))
        return response

    async def aclose(self) -> None:  # the test closes `inner`
        pass

    def since(self, mark: int) -> tuple[int, int]:
        """(mixed searches answered 200, searches refused 422) after `mark`."""
        rows = self.seen[mark:]
        mixed = sum(1 for q, status in rows if status == 200 and not one_kind(q))
        return mixed, sum(1 for _q, status in rows if status == 422)


def one_kind(q: str) -> bool:
    return bool({"is:issue", "is:pull-request", "is:pr"} & set(words(q.lower())))


def app_token(sim: SimulatorServer) -> str:
    github: Any = service_sim(sim, "github")
    github.device_flow_github_app = True
    try:
        return str(github.new_device_token())
    finally:
        github.device_flow_github_app = False


@pytest.mark.parametrize("second", ["oauth", "app"])
async def test_a_new_login_tries_the_mixed_search_again(
    sim: SimulatorServer, settings: Settings, memory_keyring: MemoryKeyring, second: str
) -> None:
    settings, account = without_token(settings, "github")
    everything = SectionConfig("inbox", "Mine", account.name, query="involves:@me is:open")
    settings = replace(settings, sections=[*settings.sections, everything])
    store = KeyringCredentialStore()
    await store.save(account.name, StoredCredential(app_token(sim), login="me"))
    searches = Searches()
    engine = deferred(settings, searches)
    async with running(engine, searches.inner):
        await engine.refresh(None)
        mixed, refused = searches.since(0)
        assert mixed == 0 and refused >= 1, "the app token's mixed search was refused"
        mark = len(searches.seen)
        await engine.refresh(None)
        assert searches.since(mark) == (0, 0), "per kind for that token, never asked again"

        github: Any = service_sim(sim, "github")
        token = github.new_device_token() if second == "oauth" else app_token(sim)
        await store.save(account.name, StoredCredential(token, login="me"))  # as a login does
        await engine.reconnect(account.name)
        mark = len(searches.seen)
        await engine.refresh(None)
        mixed, refused = searches.since(mark)
        if second == "oauth":  # allowed now: one search for a section of both kinds
            assert mixed >= 1 and refused == 0
        else:  # another app token: refused once again, then per kind
            assert mixed == 0 and refused >= 1

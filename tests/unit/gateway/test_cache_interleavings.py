"""The cache never gives one login another's answer, nor an answer older than one it gave.

Logins (two accounts; a re-login on one of them as someone else) read the same paths through
their gateways over one real SQLite store, in seeded random order: fresh hits, misses, stale
entries revalidated with a 304 or replaced by a 200, evictions from a small cache, the data
changing on the server, gateways restarted on the same file, concurrent reads sharing a
flight. Every answer a login gets is its own user's, and per path never older than one it
already got; and no token is in any file the store left.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import httpx
import pytest
from msgspec.structs import replace

from tests.helpers import seeds
from zen_tui.gateway import FakeClock
from zen_tui.gateway.credentials import Credential
from zen_tui.gateway.settings import CacheSettings, CacheTypeSettings
from zen_tui.store import Store
from zen_tui.wiring import StoreCache

from .conftest import settings_for

# (account, user): two accounts, and a second user logging in to the first one.
LOGINS = (("github:work", "ada"), ("github:home", "bob"), ("github:work", "cy"))
PATHS = ("/user", "/repos/a/b/pulls", "/notifications", "/search/issues")


class Server:
    """Each user sees their own data at each path, at a version the test moves on."""

    def __init__(self) -> None:
        self.version: dict[tuple[str, str], int] = {}

    async def handler(self, request: httpx.Request) -> httpx.Response:
        user = request.headers["authorization"].removeprefix("Bearer token-")
        path = request.url.path
        version = self.version.get((user, path), 0)
        etag = f'"{user}-{version}"'
        if request.headers.get("if-none-match") == etag:
            return httpx.Response(304, headers={"ETag": etag})
        body = {"user": user, "path": path, "version": version}
        return httpx.Response(200, json=body, headers={"ETag": etag})


async def _play(seed: int, make_gateway: Any, clock: FakeClock, db: Path) -> None:
    rng = random.Random(seed)
    server = Server()
    cache_type = CacheTypeSettings(ttl=30.0, maxsize=rng.choice((1, 2, 8)), policy="lru")
    settings = replace(
        settings_for("github", max_attempts=1), cache=CacheSettings(types={"t": cache_type})
    )
    seen: dict[tuple[str, str, str], int] = {}  # (account, user, path) -> newest version got
    steps: list[str] = []
    with Store.open(db) as store:
        disk = StoreCache(store)

        def gateway(account: str, user: str) -> Any:
            return make_gateway(
                settings,
                account=account,
                credential=Credential(f"token-{user}"),
                handler=server.handler,
                persistent_cache=disk,
            )

        gateways = {login: gateway(*login) for login in LOGINS}

        async def read(login: tuple[str, str], path: str) -> None:
            answer = await gateways[login].request("GET", path, cache_type="t")
            body, key = answer.json(), (*login, path)
            assert (body["user"], body["path"]) == (login[1], path), (
                f"{login} got {body} ({answer.cache})"
            )
            assert body["version"] >= seen.get(key, 0), (
                f"{login} got version {body['version']} of {path} after "
                f"{seen[key]} ({answer.cache})"
            )
            seen[key] = max(body["version"], seen.get(key, 0))

        for _ in range(100):
            login, path = rng.choice(LOGINS), rng.choice(PATHS)
            op = rng.choices(("read", "burst", "change", "wait", "restart"), (8, 2, 2, 2, 1))[0]
            steps.append(f"{op}:{login[1]}:{path}")
            try:
                if op == "read":
                    await read(login, path)
                elif op == "burst":  # several logins at once: flights, interleaved writes
                    picks = [(rng.choice(LOGINS), rng.choice(PATHS)) for _ in range(4)]
                    await asyncio.gather(*(read(who, where) for who, where in picks))
                elif op == "change":
                    key = (login[1], path)
                    server.version[key] = server.version.get(key, 0) + 1
                elif op == "wait":
                    clock.advance(rng.choice((5.0, 31.0)))
                else:  # the process starts again: a new gateway on the same file
                    gateways[login] = gateway(*login)
            except AssertionError as error:
                raise AssertionError(
                    f"seed {seed}, step {len(steps)}: {error}; last steps: {' '.join(steps[-10:])}"
                ) from error
    files = [p for p in db.parent.iterdir() if p.is_file()]  # the store, its WAL, the key
    for file in files:
        assert b"token-" not in file.read_bytes(), f"seed {seed}: a token in {file.name}"


@pytest.mark.parametrize("seed", seeds(every_run=range(6), soak=range(6, 200)))
async def test_a_login_gets_only_its_own_answers_never_older(seed, make_gateway, clock, tmp_path):
    await _play(seed, make_gateway, clock, tmp_path / "zen-tui.db")

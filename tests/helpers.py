"""Small helpers shared by test folders (no fixtures: those live in each folder's conftest)."""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import msgspec
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

import zen_tui
from zen_tui.gateway.clock import SystemClock
from zen_tui.gateway.events import BreakerChanged
from zen_tui.gateway.settings import LISTING
from zen_tui.ui.health_model import HealthModel

if TYPE_CHECKING:
    from zen_tui.config import Settings
    from zen_tui.simulator.core.world import ServiceSim
    from zen_tui.simulator.server import SimulatorServer


def listing_ttl(settings: Settings, ttl: float) -> Settings:
    """`settings` with every service's listing cache (a poll's pages) kept `ttl` seconds: an
    hour answers every poll of a test from the cache after the first, 0 revalidates each."""
    gateway = {}
    for service, gs in settings.gateway.items():
        kept = msgspec.structs.replace(gs.cache.types[LISTING], ttl=ttl)
        types = gs.cache.types | {LISTING: kept}
        cache = msgspec.structs.replace(gs.cache, types=types)
        gateway[service] = msgspec.structs.replace(gs, cache=cache)
    return msgspec.structs.replace(settings, gateway=gateway)


def seeds(every_run: Iterable[int], soak: Iterable[int]) -> list[object]:
    """The seeds of a randomised test: `every_run` in each suite, `soak` only with `make soak`
    (pytest -m slow). For tests whose seeds cost 10-40 s each on a loaded 2-core machine: CI
    runs the whole suite in 10 minutes, the soak runs every seed."""
    runs = [pytest.param(seed) for seed in every_run]
    return runs + [pytest.param(seed, marks=pytest.mark.slow) for seed in soak]


class ManualClock:
    """A `() -> float` clock that stands still until a test sets `now`."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class JumpClock(SystemClock):
    """The system clock plus the jumps a test makes: sleeps and sockets stay real, but a
    timeout read off this clock (a breaker's half-open time) passes the moment the test
    jumps past it, instead of the test sleeping it away."""

    def __init__(self) -> None:
        self.offset = 0.0

    def jump(self, seconds: float) -> None:
        self.offset += seconds

    def time(self) -> float:
        return super().time() + self.offset

    def monotonic(self) -> float:
        return super().monotonic() + self.offset


async def eventually(
    check: Callable[[], object], what: str = "the condition", within: float = 10.0
) -> None:
    """Let the loop run until `check()` holds: for what arrives over a socket, a thread or a
    worker, where there is no event of ours to await. Polls every 10 ms, so it returns within
    a tick of the change; on timeout a clear error names what never happened."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within:g}s waiting for {what}")
        await asyncio.sleep(0.01)


@asynccontextmanager
async def mounted_client(
    sim: ServiceSim, path: str = "", headers: dict[str, str] | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """An in-memory client of one simulated service alone (no fault middleware), at its prefix."""
    app = Starlette(routes=[Mount(sim.prefix, routes=sim.routes())])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=f"http://sim{sim.prefix}{path}",
        headers=headers,
    ) as client:
        yield client


@contextmanager
def socket_server(handle: Callable[[socket.socket, threading.Event], object]) -> Iterator[str]:
    """A raw TCP server on 127.0.0.1, its URL yielded: each connection is handed, on a thread
    of its own, to `handle(conn, stop)`, then closed. On exit `stop` is set, so a handler that
    waits on it ends, and every thread is joined."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()
    handlers: list[threading.Thread] = []

    def serve(conn: socket.socket) -> None:
        with conn:
            handle(conn, stop)

    def accept() -> None:
        server.settimeout(0.05)
        while not stop.is_set():
            try:
                conn = server.accept()[0]
            except OSError:
                continue
            handlers.append(threading.Thread(target=serve, args=(conn,), daemon=True))
            handlers[-1].start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        acceptor.join()
        for thread in handlers:
            thread.join(timeout=5)
        server.close()


def files_holding(root: Path, secrets: Iterable[str]) -> list[str]:
    """Every file under `root` (store, WAL, logs, ...) that holds one of `secrets` verbatim,
    as 'path: secret-prefix...' for the failure message; [] when none does."""
    needles = [s.encode() for s in secrets if s]
    found = []
    for path in (p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found += [f"{path}: {n[:6].decode()}..." for n in needles if n in data]
    return found


def github_breaker_open(half_open_at: float, at: float) -> BreakerChanged:
    """The event of account gh's github breaker opening at `at`, to probe again at
    `half_open_at`."""
    return BreakerChanged(
        service="github",
        account="gh",
        name="github",
        old="closed",
        new="open",
        half_open_at=half_open_at,
        at=at,
    )


def github_breaker_opened(half_open_at: float, *, at: float | None = None) -> HealthModel:
    """A health model that saw github's breaker open (at `at`, default now), to probe again
    at `half_open_at`."""
    model = HealthModel()
    model.apply(github_breaker_open(half_open_at, time.time() if at is None else at))
    return model


def zen_tui_structs() -> list[type[msgspec.Struct]]:
    """Every msgspec.Struct class zen_tui defines, after importing every module of it (but
    __main__, which runs the app): for checks that each record, present or added later, keeps."""
    for info in pkgutil.walk_packages(zen_tui.__path__, "zen_tui."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
    found: list[type[msgspec.Struct]] = []
    pending = [msgspec.Struct]
    while pending:  # subclasses of subclasses too, nested classes included
        for cls in pending.pop().__subclasses__():
            pending.append(cls)
            if cls.__module__.startswith("zen_tui.") and cls not in found:
                found.append(cls)
    return found


def github_account_toml(base_url: str, *, name: str = "gh", token_env: str = "") -> str:
    """A config file's `[[accounts]]` table for a GitHub account at `base_url` (the
    simulator's, in the integration tests), its token read from `token_env` when given."""
    lines = ["[[accounts]]", f'name = "{name}"', 'service = "github"', f'base_url = "{base_url}"']
    if token_env:
        lines.append(f'token_env = "{token_env}"')
    return "\n".join(lines) + "\n"


# The GitHub account's notifications, as an inbox section of a test's config file.
GITHUB_INBOX = """
[[sections]]
pane = "inbox"
account = "gh"
title = "GitHub notifications"
query = "notifications"
"""


def github_config(
    sim: SimulatorServer, folder: Path, *, token_env: str = "", then: str = ""
) -> Path:
    """`folder/config.toml`: the simulator's GitHub account `gh` (github_account_toml),
    then the tables in `then` (sections, other accounts, gateway settings)."""
    config = folder / "config.toml"
    base_url = sim.account("github").base_url
    config.write_text(github_account_toml(base_url, token_env=token_env) + then, encoding="utf-8")
    return config


@contextmanager
def loopback_http(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A plain HTTP server on 127.0.0.1 (an ephemeral port) answering with `handler`, in a
    thread, for as long as the block runs; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()

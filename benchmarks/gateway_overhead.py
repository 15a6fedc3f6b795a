"""Gateway overhead: the same sequential GETs, raw httpx vs through the Gateway (cache off).

A loopback HTTP/1.1 server in a thread answers each GET after ~1 ms, with the headers GitHub
sends (its rate-limit figures among them, which the gateway follows on every answer). Raw and
gateway requests alternate one by one, so load from other processes hits both sides alike. The
verdict uses the median of paired differences (robust to scheduler stalls); the plain means are
printed too. Target: the gateway adds < 10% at 1 ms server latency. Also prints its CPU cost
per request. The gateway is built as zen-tui builds one (wiring.connect), its rate-limit pauses
shared through a store on disk; only its cache is off.

Both sides send the same request: raw httpx carries the headers the gateway's client sends
to GitHub (its User-Agent, Accept and X-GitHub-Api-Version) besides the token. The server
runs in this process, so what it spends parsing a request is on both sides' clock (the GIL):
with httpx's own defaults the raw side sent one header line fewer, which is no work of the
gateway's.
Run: python benchmarks/gateway_overhead.py [requests_per_side]
"""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from msgspec.structs import replace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a fresh clone
sys.path.insert(0, str(Path(__file__).resolve().parent))

from results import count_arg, figure, record

from zen_tui.gateway import Gateway
from zen_tui.gateway.credentials import Credential, StaticCredentialProvider
from zen_tui.gateway.profiles import profile_for
from zen_tui.gateway.settings import CacheSettings, RateLimitSettings, default_settings
from zen_tui.store import Store
from zen_tui.wiring import StorePauses

SERVER_DELAY = 0.001
TARGET = 1.10
ROOT = Path(__file__).resolve().parents[1]
# What api.github.com answered to a REST GET, as recorded by octokit/fixtures (vendored for the
# contract tests, tests/contracts/SOURCES.md): its header fields, the framing ones left out.
RECORDED = ROOT / "tests/contracts/octokit-fixtures/search-issues/normalized-fixture.json"
LIMIT = 15_000  # GitHub's hourly REST budget for an Enterprise Cloud organisation's apps
_spent = itertools.count(1)


def _recorded_headers() -> dict[str, str]:
    recorded = json.loads(RECORDED.read_text(encoding="utf-8"))[0]["headers"]
    return {k: str(v) for k, v in recorded.items() if k not in ("content-length", "connection")}


GITHUB_HEADERS = _recorded_headers()


def _github_headers() -> dict[str, str]:
    """GitHub's headers with live rate-limit figures (the recording's are placeholders): the
    budget goes down by one per answer and resets within the hour, as GitHub's does. It starts
    again before half of it is spent: the gateway would rightly slow down near its end."""
    spent = next(_spent) % (LIMIT // 2)
    return GITHUB_HEADERS | {
        "x-ratelimit-limit": str(LIMIT),
        "x-ratelimit-remaining": str(LIMIT - spent),
        "x-ratelimit-used": str(spent),
        "x-ratelimit-reset": str(int(time.time()) + 3600),
        "x-ratelimit-resource": "core",
    }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real APIs
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms ACK stalls
    body = b'{"ok": true, "items": [1, 2, 3]}'

    def do_GET(self) -> None:
        time.sleep(SERVER_DELAY)
        self.send_response(200)
        for name, value in _github_headers().items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _start_server() -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _gateway(
    base_url: str, store: Store, transport: httpx.AsyncBaseTransport | None = None
) -> Gateway:
    settings = replace(
        default_settings("github"),
        cache=CacheSettings(enabled=False),
        rate_limit=RateLimitSettings(buckets={"default": (1e9, 1.0), "core": (1e9, 1.0)}),
    )
    return Gateway(
        account="bench",
        service="github",
        base_url=base_url,
        settings=settings,
        credentials=StaticCredentialProvider({"bench": Credential("bench-token")}),
        transport=transport,
        pauses=StorePauses(store),  # as wiring.connect builds it: checked before each request
    )


PATH, TEMPLATE = "/repos/o/r/pulls", "/repos/{owner}/{repo}/pulls"


def _raw_client(
    base_url: str, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """Raw httpx sending what the gateway's client sends (gateway/transport.py's build_client)."""
    headers = {"User-Agent": default_settings("github").user_agent}
    headers.update(profile_for("github").default_headers)
    return httpx.AsyncClient(base_url=base_url, headers=headers, transport=transport)


async def _raw_get(client: httpx.AsyncClient) -> None:
    response = await client.get(PATH, headers={"Authorization": "Bearer t"})
    response.raise_for_status()


async def _timed(fn: Callable[[], Awaitable[object]], clock: Callable[[], float]) -> float:
    start = clock()
    await fn()
    return clock() - start


async def _paired(
    raw: Callable[[], Awaitable[object]],
    gateway: Callable[[], Awaitable[object]],
    n: int,
    clock: Callable[[], float] = time.perf_counter,
) -> tuple[list[float], list[float]]:
    """Alternate raw and gateway request by request (swapping who goes first), so load
    spikes from other processes land on both sides alike."""
    raw_t: list[float] = []
    gw_t: list[float] = []
    for _ in range(20):  # warm up connections and code paths
        await raw()
        await gateway()
    for i in range(n):
        if i % 2:
            gw_t.append(await _timed(gateway, clock))
            raw_t.append(await _timed(raw, clock))
        else:
            raw_t.append(await _timed(raw, clock))
            gw_t.append(await _timed(gateway, clock))
    return raw_t, gw_t


async def _loopback(base_url: str, store: Store, n: int) -> tuple[list[float], list[float]]:
    async with _raw_client(base_url) as client:
        gateway = _gateway(base_url, store)
        try:
            return await _paired(
                partial(_raw_get, client),
                partial(gateway.request, "GET", PATH, endpoint=TEMPLATE),
                n,
            )
        finally:
            await gateway.aclose()


async def _cpu_only(store: Store, n: int) -> tuple[float, float]:
    """The gateway's own CPU cost: both sides on an in-process transport, CPU time."""
    mock = httpx.MockTransport(
        lambda request: httpx.Response(200, json={"ok": True}, headers=_github_headers())
    )
    async with _raw_client("http://bench", mock) as client:
        gateway = _gateway("http://bench", store, transport=mock)
        raw_t, gw_t = await _paired(
            partial(_raw_get, client),
            partial(gateway.request, "GET", PATH, endpoint=TEMPLATE),
            n,
            time.process_time,
        )
        await gateway.aclose()
    return statistics.fmean(raw_t), statistics.fmean(gw_t)


def main() -> int:
    n = count_arg(sys.argv, 500, "requests")
    server, base_url = _start_server()
    # A store on disk, as the app's: the pauses' check before each request reads it.
    with tempfile.TemporaryDirectory(prefix="zen-bench-") as folder:
        store = Store.open(Path(folder) / "zen-tui.db")
        try:
            raw_t, gw_t = asyncio.run(_loopback(base_url, store, n))
            cpu_raw, cpu_gw = asyncio.run(_cpu_only(store, 2000))
        finally:
            server.shutdown()
            store.close()
    raw, gw = statistics.fmean(raw_t), statistics.fmean(gw_t)
    raw_med, gw_med = statistics.median(raw_t), statistics.median(gw_t)
    added = statistics.median(g - r for g, r in zip(gw_t, raw_t, strict=True))  # paired
    ratio = 1 + added / raw_med  # paired: both sides of a pair saw the same machine load
    print(f"loopback server, {SERVER_DELAY * 1e3:.0f} ms per GET, {n} GETs per side, interleaved")
    print(f"  raw httpx  mean {raw * 1e6:8.1f} us   median {raw_med * 1e6:8.1f} us")
    print(f"  gateway    mean {gw * 1e6:8.1f} us   median {gw_med * 1e6:8.1f} us")
    print(f"  added per request {added * 1e6:8.1f} us (median of paired differences)")
    print(
        f"  ratio gateway/raw {ratio:.3f} (1 + added / raw median; plain means give {gw / raw:.3f})"
    )
    verdict = "meets" if ratio < TARGET else "MISSES"
    print(f"  -> {verdict} the < {TARGET - 1:.0%} target")
    print(
        f"gateway CPU cost (in-process transport): {(cpu_gw - cpu_raw) * 1e6:.1f} us per request "
        f"on top of httpx's {cpu_raw * 1e6:.1f} us"
    )
    us = [t * 1e6 for t in gw_t], [t * 1e6 for t in raw_t]
    name = f"GET through the gateway, {SERVER_DELAY * 1e3:.0f} ms loopback server"
    record("gateway_overhead", [figure(name, "us", *us, "raw httpx, same server", TARGET)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: a full sync of 10,000 items (GitHub 5,000, Jira 3,000, Slack 2,000) from the
simulator with 20 ms injected latency, against a naive sequential client in the same run;
then refreshes with nothing changed (calls made, primary quota spent; target 0): one right
after each sync, within the cache TTL (the measured gap and the cache hit / revalidated counts
are printed beside it), and one after a restart with every cache TTL expired.

The naive client is plain httpx, one request at a time, replaying exactly the requests our
client made (same pages, same page sizes) and decoding each JSON body, without cache,
concurrency, normalisation or storage. The simulator runs
in its own process (driven through its /_sim control API), so it does not share a GIL with
the client being measured.

Rate budgets are scaled x RATE_SCALE on both sides (simulator and client buckets): at the
documented budgets (GitHub search 30/min, Slack history 15 messages a call and 50 calls/min)
a 10,000-item first sync is budget-bound, not pipeline-bound, for any client.

Run: .venv/bin/python benchmarks/sync_full.py  (about a minute; prints ratios)
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
from msgspec.structs import replace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from zen_tui.config import SectionConfig, Settings
from zen_tui.demo import demo_settings
from zen_tui.models import Pane
from zen_tui.sync.engine import SyncEngine
from zen_tui.wiring import build

SIZE = 10_000
LATENCY_MS = 20
RATE_SCALE = 20.0
RUNS = 3
PANES: tuple[tuple[Pane, str], ...] = (("prs", "pr"), ("issues", "issue"))
LIMIT = 1000  # items per section (GitHub search returns at most 1,000 per query)


SIM_PROCESS = """
import dataclasses, json, sys
from zen_tui.simulator.server import SimulatorServer
sim = SimulatorServer(seed=1, size=int(sys.argv[1]), rate_scale=float(sys.argv[2])).start()
world = sim.world.services
print(json.dumps({
    "root": sim.root_url,
    "accounts": [dataclasses.asdict(a) for a in sim.accounts],
    "repos": sorted({i.repo.full_name for i in world["github"].state.items}),
    "projects": sorted({i.project for i in world["jira"].issues.values()}),
    "channels": sorted(world["slack"].channels),
}), flush=True)
sys.stdin.read()  # serve until the benchmark closes our stdin
"""


class Sim:
    """The simulator in a child process, driven through its control API."""

    def __init__(self, size: int = SIZE, rate_scale: float = RATE_SCALE) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SIM_PROCESS, str(size), str(rate_scale)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.info: dict[str, Any] = json.loads(self.proc.stdout.readline())
        self.accounts = [SimpleNamespace(**a) for a in self.info["accounts"]]
        self.control = httpx.Client(base_url=self.info["root"] + "/_sim", timeout=30)

    def set_faults(self, rules: list[dict[str, Any]]) -> None:
        self.control.put("/faults", json=rules).raise_for_status()

    def counters(self) -> dict[str, Any]:
        return dict(self.control.get("/counters").json())

    def reset_counters(self) -> None:
        self.control.post("/counters/reset").raise_for_status()

    def close(self) -> None:
        self.control.close()
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.terminate()
        self.proc.wait()


@dataclass(frozen=True)
class Hot:
    gap: float  # seconds from the end of the sync to the start of the refresh
    took: float
    calls: int
    quota: int
    outcomes: Counter[str]  # hit / revalidated / miss


class Recorder(httpx.AsyncBaseTransport):
    """The real transport, keeping each request so the naive client can replay it."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.statuses: list[int] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        headers = {k: v for k, v in request.headers.items() if not k.lower().startswith("if-")}
        self.requests.append((request.method, str(request.url), headers, body))
        response = await self.inner.handle_async_request(request)
        self.statuses.append(response.status_code)
        return response

    def reset(self) -> None:
        self.requests.clear()
        self.statuses.clear()

    async def aclose(self) -> None:
        await self.inner.aclose()


def sections_for(sim: Sim, accounts: Mapping[str, str]) -> list[SectionConfig]:
    """Sections that together list every item of the simulated world."""
    gh, jira, slack = accounts["github"], accounts["jira"], accounts["slack"]
    out = []
    for repo in sim.info["repos"]:
        for pane, kind in PANES:
            query = f"repo:{repo} is:{kind}"
            out.append(SectionConfig(pane, f"{repo} {kind}s", gh, query=query, limit=LIMIT))
    for project in sim.info["projects"]:
        jql = f"project = {project} ORDER BY updated DESC"
        out.append(SectionConfig("issues", project, jira, jql=jql, limit=LIMIT))
    for channel in sim.info["channels"]:
        out.append(SectionConfig("messages", channel, slack, channels=(channel,), limit=LIMIT))
    return out


def bench_settings(sim: Sim, data_dir: Path, ttl: float | None = None) -> Settings:
    """Scaled budgets; with `ttl`, every cache type (listings, details, users, projects) uses
    it, so what is fresh does not depend on how long the run took."""
    base = demo_settings(sim.accounts, data_dir)
    accounts: dict[str, str] = {a.service: a.name for a in base.accounts}
    gateway = {}
    for service, gs in base.gateway.items():
        buckets = {s: (n * RATE_SCALE, per) for s, (n, per) in gs.rate_limit.buckets.items()}
        types = dict(gs.cache.types)
        if ttl is not None:
            types = {name: replace(t, ttl=ttl) for name, t in types.items()}
        gateway[service] = replace(
            gs,
            rate_limit=replace(gs.rate_limit, buckets=buckets),
            cache=replace(gs.cache, types=types),
        )
    return replace(base, sections=sections_for(sim, accounts), gateway=gateway)


def quota(sim: Sim) -> dict[str, int]:
    return {k: v for k, v in sim.counters()["quota_spent"].items() if v}


def cache_counts(engine: SyncEngine) -> Counter[str]:
    """Cache outcomes so far, over every account's gateway."""
    counts: Counter[str] = Counter()
    for gateway in engine.wired.gateways.values():
        h = gateway.health()
        counts.update(hit=h.cache_hits, revalidated=h.revalidations, miss=h.cache_misses)
    return counts


async def hot_refresh(engine: SyncEngine, sim: Sim, recorder: Recorder, synced: float) -> Hot:
    """A refresh with nothing changed, started as soon as the sync ended (`synced`)."""
    sim.reset_counters()
    recorder.reset()
    before = cache_counts(engine)
    start = time.perf_counter()
    await engine.sync_once()  # a scheduled refresh (`R`, engine.refresh, revalidates)
    took = time.perf_counter() - start
    outcomes = cache_counts(engine) - before
    spent = sum(quota(sim).values())
    return Hot(start - synced, took, len(recorder.requests), spent, outcomes)


async def ours(
    settings: Settings, recorder: Recorder
) -> tuple[float, dict[str, int], SyncEngine, float]:
    """Wall time, items per service, the engine, and when the sync ended."""
    engine = SyncEngine(build(settings, transport=recorder))
    start = time.perf_counter()
    snapshots = await engine.sync_once()
    ended = time.perf_counter()
    wall = ended - start
    states = {s.freshness.state.value for s in snapshots.values()}
    if states != {"live"}:
        reasons = {s.freshness.reason for s in snapshots.values() if s.freshness.reason}
        raise SystemExit(f"full sync not live: {states} {reasons}")
    per_service: dict[str, int] = {}
    for section in engine.sections:
        count = len({i.id for i in snapshots[section.id].items})
        per_service[section.service] = per_service.get(section.service, 0) + count
    return wall, per_service, engine, ended


def naive(requests: list[tuple[str, str, dict[str, str], bytes]]) -> float:
    start = time.perf_counter()
    with httpx.Client(timeout=30) as client:
        for method, url, headers, body in requests:
            client.request(method, url, headers=headers, content=body or None).json()
    return time.perf_counter() - start


def _runs(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


async def main() -> None:
    sim = Sim()
    try:
        sim.set_faults([{"service": "*", "latency_ms": LATENCY_MS}])
        walls, naive_walls, hots = [], [], []
        for _ in range(RUNS):  # a fresh store each run; the median evens out machine noise
            recorder = Recorder()
            data = Path(tempfile.mkdtemp(prefix="zen-bench-"))
            settings = bench_settings(sim, data)
            wall, items, engine, synced = await ours(settings, recorder)
            requests = list(recorder.requests)
            hots.append(await hot_refresh(engine, sim, recorder, synced))
            await engine.stop()
            walls.append(wall)
            naive_walls.append(naive(requests))
        calls = len(requests)
        wall, naive_wall = statistics.median(walls), statistics.median(naive_walls)
        print(
            f"full sync: {sum(items.values())} items {items} in {len(settings.sections)} "
            f"sections, {LATENCY_MS} ms injected latency, median of {RUNS} runs"
        )
        print(f"  zen-tui : {wall:7.2f} s  {calls} calls  (runs: {_runs(walls)})")
        print(
            f"  naive   : {naive_wall:7.2f} s  {calls} calls  (runs: {_runs(naive_walls)}; "
            "same requests one at a time, JSON decoded, nothing stored)"
        )
        per_call = 1000 * naive_wall / calls - LATENCY_MS
        print(
            f"  speed-up: x{naive_wall / wall:.1f} (the simulator's own time per call, from the "
            f"naive run: {per_call:.0f} ms beyond the latency; one server process)"
        )

        ttl = settings.gateway_for("github").cache.types["listing"].ttl
        print(f"refresh right after each sync, nothing changed (listing TTL {ttl:.0f} s):")
        for n, (hot, took) in enumerate(zip(hots, walls, strict=True), 1):
            o = hot.outcomes
            print(
                f"  run {n}: {hot.gap:.2f} s after the sync ended (oldest entry "
                f"{took + hot.gap:.1f} s old): {o['hit']} hits, {o['revalidated']} revalidated, "
                f"{o['miss']} misses; {hot.calls} calls, quota {hot.quota}, "
                f"{hot.took:.2f} s"
            )

        sim.reset_counters()
        recorder.reset()
        again = SyncEngine(build(bench_settings(sim, data, ttl=0.0), transport=recorder))
        before = cache_counts(again)
        start = time.perf_counter()
        await again.sync_once()
        cold = time.perf_counter() - start
        o = cache_counts(again) - before
        await again.stop()
        not_modified = recorder.statuses.count(304)
        spent = quota(sim)
        print(
            f"refresh after restart, every cache TTL expired (conditional requests): "
            f"{len(recorder.requests)} calls, {not_modified} x 304 ({o['revalidated']} "
            f"revalidated, {o['hit']} hits, {o['miss']} misses), "
            f"quota spent {sum(spent.values())} {spent or ''}, {cold:.2f} s"
        )
        await recorder.aclose()
        _record(walls, naive_walls, hots, calls)
    finally:
        sim.close()


def _record(walls: list[float], naive_walls: list[float], hots: list[Hot], calls: int) -> None:
    from results import figure, record

    naive_name = f"naive client, the same {calls} requests one at a time"
    record(
        "sync_full",
        [
            figure(f"full sync, {LATENCY_MS} ms latency", "s", walls, naive_walls, naive_name),
            figure(
                "refresh right after, nothing changed",
                "s",
                [h.took for h in hots],
                walls,
                "the full sync it follows",
            ),
        ],
    )


if __name__ == "__main__":
    asyncio.run(main())

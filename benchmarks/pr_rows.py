"""Benchmark: GitHub PR sections with every row's review decision, checks, requested
reviewers and mergeability, at 20 ms and at 300 ms added latency, in one run.

For each latency it reports, for zen-tui (the sync engine, fresh store) and for a naive
sequential client, the full sync and then an unchanged refresh: calls, quota spent per
budget (REST `core`/`search` in requests, `graphql` in points) and wall time.

The naive client is plain httpx, one request at a time, reading the same fields the REST
way a simple client does: the search (every page), then per open PR the pull request, every
page of its reviews, the combined status and the check runs; no cache, so its unchanged
refresh is the same work again. The simulator runs in its own process (see sync_full.py).

Run: .venv/bin/python benchmarks/pr_rows.py  (about a minute)
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from msgspec.structs import replace

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sync_full import Recorder, Sim

from zen_tui.config import SectionConfig, Settings
from zen_tui.demo import demo_settings
from zen_tui.gateway.settings import CacheTypeSettings
from zen_tui.models import PullRequest
from zen_tui.sync.engine import SyncEngine
from zen_tui.wiring import build

SIZE = 400
LATENCIES_MS = (20, 300)
QUERIES = (
    "is:pr is:open review-requested:@me",
    "is:pr is:open author:@me",
    "is:pr is:open involves:@me",
)


def settings_for(sim: Sim, data_dir: Path) -> Settings:
    """Only the GitHub PR sections; every cached read revalidates on the next poll (TTLs 0),
    as it does once the default 30 s TTLs have passed."""
    base = demo_settings(sim.accounts, data_dir)
    github = next(a.name for a in base.accounts if a.service == "github")
    sections = [SectionConfig("prs", q, github, query=q, limit=100) for q in QUERIES]
    gateway = dict(base.gateway)
    gs = gateway["github"]
    expired = CacheTypeSettings(ttl=0.0, maxsize=2000)
    types = dict(gs.cache.types) | {"listing": expired, "issue_details": expired}
    gateway["github"] = replace(gs, cache=replace(gs.cache, types=types))
    return replace(base, sections=sections, gateway=gateway)


def spent(sim: Sim) -> dict[str, int]:
    quota = sim.counters()["quota_spent"]
    return {k.split(":", 1)[1]: v for k, v in sorted(quota.items()) if k.startswith("github:")}


async def zen_pass(engine: SyncEngine, recorder: Recorder, sim: Sim) -> tuple[dict, int]:
    sim.reset_counters()
    recorder.reset()
    start = time.perf_counter()
    snapshots = await engine.sync_once()
    wall = time.perf_counter() - start
    bad = {s.freshness.reason for s in snapshots.values() if s.freshness.state.value != "live"}
    if bad:
        raise SystemExit(f"zen-tui sync not live: {bad}")
    prs = {i.key for s in snapshots.values() for i in s.items if isinstance(i, PullRequest)}
    return {"calls": len(recorder.requests), "quota": spent(sim), "wall": wall}, len(prs)


def naive_pass(sim: Sim) -> tuple[dict, int]:
    acc = next(a for a in sim.accounts if a.service == "github")
    headers = {"Authorization": f"Bearer {acc.token}", "Accept": "application/vnd.github+json"}
    sim.reset_counters()
    calls, prs = 0, set()
    start = time.perf_counter()
    with httpx.Client(base_url=acc.base_url, headers=headers, timeout=60) as client:

        def every_page(url: str, params: dict[str, Any] | None = None) -> list[Any]:
            nonlocal calls
            rows: list[Any] = []
            next_url: str | None = url
            while next_url:
                resp = client.get(next_url, params=params)
                calls += 1
                body = resp.json()
                rows += body if isinstance(body, list) else body.get("items") or []
                next_url, params = resp.links.get("next", {}).get("url"), None
            return rows

        for query in QUERIES:
            for hit in every_page("/search/issues", {"q": query, "per_page": 100}):
                repo = hit["repository_url"].split("/repos/", 1)[1]
                prs.add(f"{repo}#{hit['number']}")
                base = f"/repos/{repo}"
                pull = client.get(f"{base}/pulls/{hit['number']}").json()
                every_page(f"{base}/pulls/{hit['number']}/reviews", {"per_page": 100})
                sha = pull["head"]["sha"]
                client.get(f"{base}/commits/{sha}/status").json()
                client.get(f"{base}/commits/{sha}/check-runs").json()
                calls += 3
    wall = time.perf_counter() - start
    return {"calls": calls, "quota": spent(sim), "wall": wall}, len(prs)


def line(who: str, what: str, result: dict) -> str:
    quota = ", ".join(f"{k} {v}" for k, v in result["quota"].items()) or "none"
    calls, wall = result["calls"], result["wall"]
    return f"  {who:8s} {what:18s} {calls:5d} calls  quota: {quota:28s} {wall:6.2f} s"


async def main() -> None:
    from results import figure, record

    figures = []
    sim = Sim(size=SIZE, rate_scale=1.0)
    try:
        for latency in LATENCIES_MS:
            sim.set_faults([{"service": "*", "latency_ms": latency}])
            recorder = Recorder()
            data = Path(tempfile.mkdtemp(prefix="zen-bench-prs-"))
            engine = SyncEngine(build(settings_for(sim, data), transport=recorder))
            full, count = await zen_pass(engine, recorder, sim)
            again, _ = await zen_pass(engine, recorder, sim)
            await engine.stop()
            await recorder.aclose()
            naive_full, naive_count = naive_pass(sim)
            naive_again, _ = naive_pass(sim)
            print(
                f"{latency} ms added latency, {len(QUERIES)} PR sections, {count} PRs "
                f"(naive: {naive_count})"
            )
            print(line("zen-tui", "full sync", full))
            print(line("zen-tui", "unchanged refresh", again))
            print(line("naive", "full sync", naive_full))
            print(line("naive", "unchanged refresh", naive_again))
            figures += [
                figure(
                    f"PR rows full sync, {latency} ms",
                    "s",
                    [full["wall"]],
                    [naive_full["wall"]],
                    "naive sequential REST client",
                ),
                figure(
                    f"PR rows unchanged refresh, {latency} ms",
                    "s",
                    [again["wall"]],
                    [naive_again["wall"]],
                    "naive sequential REST client",
                ),
            ]
        record("pr_rows", figures)
    finally:
        sim.close()


if __name__ == "__main__":
    asyncio.run(main())

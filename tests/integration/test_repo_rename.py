"""A GitHub repository renamed (or transferred) under a running zen-tui, against the real
simulator: the old name's 301/307 through the whole gateway, the rows after the next poll,
a section whose query names the old repository, the `repository` webhook, and queued
actions for the old name (randomised interleavings: none lost, none applied twice)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest

from tests.helpers import eventually, seeds
from zen_tui.config import SectionConfig, Settings, WebhookConfig
from zen_tui.gateway import Gateway
from zen_tui.gateway.credentials import Credential, StaticCredentialProvider
from zen_tui.gateway.settings import default_settings
from zen_tui.models import Action, ActionState, FreshnessState, Item, url_of
from zen_tui.services.markers import html_marker
from zen_tui.simulator.github.service import GitHubSim
from zen_tui.simulator.server import SimulatorServer
from zen_tui.sync.engine import SyncEngine

from .conftest import engine_for
from .test_webhooks import ENV, SECRETS, started


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    """A search budget 20 times GitHub's 30 a minute: each landed action relists the
    sections, and the interleavings below land dozens within seconds."""
    with SimulatorServer(seed=7, size=300, rate_scale=20) as server:
        yield server


def github_only(settings: Settings, *extra: SectionConfig) -> Settings:
    sections = [s for s in settings.sections if s.account == "github"] + list(extra)
    gs = settings.gateway["github"]
    buckets = gs.rate_limit.buckets | {"search": (600.0, 60.0)}
    roomy = msgspec.structs.replace(gs.rate_limit, buckets=buckets)
    gateway = settings.gateway | {"github": msgspec.structs.replace(gs, rate_limit=roomy)}
    return msgspec.structs.replace(settings, sections=sections, gateway=gateway)


@pytest.fixture
def hooked(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Webhooks on, as test_webhooks has them."""
    for service, name in ENV.items():
        monkeypatch.setenv(name, SECRETS[service])
    config = WebhookConfig(enabled=True, port=0, secret_env=dict(ENV))
    return msgspec.structs.replace(settings, webhooks=config)


def github(sim: SimulatorServer) -> GitHubSim:
    service = sim.world.services["github"]
    assert isinstance(service, GitHubSim)
    return service


def redirects(sim: SimulatorServer) -> dict[int, int]:
    out: dict[int, int] = {}
    for row in sim.counters()["requests"]:
        if row["status"] in (301, 307):
            out[row["status"]] = out.get(row["status"], 0) + row["count"]
    return out


def rows(engine: SyncEngine, snapshots: dict[str, Any]) -> list[Item]:
    return [i for s in engine.sections if s.service == "github" for i in snapshots[s.id].items]


async def test_the_gateway_reads_and_writes_through_the_old_name(sim: SimulatorServer) -> None:
    account = sim.account("github")
    gw = Gateway(
        account="github",
        service="github",
        base_url=account.base_url,
        settings=default_settings("github"),
        credentials=StaticCredentialProvider({"github": Credential(account.token)}),
    )
    gh = github(sim)
    pr = next(i for i in gh.state.by_name["acme/api"].items.values() if i.is_pr)
    gh.rename_repo("acme/api", "acme/api-v2")
    path = f"/repos/acme/api/pulls/{pr.number}"

    first = await gw.request("GET", path, cache_type="issue_details")
    assert first.status == 200  # followed: the token went along (the simulator wants it)
    assert first.json()["base"]["repo"]["full_name"] == "acme/api-v2"
    assert first.url.endswith(f"/github/repositories/{pr.repo.id}/pulls/{pr.number}")
    again = await gw.request("GET", path, cache_type="issue_details", revalidate=True)
    assert again.cache == "revalidated"  # the ETag stored under the old URL still works
    assert redirects(sim) == {301: 1}  # the second read went straight to the new URL

    before = len(pr.comments)
    body = {"body": "posted to the old name"}
    wrote = await gw.request("POST", f"/repos/acme/api/issues/{pr.number}/comments", json=body)
    assert wrote.status == 201
    assert [c.body for c in pr.comments[before:]] == ["posted to the old name"]
    assert redirects(sim) == {301: 1, 307: 1}
    await gw.aclose()


async def test_rows_show_the_new_name_after_the_next_poll(
    sim: SimulatorServer, settings: Settings
) -> None:
    engine = engine_for(github_only(settings))
    before = rows(engine, await engine.sync_once())
    assert any(i.key.startswith("acme/api#") for i in before)
    github(sim).rename_repo("acme/api", "acme/api-v2")
    after = rows(engine, await engine.sync_once())
    assert not any(i.key.startswith("acme/api#") for i in after)
    moved = {i.key.split("#")[1] for i in after if i.key.startswith("acme/api-v2#")}
    assert moved == {i.key.split("#")[1] for i in before if i.key.startswith("acme/api#")}
    stored = [i for s in engine.sections for i in engine.store.load_section(s.id)[0]]
    assert not any(getattr(i, "repo", None) == "acme/api" for i in stored)
    await engine.stop()


async def test_a_section_naming_the_old_repository_says_what_to_change(
    sim: SimulatorServer, settings: Settings
) -> None:
    api = SectionConfig("prs", "API", "github", query="repo:acme/api is:pr is:open")
    engine = engine_for(github_only(settings, api))
    section = next(s for s in engine.sections if s.title == "API")
    shown = (await engine.sync_once())[section.id]
    assert shown.freshness.state is FreshnessState.LIVE and shown.items
    github(sim).rename_repo("acme/api", "acme/api-v2")
    shown = (await engine.sync_once())[section.id]
    reason = shown.freshness.reason or ""
    assert "repository acme/api is now acme/api-v2" in reason
    assert "change repo:acme/api in the section's query" in reason
    assert shown.items  # the last rows stay, marked as not live, until the query is fixed
    await engine.stop()


async def test_the_renamed_webhook_renames_stored_rows_and_links_at_once(
    sim: SimulatorServer, hooked: Settings
) -> None:
    engine = await started(hooked, sim)  # pollers paused: only the webhook can do this
    section = next(s for s in engine.sections if s.service == "github" and s.pane == "prs")
    item = next(i for i in engine.store.load_section(section.id)[0])
    repo, number = item.key.split("#")
    owner, name = repo.split("/")
    engine.store.link_add("slack:C1:1.0", item.id, url=item.url, kind="issue")
    github(sim).rename_repo(repo, f"{owner}/{name}-v2")
    new_id = f"{item.account}:{owner}/{name}-v2#{number}"

    def renamed() -> bool:
        return new_id in {i.id for i in engine.store.load_section(section.id)[0]}

    await eventually(renamed)
    moved = next(i for i in engine.store.load_section(section.id)[0] if i.id == new_id)
    assert (moved.key, getattr(moved, "repo", None)) == (
        f"{owner}/{name}-v2#{number}",
        f"{owner}/{name}-v2",
    )
    assert f"/{owner}/{name}-v2/" in moved.url
    assert item.id not in {i.id for i in engine.store.load_section(section.id)[0]}
    [link] = engine.store.links_of([new_id])[new_id]
    assert link.other_id == "slack:C1:1.0"
    [back] = engine.store.links_of(["slack:C1:1.0"])["slack:C1:1.0"]
    assert back.other_id == new_id and f"/{owner}/{name}-v2/" in back.url
    await engine.stop()


async def test_a_section_whose_query_names_the_old_repository_shows_its_rows_renamed_too(
    sim: SimulatorServer, hooked: Settings
) -> None:
    """Seen on the dashboard: after the webhook, `Review requested` showed acme/api-v2#17 and
    the refused `repo:acme/api` section beside it still acme/api#17 (its rows kept from
    memory, not from the renamed store), so one PR had two names on one screen."""
    api = SectionConfig("prs", "API", "github", query="repo:acme/api is:pr is:open")
    engine = await started(github_only(hooked, api), sim)
    section = next(s for s in engine.sections if s.title == "API")
    before = engine.snapshot(section.id)
    assert before is not None and before.items
    numbers = sorted(i.key.split("#")[1] for i in before.items)
    github(sim).rename_repo("acme/api", "acme/api-v2")

    def keys() -> set[str]:
        shown = engine.snapshot(section.id)
        return {i.key.split("#")[0] for i in shown.items} if shown else set()

    await eventually(lambda: keys() == {"acme/api-v2"}, "the section's rows renamed")
    shown = engine.snapshot(section.id)
    assert shown is not None
    assert sorted(i.key.split("#")[1] for i in shown.items) == numbers  # the same rows, kept
    assert all(getattr(i, "repo", None) == "acme/api-v2" for i in shown.items)
    assert all("/acme/api-v2/" in url_of(engine.full_item(i)) for i in shown.items)
    assert len({i.id for i in shown.items}) == len(shown.items)
    await engine.stop()


async def test_a_stale_copy_from_before_the_move_does_not_show_the_rows_twice(
    sim: SimulatorServer, hooked: Settings
) -> None:
    """Seen with `zen-tui sync --once` beside the dashboard: after the renamed webhook, with
    GitHub down, the `repo:acme/api` section said 48 items for its 24 PRs: the gateway's
    copy from before the move (old names) merged with the rows the webhook had renamed."""
    api = SectionConfig("prs", "API", "github", query="repo:acme/api is:pr is:open")
    settings = github_only(hooked, api)
    engine = await started(settings, sim)
    section = next(s for s in engine.sections if s.title == "API")
    before = engine.snapshot(section.id)
    assert before is not None and before.items
    github(sim).rename_repo("acme/api", "acme/api-v2")

    def renamed() -> bool:
        return all(
            i.key.startswith("acme/api-v2#") for i in engine.store.load_section(section.id)[0]
        )

    await eventually(renamed, "the stored rows renamed")
    await engine.stop()
    sim.set_faults([{"service": "github", "outage": True}])
    later = engine_for(settings)  # another process on the same data folder, GitHub down
    shown = (await later.sync_once())[section.id]
    assert shown.freshness.state is not FreshnessState.LIVE
    assert len(shown.items) == len(before.items), [i.key for i in shown.items]
    assert {i.key.split("#")[0] for i in shown.items} == {"acme/api-v2"}
    await later.stop()


# ---- queued actions for a repository that moves under them -----------------------------------
async def _interleave(sim: SimulatorServer, settings: Settings, seed: int) -> tuple[int, int, int]:
    """(actions queued for a name already moved, actions, renames)."""
    rng = random.Random(seed)
    gh = github(sim)
    engine = engine_for(github_only(settings))
    shown = rows(engine, await engine.sync_once())
    ids: list[str] = []
    renames = stale = 0
    for step in range(30):
        roll = rng.random()
        if roll < 0.2:
            repo = rng.choice(sorted(gh.state.by_name))
            owner, name = gh.state.by_name[repo].full_name.split("/")
            base = name.split("-r")[0]
            renames += 1
            gh.rename_repo(f"{owner}/{name}", f"{owner}/{base}-r{renames}")
        elif roll < 0.3:
            shown = rows(engine, await engine.sync_once())
        elif roll < 0.85:
            item = rng.choice(shown)  # its repository may have moved since it was shown
            if rng.random() < 0.5:
                action = Action("comment", item.id, item.account, {"body": f"s{seed} n{step}"})
            else:
                action = Action("add_label", item.id, item.account, {"label": f"z{seed}-{step}"})
            writes = {"service": "github", "method": "POST", "endpoint": "/repo*"}
            faults: list[dict[str, Any]] = []
            if rng.random() < 0.4:  # held: the write waits in the outbox
                faults = [writes | {"outage": True}]
            elif rng.random() < 0.3:  # sent, the answer lost: verified before any resend
                faults = [writes | {"reset_rate": 1.0}]
            stale += item.key.split("#")[0] not in {r.full_name for r in gh.state.repos.values()}
            sim.set_faults(faults)
            ids += await engine.submit([action])
            sim.clear_faults()
        else:
            await engine.outbox.replay()
    for _ in range(30):
        await engine.outbox.replay()
        pending = engine.store.outbox_by_state(
            ActionState.PENDING, ActionState.UNKNOWN, ActionState.SENDING
        )
        if not pending:
            break
        await asyncio.sleep(0.2)
    final = rows(engine, await engine.sync_once())
    entries = [e for i in ids if (e := engine.store.outbox_get(i)) is not None]
    assert len(entries) == len(ids)
    await engine.stop()
    assert [e.state for e in entries] == [ActionState.DONE] * len(entries), [
        (e.action.kind, e.state, e.reason) for e in entries if e.state is not ActionState.DONE
    ]
    log = sim.counters()["mutation_log"]
    bodies = [m.get("body") or "" for m in log if m["kind"] == "comment"]
    labels = [m.get("label") for m in log if m["kind"] == "label_added"]
    for entry in entries:
        if entry.action.kind == "comment":
            marker = html_marker(entry.idempotency_key)
            landed = sum(marker in b for b in bodies)
        else:
            landed = labels.count(entry.action.params["label"])
        assert landed == 1, (seed, entry.action, landed)
    names = {r.full_name for r in gh.state.repos.values()}
    assert {getattr(i, "repo", "") for i in final} <= names
    return stale, len(ids), renames


# Two seeds in every suite (it ran four), the other six with make soak.
@pytest.mark.parametrize("seed", seeds(every_run=range(2), soak=range(2, 8)))
async def test_queued_actions_survive_renames_exactly_once(
    sim: SimulatorServer, settings: Settings, seed: int
) -> None:
    stale, _actions, renames = await _interleave(sim, settings, seed)
    assert stale and renames, f"seed {seed}: no action for a moved name; nothing was shown"

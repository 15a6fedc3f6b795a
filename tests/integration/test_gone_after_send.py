"""An action sent whose answer was lost (outcome unknown), and whose item then went (the
repository hidden: 404; the issue deleted: 410): the outbox cannot verify it, asks about the
item itself, and once the server confirms it is gone the action ends saying so in one line,
never sent again. The whole simulator on virtual time, the real engine, outbox and store.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import seeds
from zen_tui.models import Action, ActionKind, ActionState, Item
from zen_tui.simulator.core.faults import parse_rules
from zen_tui.sync.engine import SyncEngine
from zen_tui.sync.outbox import gone_after_send

from .gone_world import VirtualWorld, shown_anywhere
from .test_gone_items import make_gone, shown, world

# The comment is applied, but its answer comes back cut in half: the outcome is unknown.
CUT_ANSWER = {"service": "github", "method": "POST", "endpoint": "*", "truncated_rate": 1.0}
LABEL = "needs-triage"


def sim_item(vw: VirtualWorld, item: Item) -> Any:
    name, _, number = item.key.rpartition("#")
    return vw.github.state.by_name[name.lower()].items[int(number)]


def landed(sim: Any, action: Action) -> int:
    """How many times the action took effect on the server."""
    if action.kind == "comment":
        return sum(action.params["body"] in c.body for c in sim.comments)
    return int(LABEL in {getattr(lab, "name", lab) for lab in sim.labels})


def entry_of(engine: SyncEngine, action: Action) -> Any:
    entries = [
        e
        for state in ActionState
        for e in engine.store.outbox_by_state(state)
        if e.action.item_id == action.item_id
        and e.action.kind == action.kind
        and e.action.params.items() >= action.params.items()
    ]
    assert len(entries) == 1, entries
    return entries[0]


async def sent_unknown(vw: VirtualWorld, engine: SyncEngine, action: Action) -> None:
    vw.app.state.faults.set_rules(parse_rules([CUT_ANSWER]))
    await engine.submit([action])
    await vw.run_until(lambda: entry_of(engine, action).state is not ActionState.PENDING, 60, 0.5)
    vw.app.state.faults.clear()


# Each kind and each way in every suite (comment with a hidden repository's 404, a label with
# a deleted issue's 410); the other two pairs with make soak.
@pytest.mark.parametrize(
    ("kind", "way"),
    [
        ("comment", "github_hidden"),
        ("add_label", "github_deleted"),
        pytest.param("comment", "github_deleted", marks=pytest.mark.slow),
        pytest.param("add_label", "github_hidden", marks=pytest.mark.slow),
    ],
)
async def test_an_unconfirmed_send_whose_item_went_ends_saying_so_and_is_never_resent(
    tmp_path: Path, way: str, kind: ActionKind
) -> None:
    """Before: a comment ended `outcome unknown, check manually`; a label (safe to repeat) was
    sent again and ended `not found: 404 Not Found`, as if it had never been sent. Now both
    end `gone: acme/x#N is gone, or no longer visible to github; whether the ... took effect
    before it went cannot be known`, sent once only, and the item leaves every section."""
    vw = world(tmp_path)
    async with vw.polling() as engine:
        item = shown(engine, "github", "Assigned to me")[0]
        params = {"body": f"seen {kind} {way}"} if kind == "comment" else {"label": LABEL}
        action = Action(kind, item.id, "github", params)
        sim = sim_item(vw, item)
        await sent_unknown(vw, engine, action)
        assert entry_of(engine, action).state is ActionState.UNKNOWN
        assert landed(sim, action) == 1
        make_gone(vw, way, item, {"github": []})
        await vw.run_until(lambda: entry_of(engine, action).state is ActionState.FAILED, 300, 1.0)
        entry = entry_of(engine, action)
        assert entry.reason == gone_after_send(action, item.key)
        assert "\n" not in entry.reason and entry.reason.startswith("gone: ")
        assert not shown_anywhere(engine, "github", item.id)
        await vw.clock.sleep(3600)  # never retried
        assert entry_of(engine, action).state is ActionState.FAILED
        assert entry_of(engine, action).attempts == 1
        assert landed(sim, action) == 1


async def test_an_unconfirmed_send_whose_item_is_still_there_goes_on_as_before(
    tmp_path: Path,
) -> None:
    """The item is there (only the check of a comment could not tell): no gone line; a comment
    found by its marker is done, once."""
    vw = world(tmp_path)
    async with vw.polling() as engine:
        item = shown(engine, "github", "Assigned to me")[0]
        action = Action("comment", item.id, "github", {"body": "still here"})
        await sent_unknown(vw, engine, action)
        await vw.run_until(lambda: entry_of(engine, action).state is ActionState.DONE, 300, 1.0)
        assert landed(sim_item(vw, item), action) == 1
        assert shown_anywhere(engine, "github", item.id)


async def test_a_deleted_issues_410_cut_short_says_gone_never_upgrade_zen_tui(
    tmp_path: Path,
) -> None:
    """GitHub's `410 This issue was deleted` arrives with its body cut in half (unreadable):
    the comment fails `gone: 410 Gone` and the issue leaves every section. Before, an
    unreadable 410 counted as a retired API: the action ended `... was removed by the
    provider; upgrade zen-tui ...` and health listed the endpoint as retired."""
    vw = world(tmp_path)
    async with vw.polling() as engine:
        item = shown(engine, "github", "Assigned to me")[0]
        make_gone(vw, "github_deleted", item, {})
        action = Action("comment", item.id, "github", {"body": "cut 410"})
        vw.app.state.faults.set_rules(parse_rules([CUT_ANSWER]))
        await engine.submit([action])
        await vw.run_until(lambda: entry_of(engine, action).state is ActionState.FAILED, 60, 0.5)
        vw.app.state.faults.clear()
        assert entry_of(engine, action).reason == "gone: 410 Gone"
        await vw.run_until(lambda: not shown_anywhere(engine, "github", item.id), 60, 1.0)
        assert engine.wired.gateways["github"].health().deprecations == []
        assert entry_of(engine, action).attempts == 1


# Three seeds in every suite, the other seven with make soak.
@pytest.mark.parametrize("seed", seeds(every_run=range(3), soak=range(3, 10)))
async def test_seeded_interleavings_of_lost_answers_and_items_going(
    tmp_path: Path, seed: int
) -> None:
    """Seeded random interleavings of: actions (comments, labels) on random issues, answers
    cut (outcome unknown) or not, 5xx on reads and writes, issues going (hidden, deleted)
    before, between or after the sends, time passing. Invariants, checked at the end:
    nothing is applied twice; an action that ends with the gone line was sent once and its
    item is gone on the server and off every section; one that ends `not found` was never
    applied; none ends `outcome unknown` or stays waiting once the faults are gone."""
    rng = random.Random(seed)
    vw = world(tmp_path, seed=200 + seed)
    actions: list[tuple[Action, Item, Any]] = []
    gone: set[str] = set()
    async with vw.polling() as engine:
        issues = shown(engine, "github", "Assigned to me")
        sims = {i.id: sim_item(vw, i) for i in issues}  # kept: a deleted one leaves the repo
        for step in range(20):
            choice = rng.choice(
                ["act", "act", "cut", "cut", "5xx", "clear", "gone", "gone", "time"]
            )
            if choice == "act":
                item = rng.choice(issues)
                kind: ActionKind = rng.choice(["comment", "add_label"])
                params = {"body": f"s{seed}-{step}"} if kind == "comment" else {"label": LABEL}
                action = Action(kind, item.id, "github", params)
                if not any(a == action for a, _, _ in actions):
                    actions.append((action, item, sims[item.id]))
                    await engine.submit([action])
            elif choice == "cut":
                vw.app.state.faults.set_rules(parse_rules([CUT_ANSWER]))
            elif choice == "5xx":
                rule = {"service": "github", "error_rate": 0.5, "statuses": [502, 503]}
                vw.app.state.faults.set_rules(parse_rules([rule]))
            elif choice == "clear":
                vw.app.state.faults.clear()
            elif choice == "gone":  # mostly an issue acted on: its send may be in doubt
                acted = [i for _, i, _ in actions]
                item = rng.choice(acted if acted and rng.random() < 0.8 else issues)
                way = rng.choice(["github_hidden", "github_deleted"])
                make_gone(vw, way, item, {"github": sorted(gone_repos(gone))})
                gone.add(item.key if way == "github_deleted" else item.key.rpartition("#")[0])
            else:
                await vw.clock.sleep(rng.uniform(1, 120))
        vw.app.state.faults.clear()
        await vw.run_until(lambda: settled(engine, actions), 3600, 5.0)
        for action, item, sim in actions:
            entry = entry_of(engine, action)
            assert entry.state in (ActionState.DONE, ActionState.FAILED), (seed, entry)
            reason = entry.reason or ""
            assert "outcome unknown" not in reason, (seed, reason)
            assert "upgrade zen-tui" not in reason, (seed, reason)  # a cut 410 retires nothing
            if action.kind == "comment":
                assert landed(sim, action) <= 1, (seed, action)
            if reason == gone_after_send(action, item.key):
                assert entry.attempts == 1, (seed, entry)
                assert is_gone(item, gone), (seed, item.key)
                assert not shown_anywhere(engine, "github", item.id)
            elif reason.startswith("not found:") and action.kind == "comment":
                assert landed(sim, action) == 0, (seed, entry)


def gone_repos(gone: set[str]) -> set[str]:
    return {g for g in gone if "#" not in g}


def is_gone(item: Item, gone: set[str]) -> bool:
    return item.key in gone or item.key.rpartition("#")[0] in gone


def settled(engine: SyncEngine, actions: list[tuple[Action, Item, Any]]) -> bool:
    final = (ActionState.DONE, ActionState.FAILED)
    return all(entry_of(engine, a).state in final for a, _, _ in actions)

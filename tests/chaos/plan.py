"""A seeded stream of triage actions over what the dashboard shows: GitHub labels and
comments, Jira comments and transitions, Slack replies and reactions. Every action leaves a
trace that can be told apart in the simulator's mutation log (a unique label or reaction
name, a hidden idempotency marker in a comment or reply, one transition per issue)."""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

from zen_tui.models import Action, Issue, Message, PullRequest
from zen_tui.simulator.jira.model import WORKFLOW

Item = PullRequest | Issue | Message


def plan_actions(items: Iterable[Item], sim: Any, seed: int, count: int) -> list[Action]:
    """`count` actions over `items` (deduplicated), drawn from a seeded random source."""
    rng = random.Random(seed)
    by_service: dict[str, list[Item]] = {}
    for item in {i.id: i for i in items}.values():
        by_service.setdefault(item.service, []).append(item)
    for service_items in by_service.values():
        service_items.sort(key=lambda i: i.id)
    jira_issues = sim.world.services["jira"].issues
    moved: set[str] = set()
    actions = []
    for n in range(count):
        service = rng.choice(sorted(by_service))
        item = rng.choice(by_service[service])
        tag = f"zen-{seed}-{n}"
        if service == "github":
            actions.append(_github(rng, item, tag))
        elif service == "jira":
            key = item.id.split(":", 1)[1]
            move = _transition(jira_issues[key].status) if key not in moved else None
            if move is not None and rng.random() < 0.5:
                moved.add(key)
                actions.append(Action("transition", item.id, item.account, {"transition": move}))
            else:
                actions.append(Action("comment", item.id, item.account, {"body": tag}))
        elif rng.random() < 0.5:
            actions.append(Action("reply", item.id, item.account, {"text": tag}))
        else:
            actions.append(Action("react", item.id, item.account, {"name": tag.replace("-", "_")}))
    return actions


def _github(rng: random.Random, item: Item, tag: str) -> Action:
    if rng.random() < 0.5:
        return Action("add_label", item.id, item.account, {"label": tag})
    return Action("comment", item.id, item.account, {"body": tag})


def _transition(status: str) -> str | None:
    names = [t.name for t in WORKFLOW if status in t.sources]
    return names[0] if names else None


def batches(rng: random.Random, actions: list[Action]) -> list[list[Action]]:
    """Group the stream as a user would send it: mostly one at a time, sometimes a bulk
    selection (2-6 actions; Jira transitions of one name go together, as a bulk move)."""
    out: list[list[Action]] = []
    i = 0
    while i < len(actions):
        size = 1 if rng.random() < 0.7 else rng.randint(2, 6)
        out.append(actions[i : i + size])
        i += size
    return out


def to_json(action: Action) -> dict[str, Any]:
    return {
        "kind": action.kind,
        "item_id": action.item_id,
        "account": action.account,
        "params": dict(action.params),
    }


def from_json(data: dict[str, Any]) -> Action:
    return Action(data["kind"], data["item_id"], data["account"], dict(data["params"]))

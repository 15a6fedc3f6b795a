"""How often each outbox entry's action landed, read from the simulator's mutation log and
its state (the log names a Jira comment or a Slack message; its text holds the marker)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from zen_tui.services import adf
from zen_tui.services.markers import html_marker, zw_keys


def applied_counts(sim: Any, entries: list[Any]) -> dict[str, int]:
    """entry id -> times its action was applied at the simulator."""
    log = sim.counters()["mutation_log"]
    github_comments = [m.get("body") or "" for m in _of(log, "github", "comment")]
    labels = Counter(m.get("label") for m in _of(log, "github", "label_added"))
    reactions = Counter(m.get("name") for m in _of(log, "slack", "reaction"))
    transitions = Counter(m.get("key") for m in _of(log, "jira", "transition"))
    jira_keys = Counter(k for m in _of(log, "jira", "comment") for k in _jira_keys(sim, m))
    slack_keys = Counter(k for m in _of(log, "slack", "message") for k in _slack_keys(sim, m))
    out = {}
    for entry in entries:
        action, key = entry.action, entry.idempotency_key
        service = _service(sim, action.account)
        if service == "github" and action.kind == "comment":
            out[entry.id] = sum(1 for body in github_comments if html_marker(key) in body)
        elif service == "github":
            out[entry.id] = labels[action.params["label"]]
        elif service == "jira" and action.kind == "transition":
            out[entry.id] = transitions[action.item_id.split(":", 1)[1]]
        elif service == "jira":
            out[entry.id] = jira_keys[key]
        elif action.kind == "react":
            out[entry.id] = reactions[action.params["name"]]
        else:
            out[entry.id] = slack_keys[key]
    return out


def _of(log: list[dict[str, Any]], service: str, kind: str) -> list[dict[str, Any]]:
    return [m for m in log if m["service"] == service and m["kind"] == kind]


def _service(sim: Any, account: str) -> str:
    return next(a.service for a in sim.accounts if a.name == account)


def _jira_keys(sim: Any, record: dict[str, Any]) -> list[str]:
    issue = sim.world.services["jira"].issues[record["key"]]
    body = next(c.body for c in issue.comments if c.id == record["comment"])
    return zw_keys(adf.to_text(body))


def _slack_keys(sim: Any, record: dict[str, Any]) -> list[str]:
    message = sim.world.services["slack"].channels[record["channel"]].messages[record["ts"]]
    return zw_keys(message.text)

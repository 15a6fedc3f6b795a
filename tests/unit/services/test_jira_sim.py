"""The Jira client against the simulator over loopback. Rich text as the real editor stores
it: a pasted link (inlineCard), an emoji and a status lozenge carry no `text` child, so a
reader that only joins text nodes drops them (developer.atlassian.com/cloud/jira/platform/
apis/document/nodes/inlineCard, emoji, status, date). And the search's eventual consistency:
the refresh after a write names the issue in reconcileIssues."""

from __future__ import annotations

from typing import Any

from zen_tui.models import Action, Issue
from zen_tui.services import adf
from zen_tui.simulator.jira.service import JiraSim

from .conftest import section


def test_inline_nodes_without_text_children_are_read() -> None:
    paragraph = {
        "type": "paragraph",
        "content": [
            {"type": "text", "text": "See "},
            {"type": "inlineCard", "attrs": {"url": "https://example.com/pr/1"}},
            {"type": "text", "text": " "},
            {"type": "emoji", "attrs": {"shortName": ":eyes:", "text": "\U0001f440"}},
            {"type": "emoji", "attrs": {"shortName": ":awthanks:"}},  # no text: the name
            {"type": "status", "attrs": {"text": "IN REVIEW", "color": "blue"}},
            {"type": "date", "attrs": {"timestamp": "1582152559000"}},
        ],
    }
    card = {"type": "blockCard", "attrs": {"url": "https://example.com/doc"}}
    doc = {"type": "doc", "version": 1, "content": [paragraph, card]}
    assert adf.to_text(doc) == (
        "See https://example.com/pr/1 \U0001f440:awthanks:[IN REVIEW]2020-02-19\n"
        "https://example.com/doc"
    )
    broken = {"type": "doc", "version": 1, "content": [{"type": "date", "attrs": {}}]}
    assert adf.to_text(broken) == ""  # a malformed node reads as nothing, never raises


async def test_the_preview_shows_a_pasted_link_from_the_simulator(
    sim: Any, sim_client: Any
) -> None:
    jira: JiraSim = sim.world.services["jira"]
    seeded = next(i for i in jira.issues.values() if (i.id - 10000) % 7 == 3)
    url = next(
        n["attrs"]["url"]
        for block in seeded.description["content"]
        for n in block.get("content", [])
        if n["type"] == "inlineCard"
    )
    client = sim_client("jira")
    found = await client.fetch_section(section("jira", f"key = {seeded.key}"))
    [item] = found.items
    assert isinstance(item, Issue)
    detail = await client.details(item)
    assert f"Related: {url} \U0001f440 [IN REVIEW]" in detail.body


async def test_the_refresh_after_a_transition_reads_through_the_search_index(
    sim: Any, sim_client: Any
) -> None:
    """Jira's search trails writes (here by 60 s); the client names the issues it changed in
    reconcileIssues, so the refresh right after a transition shows it, not the old copy."""
    jira: JiraSim = sim.world.services["jira"]
    client = sim_client("jira")
    open_work = section("jira", 'status = "To Do" ORDER BY key')
    before = (await client.fetch_section(open_work)).items
    todo = next(i for i in before if isinstance(i, Issue))
    jira.search_lag = 60.0
    try:
        await client.fetch_section(open_work)  # the index holds every issue as it is now
        start = Action("transition", todo.id, todo.account, {"to": "In Progress"})
        result = await client.apply(start, idempotency_key="reconcile-1")
        assert result.ok, result
        after = (await client.fetch_section(open_work)).items
    finally:
        jira.search_lag = 0.0
    assert todo.id not in {i.id for i in after}  # In Progress: out of the section at once

"""The Jira client against the simulator over loopback."""

from __future__ import annotations

import msgspec
import pytest

from zen_tui.gateway.errors import QueryRefused
from zen_tui.models import Action, Issue
from zen_tui.sync.freshness import reason_for

from .conftest import section


def act(item: Issue, kind: str, **params: str) -> Action:
    return Action(kind=kind, item_id=item.id, account="jira", params=params)  # type: ignore[arg-type]


async def test_default_section_and_paging(sim_client, monkeypatch) -> None:
    jira = sim_client("jira")
    mine = await jira.fetch_section(section("jira", "", pane="issues"))
    assert mine.items and mine.complete
    assert all(isinstance(i, Issue) and i.key in i.url for i in mine.items)

    monkeypatch.setattr("zen_tui.services.jira.PAGE", 3)  # several nextPageToken pages
    everything = await jira.fetch_section(
        section("jira", "project = ZEN ORDER BY key ASC"), limit=1000
    )
    assert len(everything.items) > 6 and everything.complete
    assert len({i.key for i in everything.items}) == len(everything.items)

    delta = await jira.fetch_section(
        section("jira", "project = ZEN ORDER BY key ASC"), cursor=everything.cursor
    )
    assert {i.key for i in delta.items} <= {i.key for i in everything.items}
    assert len(delta.items) < len(everything.items)


async def test_transition_comment_assign_verify(sim_client) -> None:
    jira = sim_client("jira")
    issue = (await jira.fetch_section(section("jira", ""))).items[0]
    detail = await jira.details(issue)
    assert detail.transitions

    bogus = await jira.apply(act(issue, "transition", transition="Teleport"), idempotency_key="j0")
    assert bogus.conflict and "available:" in bogus.message

    move = act(issue, "transition", transition=detail.transitions[0].lower())
    assert (await jira.apply(move, idempotency_key="j1")).ok
    assert await jira.verify(move, idempotency_key="j1") is True

    comment = act(issue, "comment", body="Picked up")
    assert await jira.verify(comment, idempotency_key="j2") is False
    assert (await jira.apply(comment, idempotency_key="j2")).ok
    assert await jira.verify(comment, idempotency_key="j2") is True
    assert any("Picked up" in text for _, text in (await jira.details(issue)).comments)

    for kind in ("unassign", "assign"):
        assert (await jira.apply(act(issue, kind), idempotency_key=f"j-{kind}")).ok
        assert await jira.verify(act(issue, kind), idempotency_key=f"j-{kind}") is True


async def test_bulk_transition_one_call_plus_polls(sim_client, sim) -> None:
    jira = sim_client("jira")
    # one workflow, one status: the lookup's common transitions are each issue's own
    todo = "project = ZEN AND status = 'To Do' ORDER BY key ASC"
    issues = (await jira.fetch_section(section("jira", todo), limit=12)).items
    # Half of them: the module shares one simulator, and later tests need a To Do issue.
    issues = issues[: len(issues) // 2]
    assert len(issues) > 1
    target = (await jira.details(issues[0])).transitions[0]
    sim.reset_counters()
    seen: list[tuple[int, int]] = []
    results = await jira.bulk_apply(
        [act(i, "transition", transition=target) for i in issues],
        [f"b{n}" for n in range(len(issues))],
        lambda done, total: seen.append((done, total)),
    )
    assert seen[-1] == (len(issues), len(issues))
    calls = {
        (c["endpoint"], c.get("method", "")): c["count"]
        for c in sim.counters()["requests"]
        if "bulk" in c["endpoint"]
    }
    posts = [
        n for (endpoint, _), n in calls.items() if endpoint.endswith("/bulk/issues/transition")
    ]
    assert sum(posts) <= 2  # the lookup (if any) plus ONE bulk POST per transition id
    assert any("/bulk/queue/" in endpoint for endpoint, _ in calls)
    assert await jira.verify(act(issues[0], "transition", transition=target), idempotency_key="b0")
    # The first issue certainly allows it; others may not (another workflow state): those are
    # either done, refused with the reason, or left to per-item verification.
    assert results[0].ok or not results[0].conflict
    assert all(r.ok or r.message for r in results)


async def test_a_bulk_refusal_says_jiras_reason(sim_client, sim) -> None:
    """Jira's bulk API answers a 400 with BulkOperationErrorResponse ({"errors": [{"message"}]},
    not ErrorCollection): each action's result carries that message, not a bare "Bad Request"."""
    jira = sim_client("jira")
    issue = (await jira.fetch_section(section("jira", ""))).items[0]
    ghost = msgspec.structs.replace(issue, id="jira:NOPE-404", key="NOPE-404")
    moves = [act(i, "transition", transition="Done") for i in (issue, ghost)]
    results = await jira.bulk_apply(moves, ["g0", "g1"], lambda done, total: None)
    wanted = "Some of the issues in the issueIdsOrKeys are not valid"
    assert [(r.ok, wanted in r.message) for r in results] == [(False, True)] * 2


def preview_reads(sim) -> int:
    """GETs the simulator answered for an issue's preview: the issue and its transitions."""
    return sum(
        r["count"]
        for r in sim.counters()["requests"]
        if r["service"] == "jira"
        and r["endpoint"] in ("/rest/api/3/issue/{key}", "/rest/api/3/issue/{key}/transitions")
    )


async def test_the_preview_reads_through_the_cache_also_during_an_outage(sim_client, sim):
    """Moving the cursor back and forth asks the server once per part within the
    issue_details TTL; an outage meanwhile changes nothing on screen."""
    jira = sim_client("jira")
    issue = (await jira.fetch_section(section("jira", ""))).items[0]
    before = preview_reads(sim)
    first = await jira.details(issue)
    assert first.error is None and first.transitions
    assert preview_reads(sim) == before + 2
    for _ in range(3):  # the cursor comes back to it
        assert await jira.details(issue) == first
    assert preview_reads(sim) == before + 2
    sim.set_faults([{"service": "jira", "outage": True}])
    try:
        assert await jira.details(issue) == first
    finally:
        sim.clear_faults()
    assert preview_reads(sim) == before + 2


@pytest.mark.parametrize("word", ["ZEN", "averyveryverylongwordwhereanoperatorwasdue"])
async def test_a_jql_syntax_error_says_where_in_jiras_words(sim_client, word: str) -> None:
    """The simulator answers a JQL syntax error as Jira does (its operator sentence lists the
    twelve valid operators, then the position); the section's reason keeps Jira's words and,
    however long they are, where in the query the mistake is."""
    jira = sim_client("jira")
    with pytest.raises(QueryRefused) as info:
        await jira.fetch_section(section("jira", f"project {word} = ZEN", pane="issues"))
    reason = reason_for(info.value)
    assert reason is not None and reason.startswith(
        f"jira refused the query: Error in the JQL Query: Expecting operator but got '{word}'."
    )
    assert reason.endswith(" (line 1, character 9)")
    assert len(info.value.message) <= 200


# Each write zen-tui sends, as (kind, params, the endpoint glob and method it is sent to).
WRITES = [
    ("comment", {"body": "x"}, "*/issue/*/comment", "POST"),
    ("transition", {"transition": "Start Progress"}, "*/issue/*/transitions", "POST"),
    ("unassign", {}, "*/issue/*/assignee", "PUT"),
    ("edit", {"summary": "renamed"}, "*/issue/*", "PUT"),
]


@pytest.mark.parametrize("status", [400, 403, 404, 409, 413, 422])
@pytest.mark.parametrize(("kind", "params", "endpoint", "method"), WRITES)
async def test_each_documented_refusal_of_a_write_is_one_final_outcome(
    sim_client, sim, kind, params, endpoint, method, status
) -> None:
    """A write Jira refuses with a status its spec lists for it (400 bad input, 403, 404, 409
    conflicting update, 413 per-issue limit, 422 configuration): the action ends refused with
    Jira's reason, after ONE request (a refusal is never resent), and nothing is raised."""
    jira = sim_client("jira")
    todo = "project = ZEN AND status = 'To Do' ORDER BY key ASC"
    issue = (await jira.fetch_section(section("jira", todo))).items[0]
    sim.set_faults(
        [
            {
                "service": "jira",
                "endpoint": endpoint,
                "method": method,
                "error_rate": 1.0,
                "statuses": [status],
            }
        ]
    )
    sim.reset_counters()
    try:
        result = await jira.apply(act(issue, kind, **params), idempotency_key=f"{kind}{status}")
    finally:
        sim.clear_faults()
    assert (result.ok, result.conflict) == (False, True)
    assert str(status) in result.message and "simulated server error" in result.message
    refused = [c["count"] for c in sim.counters()["requests"] if c["status"] == status]
    assert refused == [1], sim.counters()["requests"]


async def test_without_the_bulk_change_permission_a_bulk_move_goes_one_by_one(
    sim_client, sim
) -> None:
    """Jira's bulk API needs the global "Make bulk changes" permission: without it both of its
    endpoints answer 403. The issues' own transitions need only the project's: the selection
    is moved one issue at a time, not refused whole."""
    jira = sim_client("jira")
    todo = "status = 'To Do' ORDER BY key ASC"
    issues = (await jira.fetch_section(section("jira", todo), limit=3)).items
    assert len(issues) == 3
    service = sim.world.services["jira"]
    service.bulk_change = False
    sim.reset_counters()
    seen: list[tuple[int, int]] = []
    try:
        results = await jira.bulk_apply(
            [act(i, "transition", transition="Start Progress") for i in issues],
            [f"nb{n}" for n in range(3)],
            lambda done, total: seen.append((done, total)),
        )
    finally:
        service.bulk_change = True
    assert [r.ok for r in results] == [True] * 3, results
    assert [service.issues[i.key].status for i in issues] == ["3"] * 3  # In Progress
    assert seen[-1] == (3, 3) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    # the lookup's 403 and the submit's: the two bulk requests; then the issues' own
    refused = [
        (c["endpoint"], c["count"]) for c in sim.counters()["requests"] if c["status"] == 403
    ]
    assert refused == [("/rest/api/3/bulk/issues/transition", 2)], refused

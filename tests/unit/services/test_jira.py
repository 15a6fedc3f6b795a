"""Jira: search/jql parsing and paging, JQL deltas, transitions by name, ADF, bulk."""

from __future__ import annotations

import json
from datetime import UTC

import httpx
import pytest

from zen_tui.gateway.errors import ApiGone, BadResponse
from zen_tui.models import Action, Issue
from zen_tui.services import adf
from zen_tui.services.base import MAX_EMPTY_PAGES
from zen_tui.services.jira import JiraClient
from zen_tui.services.jira_parse import FIELDS, cursor_of, iso_updated, with_cursor, zone_of
from zen_tui.services.markers import zw_keys, zw_marker

from .conftest import BASES, Account, body_of, load, section

SITE = BASES["jira"]
API = f"{SITE}/rest/api/3"
EX = "jira-cloud-platform/examples"
KEY = "jk-1"


def issue(key: str, updated: str = "2024-05-01T10:20:30.000+0000", **fields) -> dict:
    return {
        "id": "1",
        "key": key,
        "fields": {
            "summary": f"Summary {key}",
            "status": {"name": "To Do"},
            "assignee": {"displayName": "Mia", "accountId": "acc-1"},
            "priority": {"name": "High"},
            "labels": ["a", "b"],
            "updated": updated,
            "project": {"key": key.split("-")[0]},
            "description": adf.from_text("line one\nline two"),
            **fields,
        },
    }


async def test_contract_example_parses(jira, router, contracts) -> None:
    router.post(f"{API}/search/jql").respond(
        200, json=load(contracts, f"{EX}/POST_search_jql.200.json")
    )
    result = await jira.fetch_section(section("jira", "project = ED", pane="issues"))
    [item] = result.items
    assert isinstance(item, Issue)
    assert (item.id, item.key, item.service, item.account) == ("jira:ED-1", "ED-1", "jira", "jira")
    assert item.url == f"{SITE}/browse/ED-1"
    assert item.project == "EX"
    assert item.body == "Main order flow broken"  # a v2-style plain description
    assert item.updated_at == "1970-01-01T00:00:00.001000Z"  # the example's updated: 1 (millis)
    assert result.complete


async def test_fields_map_exactly(jira, router) -> None:
    router.post(f"{API}/search/jql").respond(200, json={"issues": [issue("AB-7")], "isLast": True})
    [item] = (await jira.fetch_section(section("jira", "x", pane="issues"))).items
    assert item.title == "Summary AB-7"
    assert (item.status, item.assignee, item.priority) == ("To Do", "Mia", "High")
    assert item.labels == ("a", "b")
    assert item.project == "AB"
    assert item.body == "line one\nline two"
    assert item.updated_at == "2024-05-01T10:20:30Z"


async def test_next_page_token_until_is_last(jira, router) -> None:
    pages = iter(
        [
            {"issues": [issue("A-1")], "nextPageToken": "t2", "isLast": False},
            {"issues": [issue("A-2", "2024-06-01T08:00:00.000+0200")], "nextPageToken": "t3"},
            {"issues": [issue("A-3")], "isLast": True},
        ]
    )
    route = router.post(f"{API}/search/jql").mock(
        side_effect=lambda request: httpx.Response(200, json=next(pages))
    )
    result = await jira.fetch_section(section("jira", "project = A ORDER BY updated DESC"))
    bodies = [body_of(c) for c in route.calls]
    assert [b.get("nextPageToken") for b in bodies] == [None, "t2", "t3"]
    assert bodies[0]["fields"] == FIELDS
    assert bodies[0]["jql"] == "project = A ORDER BY updated DESC"
    assert [i.key for i in result.items] == ["A-1", "A-2", "A-3"]
    # The newest update (06:00 UTC) as a minute in the user's zone: Sydney is UTC+10 in June.
    assert result.cursor == "2024-06-01 16:00"
    assert result.complete


async def test_limit_stops_paging(jira, router) -> None:
    route = router.post(f"{API}/search/jql").respond(
        200, json={"issues": [issue("A-1"), issue("A-2")], "nextPageToken": "t2", "isLast": False}
    )
    result = await jira.fetch_section(section("jira", "project = A"), limit=2)
    assert route.call_count == 1
    assert body_of(route.calls[0])["maxResults"] == 2
    assert not result.complete


async def test_delta_cursor_is_anded_into_the_jql(jira, router) -> None:
    route = router.post(f"{API}/search/jql").respond(200, json={"issues": [], "isLast": True})
    result = await jira.fetch_section(
        section("jira", "project = A ORDER BY updated DESC"), cursor="2024-05-01 10:20"
    )
    assert body_of(route.calls[0])["jql"] == (
        '(project = A) AND updated >= "2024-05-01 10:20" ORDER BY updated DESC'
    )
    assert result.cursor == "2024-05-01 10:20"  # nothing new: keep the cursor


def test_jql_helpers() -> None:
    assert with_cursor("", "2024-01-01 00:00") == 'updated >= "2024-01-01 00:00"'
    assert with_cursor("a = b order by x", None) == "a = b order by x"
    # ORDER BY inside a quoted value (either quote, escaped quotes within) is the value's
    assert with_cursor('t ~ "a \\" order by b" ORDER BY c', "2024-01-01 00:00") == (
        '(t ~ "a \\" order by b") AND updated >= "2024-01-01 00:00" ORDER BY c'
    )
    assert with_cursor("t ~ 'x order by y'", "2024-01-01 00:00") == (
        "(t ~ 'x order by y') AND updated >= \"2024-01-01 00:00\""
    )
    assert cursor_of(["2024-01-01T00:00:59Z", "", "2023-12-31T23:00:00Z"]) == "2024-01-01 00:00"
    west = zone_of("America/Los_Angeles")
    assert cursor_of(["2024-01-01T00:00:00Z"], west) == "2023-12-31 16:00"
    assert zone_of("Not/AZone") is UTC and zone_of(None) is UTC
    assert iso_updated("2024-01-01T01:00:00.000+0100") == "2024-01-01T00:00:00Z"


async def test_gone_search_says_what_to_do(jira, router) -> None:
    router.post(f"{API}/search/jql").respond(410, json={"errorMessages": ["removed"]})
    with pytest.raises(ApiGone) as info:
        await jira.fetch_section(section("jira", "x"))
    assert "Jira issue search" in str(info.value) and "removed by the provider" in str(info.value)


@pytest.mark.parametrize(
    ("body", "what"),
    [
        ({"issues": "none"}, "field 'issues' has type str"),
        ({"issues": [], "isLast": "yes"}, "field 'isLast' has type str"),
        ([], "expected a JSON object"),
    ],
)
async def test_malformed_search_is_bad_response(jira, router, body, what) -> None:
    router.post(f"{API}/search/jql").respond(200, json=body)
    with pytest.raises(BadResponse) as info:
        await jira.fetch_section(section("jira", "x"))
    assert what in str(info.value)
    assert "/search/jql" in info.value.detail()


@pytest.mark.parametrize(
    "bad",
    [{"fields": {}}, {"key": 5}, {"key": "A-9", "fields": {"status": "Done"}}],
)
async def test_a_malformed_issue_is_skipped_not_its_page(jira, router, bad) -> None:
    body = {"issues": [issue("A-1"), bad, issue("A-2")], "isLast": True}
    router.post(f"{API}/search/jql").respond(200, json=body)
    result = await jira.fetch_section(section("jira", "x"))
    assert [i.key for i in result.items] == ["A-1", "A-2"]
    assert result.skipped == 1 and result.complete


async def test_empty_pages_with_new_tokens_stop(jira, router) -> None:
    tokens = iter(range(1000))
    route = router.post(f"{API}/search/jql").mock(
        side_effect=lambda request: httpx.Response(
            200, json={"issues": [], "nextPageToken": f"t{next(tokens)}", "isLast": False}
        )
    )
    result = await jira.fetch_section(section("jira", "x"))
    assert route.call_count == MAX_EMPTY_PAGES
    assert not result.complete and "empty pages in a row" in str(result.stale_error)


def test_adf_to_text(contracts) -> None:
    doc = load(contracts, f"{EX}/POST_issue_issueIdOrKey_comment.request.json")["body"]
    assert adf.to_text(doc).startswith("Lorem ipsum dolor sit amet")
    assert adf.to_text(adf.from_text("a\nb")) == "a\nb"
    assert adf.to_text(None) == ""


def _text(text: str) -> dict[str, object]:
    return {"type": "text", "text": text}


def _node(kind: str, *content: dict[str, object], **attrs: str) -> dict[str, object]:
    return {"type": kind, "content": list(content), **({"attrs": attrs} if attrs else {})}


def test_adf_to_text_ends_each_block_with_a_line_and_reads_inline_atoms() -> None:
    doc = _node(
        "doc",
        _node("heading", _text("Title")),
        _node(
            "paragraph",
            _text("Hi "),
            {"type": "mention", "attrs": {"id": "u1", "text": "@Ann"}},
            _text(", see"),
            {"type": "hardBreak"},
            {"type": "inlineCard", "attrs": {"url": "https://x.test/1"}},
            {"type": "status", "attrs": {"text": "DONE"}},
            {"type": "date", "attrs": {"timestamp": "1700000000000"}},
        ),
        _node(
            "bulletList",
            _node("listItem", _node("paragraph", _text("one"))),
            _node(
                "listItem",
                _node("paragraph", _text("two")),
                _node("bulletList", _node("listItem", _text("in"))),
            ),
        ),
        _node("rule"),
        {"type": "blockCard", "attrs": {"url": "https://x.test/2"}},
        {"type": "mention", "attrs": {"id": "u2"}},
    )
    assert adf.to_text(doc) == (
        "Title\nHi @Ann, see\nhttps://x.test/1[DONE]2023-11-14\none\ntwo\nin\nhttps://x.test/2\n@u2"
    )


def test_adf_nested_deeper_than_the_stack_still_reads() -> None:
    """A description nested just under what json.loads reads (~1000 levels) overflowed the
    recursive walk, which runs a few frames further down: RecursionError failed the page."""
    doc: dict[str, object] = _text("deep down")
    for _ in range(5_000):
        doc = _node("paragraph", doc)
    assert adf.to_text(doc) == "deep down"


# ---- actions --------------------------------------------------------------------------------


def act(kind: str, key: str = "AB-7", **params: str) -> Action:
    return Action(kind=kind, item_id=f"jira:{key}", account="jira", params=params)  # type: ignore[arg-type]


@pytest.fixture
def transitions(router, contracts):
    body = load(contracts, f"{EX}/GET_issue_issueIdOrKey_transitions.200.json")
    return router.get(f"{API}/issue/AB-7/transitions").respond(200, json=body)


async def test_transition_by_name_case_insensitive(jira, router, transitions, contracts) -> None:
    names = [
        t["name"]
        for t in load(contracts, f"{EX}/GET_issue_issueIdOrKey_transitions.200.json")["transitions"]
    ]
    post = router.post(f"{API}/issue/AB-7/transitions").respond(204)
    result = await jira.apply(act("transition", transition=names[0].upper()), idempotency_key=KEY)
    assert result.ok
    assert body_of(post.calls[0]) == {"transition": {"id": "2"}}


async def test_unknown_transition_lists_the_available_ones(jira, router, transitions) -> None:
    """Asked by transition name: the refusal lists the transitions by name, each with the
    status it leads to, and says where the issue is (one read of its status)."""
    router.get(f"{API}/issue/AB-7").respond(200, json={"fields": {"status": {"name": "To Do"}}})
    post = router.post(f"{API}/issue/AB-7/transitions").respond(204)
    result = await jira.apply(act("transition", transition="Teleport"), idempotency_key=KEY)
    assert (result.ok, result.conflict) == (False, True)
    assert result.message == (
        'no transition "Teleport" from "To Do"; '
        "available: Close Issue (to In Progress), QA Review (to Closed)"
    )
    assert not post.called


async def test_a_status_no_transition_leads_to_is_refused_in_statuses(
    jira, router, transitions
) -> None:
    """Asked by target status (to=), the refusal speaks of statuses: the ones the issue can
    move to, each with its transition's name, not a list of transition names."""
    router.get(f"{API}/issue/AB-7").respond(200, json={"fields": {"status": {"name": "To Do"}}})
    post = router.post(f"{API}/issue/AB-7/transitions").respond(204)
    result = await jira.apply(act("transition", to="Nope"), idempotency_key=KEY)
    assert (result.ok, result.conflict) == (False, True)
    assert result.message == (
        'no transition to status "Nope" from "To Do"; '
        "available: In Progress (Close Issue), Closed (QA Review)"
    )
    assert not post.called


async def test_a_refusal_without_the_issues_status_still_lists_the_moves(
    jira, router, transitions
) -> None:
    router.get(f"{API}/issue/AB-7").respond(404, json={"errorMessages": ["gone"]})
    result = await jira.apply(act("transition", to="Nope"), idempotency_key=KEY)
    assert result.message == (
        'no transition to status "Nope"; available: In Progress (Close Issue), Closed (QA Review)'
    )


async def test_assign_to_me_and_unassign(jira, router, myself) -> None:
    me = myself
    put = router.put(f"{API}/issue/AB-7/assignee").respond(204)
    assert (await jira.apply(act("assign"), idempotency_key=KEY)).ok
    assert (await jira.apply(act("assign"), idempotency_key="k2")).ok
    assert (await jira.apply(act("unassign"), idempotency_key="k3")).ok
    assert [body_of(c) for c in put.calls] == [
        {"accountId": "5b10a2844c20165700ede21g"},
        {"accountId": "5b10a2844c20165700ede21g"},
        {"accountId": None},
    ]
    assert me.call_count == 1  # cached


async def test_comment_is_adf_with_a_hidden_marker(jira, router) -> None:
    post = router.post(f"{API}/issue/AB-7/comment").respond(201, json={"id": "1"})
    assert (await jira.apply(act("comment", body="On it"), idempotency_key=KEY)).ok
    sent = body_of(post.calls[0])["body"]
    assert sent["type"] == "doc" and sent["version"] == 1
    text = adf.to_text(sent)
    assert text.startswith("On it") and zw_keys(text) == [KEY]

    router.get(f"{API}/issue/AB-7/comment").respond(200, json={"comments": [{"body": sent}]})
    assert await jira.verify(act("comment", body="On it"), idempotency_key=KEY) is True
    assert await jira.verify(act("comment", body="On it"), idempotency_key="nope") is False


async def test_verify_transition_and_assignee(jira, router, transitions) -> None:
    router.post(f"{API}/issue/AB-7/transitions").respond(204)
    await jira.apply(act("transition", transition="close issue"), idempotency_key=KEY)
    router.get(f"{API}/issue/AB-7").respond(
        200, json={"fields": {"status": {"name": "In Progress"}, "assignee": None}}
    )
    assert await jira.verify(act("transition", transition="close issue"), idempotency_key=KEY)
    assert await jira.verify(act("unassign"), idempotency_key=KEY) is True
    assert await jira.verify(act("transition", transition="x"), idempotency_key="unknown") is None


async def test_conflicting_transition_409_is_final(jira, router, transitions) -> None:
    router.post(f"{API}/issue/AB-7/transitions").respond(409, json={"errorMessages": ["conflict"]})
    result = await jira.apply(act("transition", transition="Close Issue"), idempotency_key=KEY)
    assert result.conflict and "409" in result.message


def test_marker_roundtrip() -> None:
    key = "ünïcode-key:42"
    assert zw_keys("text" + zw_marker(key)) == [key]
    assert zw_keys("plain") == []


async def test_details_show_body_comments_and_transitions(jira, router, transitions) -> None:
    router.get(f"{API}/issue/AB-7").respond(
        200,
        json={
            "fields": {
                "description": adf.from_text("desc"),
                "comment": {
                    "comments": [
                        {
                            "author": {"displayName": "Al"},
                            "body": adf.from_text("hi" + zw_marker("k")),
                        }
                    ]
                },
            }
        },
    )
    item = Issue(
        id="jira:AB-7", account="jira", service="jira", key="AB-7", title="", url="", updated_at=""
    )
    detail = await jira.details(item)
    assert detail.body == "desc"
    assert detail.comments == (("Al", "hi"),)
    assert detail.transitions[0] == "Close Issue"


def test_webhook_issue_payload(jira) -> None:
    [item] = jira.items_for_webhook("jira:issue_updated", {"issue": issue("AB-9")})
    assert item.key == "AB-9" and item.status == "To Do"
    assert jira.items_for_webhook("jira:issue_deleted", {"issue": issue("AB-9")}) == []


# ---- bulk -----------------------------------------------------------------------------------


async def test_bulk_transition_of_200_issues(jira, router, clock) -> None:
    keys = [f"B-{n}" for n in range(200)]
    available = router.get(f"{API}/bulk/issues/transition").respond(
        200,
        json={
            "availableTransitions": [
                {
                    "issues": keys,
                    "transitions": [
                        {
                            "transitionId": 31,
                            "transitionName": "Done",
                            "to": {"statusName": "Done"},
                        },
                        {
                            "transitionId": 21,
                            "transitionName": "In Progress",
                            "to": {"statusName": "In Progress"},
                        },
                    ],
                }
            ]
        },
    )
    bulk = router.post(f"{API}/bulk/issues/transition").respond(201, json={"taskId": "10641"})
    states = iter(
        [
            {"status": "ENQUEUED", "progressPercent": 0},
            {
                "status": "RUNNING",
                "progressPercent": 50,
                "processedAccessibleIssues": list(range(100)),
            },
            {
                "status": "COMPLETE",
                "progressPercent": 100,
                "processedAccessibleIssues": list(range(200)),
                "invalidOrInaccessibleIssueCount": 0,
            },
        ]
    )
    queue = router.get(f"{API}/bulk/queue/10641").mock(
        side_effect=lambda request: httpx.Response(200, json=next(states))
    )
    actions = [act("transition", key, transition="done") for key in keys]
    seen: list[tuple[int, int]] = []
    t0 = clock.time()

    results = await jira.bulk_apply(
        actions, [f"k{n}" for n in range(200)], lambda d, t: seen.append((d, t))
    )

    assert all(r.ok for r in results)
    assert available.call_count == 1 and bulk.call_count == 1 and queue.call_count == 3
    sent = body_of(bulk.calls[0])
    assert sent["bulkTransitionInputs"] == [{"selectedIssueIdsOrKeys": keys, "transitionId": "31"}]
    assert (100, 200) in seen and seen[-1] == (200, 200)
    assert clock.time() - t0 >= 0.5 + 1.0  # polls backed off on the fake clock


async def test_bulk_unknown_name_and_failed_task(jira, router) -> None:
    router.get(f"{API}/bulk/issues/transition").respond(
        200,
        json={
            "availableTransitions": [
                {
                    "isTransitionsFiltered": False,  # Done is all the workflow offers them
                    "issues": ["C-1", "C-2"],
                    "transitions": [{"transitionId": 5, "transitionName": "Done"}],
                }
            ]
        },
    )
    router.post(f"{API}/bulk/issues/transition").respond(201, json={"taskId": "7"})
    router.get(f"{API}/bulk/queue/7").respond(200, json={"status": "FAILED"})
    results = await jira.bulk_apply(
        [act("transition", "C-1", transition="Done"), act("transition", "C-2", transition="Nope")],
        ["a", "b"],
        lambda d, t: None,
    )
    assert results[0].conflict and "failed" in results[0].message
    assert results[1].conflict and results[1].message == 'no transition "Nope"; available: Done'


@pytest.mark.parametrize("flag", [True, None, False])
async def test_a_move_off_a_workflow_s_common_list_goes_on_its_own_unless_none_was_left_out(
    jira, router, flag
) -> None:
    """Jira lists per workflow only the transitions all its issues share. When it says some
    were left out (isTransitionsFiltered; or does not say), an issue asking for another may
    have it on its own: it is moved one by one, by its own transition. When it says none was
    left out, the move is open to none of them: refused by name, nothing more asked."""
    entry = group(["C-1", "C-2"])
    if flag is not None:
        entry["isTransitionsFiltered"] = flag
    router.get(f"{API}/bulk/issues/transition").respond(200, json={"availableTransitions": [entry]})
    router.post(f"{API}/bulk/issues/transition").respond(201, json={"taskId": "7"})
    done = {"status": "COMPLETE", "processedAccessibleIssues": [1], "totalIssueCount": 1}
    router.get(f"{API}/bulk/queue/7").respond(200, json=done)
    start = {"id": "11", "name": "Start", "to": {"name": "In Progress"}}
    own = router.get(f"{API}/issue/C-2/transitions").respond(200, json={"transitions": [start]})
    moved = router.post(f"{API}/issue/C-2/transitions").respond(204)
    results = await jira.bulk_apply(
        [act("transition", "C-1", transition="Done"), act("transition", "C-2", transition="Start")],
        ["a", "b"],
        lambda d, t: None,
    )
    assert results[0].ok
    if flag is False:
        assert results[1].conflict and 'no transition "Start"; available' in results[1].message
        assert not own.called and not moved.called
    else:
        assert results[1].ok and body_of(moved.calls[0]) == {"transition": {"id": "11"}}


def group(keys: list[str], name: str = "Done") -> dict:
    move = {"transitionId": 31, "transitionName": name, "to": {"statusName": name}}
    return {"issues": keys, "transitions": [move]}


async def test_bulk_lookup_follows_the_cursor_to_the_last_page(jira, router) -> None:
    """GET /bulk/issues/transition pages by cursor: each answer's startingAfter is sent back
    (with the same issues) until an answer has none."""
    pages = [
        {"availableTransitions": [group(["C-1"])], "startingAfter": "p2"},
        {"availableTransitions": [group(["C-2"])], "startingAfter": "p3", "endingBefore": "p1"},
        {"availableTransitions": [group(["C-3"], "Close")], "endingBefore": "p2"},
    ]
    listing = router.get(f"{API}/bulk/issues/transition").mock(
        side_effect=[httpx.Response(200, json=page) for page in pages]
    )
    moves = (await jira.available_moves(["C-3", "C-1", "C-2"])).by_key
    assert {k: [m[1] for m in v] for k, v in moves.items()} == {
        "C-1": ["Done"],
        "C-2": ["Done"],
        "C-3": ["Close"],
    }
    sent = [dict(call.request.url.params) for call in listing.calls]
    assert sent == [
        {"issueIdsOrKeys": "C-1,C-2,C-3"},
        {"issueIdsOrKeys": "C-1,C-2,C-3", "startingAfter": "p2"},
        {"issueIdsOrKeys": "C-1,C-2,C-3", "startingAfter": "p3"},
    ]


@pytest.mark.parametrize("cursors", [["same", "same"], ["a", "b"]])
async def test_a_bulk_lookup_cursor_that_never_ends_fails_saying_so(jira, router, cursors) -> None:
    """A cursor that comes back (or pages that list nothing new, yet name a next page) would
    be followed for ever: the lookup stops at the first page that lists no new issue, and
    nothing is moved on half a listing."""
    turn = iter(range(1000))

    def answer(request: httpx.Request) -> httpx.Response:
        n = next(turn)
        if n > 20:  # a client that kept following: fail the test rather than hang
            return httpx.Response(400, json={"errors": [{"message": "followed too long"}]})
        page = {"availableTransitions": [group(["C-1", "C-2"])]}
        return httpx.Response(200, json={**page, "startingAfter": cursors[n % 2]})

    listing = router.get(f"{API}/bulk/issues/transition").mock(side_effect=answer)
    post = router.post(f"{API}/bulk/issues/transition").respond(201, json={"taskId": "1"})
    with pytest.raises(BadResponse, match="page cursor never ends: page 2 lists no issue"):
        await jira.available_moves(["C-1", "C-2"])
    assert listing.call_count == 2
    results = await jira.bulk_apply(
        [act("transition", k, transition="Done") for k in ("C-1", "C-2")],
        ["a", "b"],
        lambda d, t: None,
    )
    assert [("cursor never ends" in r.message, r.ok) for r in results] == [(True, False)] * 2
    assert not post.called


async def test_bulk_without_the_lookup_endpoint_resolves_per_project(
    jira, router, contracts
) -> None:
    router.get(f"{API}/bulk/issues/transition").respond(405)
    body = load(contracts, f"{EX}/GET_issue_issueIdOrKey_transitions.200.json")
    per_issue = router.get(url__regex=rf"{API}/issue/[A-Z]+-\d+/transitions").respond(
        200, json=body
    )
    bulk = router.post(f"{API}/bulk/issues/transition").respond(201, json={"taskId": "9"})
    router.get(f"{API}/bulk/queue/9").respond(
        200,
        json={"status": "COMPLETE", "processedAccessibleIssues": [1, 2], "progressPercent": 100},
    )
    keys = ["P-1", "P-2", "Q-1"]
    results = await jira.bulk_apply(
        [act("transition", k, transition="Close Issue") for k in keys],
        ["a", "b", "c"],
        lambda d, t: None,
    )
    assert per_issue.call_count == 2  # one sample issue per project
    assert body_of(bulk.calls[0])["bulkTransitionInputs"][0]["selectedIssueIdsOrKeys"] == keys
    # Jira processed 2 of 3: which one failed is not said, so none is claimed done.
    assert not any(r.ok for r in results) and not any(r.conflict for r in results)


async def test_configured_account_id_saves_the_lookup(make_gateway, router, myself) -> None:
    jira = JiraClient(Account("jira", "jira", SITE, user="acc-x"), make_gateway("jira"))
    put = router.put(f"{API}/issue/AB-7/assignee").respond(204)
    assert (await jira.apply(act("assign"), idempotency_key=KEY)).ok
    assert body_of(put.calls[0]) == {"accountId": "acc-x"}
    assert not myself.called


@pytest.mark.parametrize(
    ("path", "kind", "params", "status", "body"),
    [
        ("comment", "comment", {"body": "hi"}, 201, b'{"id": "1",, '),  # garbled
        ("comment", "comment", {"body": "hi"}, 201, b""),  # cut to nothing
        ("transitions", "transition", {"transition": "Close Issue"}, 200, b"<html>proxy"),
    ],
)
async def test_a_garbled_2xx_to_a_write_is_bad_response_not_done(
    jira, router, transitions, path, kind, params, status, body
) -> None:
    """Such an answer says nothing about the outcome: the outbox must verify, not mark DONE."""
    router.post(f"{API}/issue/AB-7/{path}").respond(status, content=body)
    with pytest.raises(BadResponse, match="malformed JSON"):
        await jira.apply(act(kind, **params), idempotency_key=KEY)


async def test_no_content_answers_to_writes_are_done(jira, router, transitions) -> None:
    router.post(f"{API}/issue/AB-7/transitions").respond(204)
    router.put(f"{API}/issue/AB-7/assignee").respond(204)
    assert (await jira.apply(act("transition", transition="Close Issue"), idempotency_key=KEY)).ok
    assert (await jira.apply(act("unassign"), idempotency_key="k2")).ok


async def test_a_transitions_target_is_kept_before_the_post_and_verified_after_a_restart(
    jira, router, transitions, make_gateway, clock
) -> None:
    """After a crash the issue has moved on and no longer offers the transition by name:
    only the target kept before sending tells that it was applied."""
    kept: list[tuple[str, dict, int]] = []
    post = router.post(f"{API}/issue/AB-7/transitions").respond(204)
    jira.keep_resolved(lambda key, params: kept.append((key, dict(params), post.call_count)))
    await jira.apply(act("transition", transition="Close Issue"), idempotency_key=KEY)
    assert kept == [(KEY, {"to": "In Progress", "transition_id": "2"}, 0)]  # before the POST

    restarted = JiraClient(Account("jira", "jira", SITE), make_gateway("jira"), clock=clock)
    router.get(f"{API}/issue/AB-7").respond(
        200, json={"fields": {"status": {"name": "in progress"}}}
    )
    moved = act("transition", transition="Close Issue", **kept[0][1])
    assert await restarted.verify(moved, idempotency_key=KEY) is True
    assert (
        await restarted.verify(act("transition", transition="Close Issue"), idempotency_key=KEY)
        is None
    )


@pytest.mark.parametrize(
    ("asked", "now", "landed"),
    [
        ({"resolution": "fixed"}, {"id": "10002", "name": "Fixed"}, True),  # any case
        ({"resolution": "Fixed"}, {"id": "10001", "name": "Won't Do"}, False),
        ({"resolution": "Fixed"}, None, False),
        ({"fields": '{"resolution": {"id": "10002"}}'}, {"id": "10002", "name": "Fixed"}, True),
        ({"fields": '{"resolution": {"id": 10002}}'}, {"id": "10001", "name": "Won't Do"}, False),
        ({}, {"id": "10001", "name": "Won't Do"}, True),  # none asked: any will do
    ],
)
async def test_a_transition_that_set_a_resolution_is_verified_by_it_too(
    jira, router, asked, now, landed
) -> None:
    """In the status the transition leads to, but with another resolution (someone else
    resolved the issue meanwhile) is not the transition landing as asked."""
    router.get(f"{API}/issue/AB-7").respond(
        200, json={"fields": {"status": {"name": "Done"}, "resolution": now}}
    )
    move = act("transition", transition="Resolve", to="Done", **asked)
    assert await jira.verify(move, idempotency_key=KEY) is landed


async def test_written_issues_are_reconciled_on_every_page_at_most_50(jira, router) -> None:
    """reconcileIssues: the ids of the last 50 issues zen-tui wrote, the same list on each
    page (the spec: 'should be consistent with each paginated request across pages')."""
    pages = iter(
        [
            {"issues": [issue("A-1")], "nextPageToken": "t2", "isLast": False},
            {"issues": [issue("A-2")], "isLast": True},
        ]
    )
    route = router.post(f"{API}/search/jql").mock(
        side_effect=lambda request: httpx.Response(200, json=next(pages))
    )
    await jira.fetch_section(section("jira", "project = A"))
    assert "reconcileIssues" not in body_of(route.calls[0])  # nothing written yet
    jira.wrote("A-1")  # learnt from the search: its numeric id
    jira.wrote("NEVER-SEEN")  # no id known: nothing to name it by
    for n in range(1, 61):
        jira.wrote(f"B-{n}", str(20000 + n))
    jira.wrote("B-60", "20060")  # again: stays once, as the newest
    pages = iter(
        [
            {"issues": [issue("A-1")], "nextPageToken": "t2", "isLast": False},
            {"issues": [issue("A-2")], "isLast": True},
        ]
    )
    await jira.fetch_section(section("jira", "project = A"))
    first, second = (body_of(c) for c in route.calls[2:4])
    assert first["reconcileIssues"] == second["reconcileIssues"]
    assert first["reconcileIssues"] == list(range(20011, 20061))


async def test_a_write_while_paging_leaves_the_listings_reconcile_list_alone(jira, router) -> None:
    """A write that lands while a listing is between pages (the outbox runs beside the poll)
    joins the next listing's reconcileIssues, not this one's second page: Jira asks for the
    same list on every page of one search."""
    jira.wrote("A-1", "101")

    def answer(request: httpx.Request) -> httpx.Response:
        if "nextPageToken" not in json.loads(request.content):
            jira.wrote("B-1", "202")  # an action applied meanwhile
            return httpx.Response(200, json={"issues": [issue("A-1")], "nextPageToken": "t2"})
        return httpx.Response(200, json={"issues": [issue("A-2")], "isLast": True})

    route = router.post(f"{API}/search/jql").mock(side_effect=answer)
    await jira.fetch_section(section("jira", "project = A"))
    assert [body_of(c)["reconcileIssues"] for c in route.calls] == [[101], [101]]
    await jira.fetch_section(section("jira", "project = A"))
    assert body_of(route.calls[-1])["reconcileIssues"] == [101, 202]


# ---- offset pages: the changelog (PageBean) and createmeta (PageOfCreateMeta*) -------------


def history(n: int) -> dict:
    item = {"field": "labels", "fromString": f"l{n}", "toString": f"l{n + 1}"}
    return {
        "author": {"displayName": "Mia"},
        "created": f"2024-05-01T10:{n:02d}:00.000+0000",
        "items": [item],
    }


def pages_of(route, bodies: list[dict]) -> list[dict]:
    """Answer `bodies` in turn; the query params of each request, as they come."""
    asked: list[dict] = []
    answers = iter(bodies)

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(dict(request.url.params))
        return httpx.Response(200, json=next(answers, {"values": [], "issueTypes": []}))

    route.mock(side_effect=answer)
    return asked


@pytest.mark.parametrize(
    "ends",
    [
        {"isLast": False},  # PageBean: isLast decides
        {"total": 5},  # no isLast: the total of all pages does
        {},  # neither: on to an empty page
    ],
)
async def test_the_changelog_is_read_to_the_end_its_page_says(jira, router, ends) -> None:
    """Pages shorter than asked (Jira caps maxResults) and the end told by isLast, else by the
    total, else by an empty page: a changelog without isLast was cut after its first page."""
    route = router.get(f"{API}/issue/AB-7/changelog")
    last = {**ends, "isLast": True} if "isLast" in ends else ends
    asked = pages_of(
        route,
        [
            {"values": [history(0), history(1)], **ends},
            {"values": [history(2), history(3)], **ends},
            {"values": [history(4)], **last},
        ],
    )
    changes = await jira.editing.history("AB-7")
    assert [c.what for c in changes] == [f"labels: l{n} -> l{n + 1}" for n in (4, 3, 2, 1, 0)]
    starts = [a["startAt"] for a in asked]
    assert starts == (["0", "2", "4", "5"] if not ends else ["0", "2", "4"])


@pytest.mark.parametrize(
    ("total", "starts"),
    [
        (9, [0, 6, 8]),  # the count of all pages (as the spec's example has it): jump there
        (7, [0, 4, 6, 8]),  # too low (grown since): on from the jump to the page isLast ends
        (20, [0, 17, 2, 4, 6, 8]),  # too high: nothing there, so every page after the first
        (None, [0, 2, 4, 6, 8]),  # none: every page
    ],
)
async def test_the_changelog_read_is_its_newest_entries(jira, router, total, starts) -> None:
    """GET changelog pages oldest first: `history(limit=3)` of nine entries is the newest
    three, whatever PageBean's oddly documented `total` claims; it was the oldest three."""
    entries = [history(n) for n in range(9)]
    asked: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params["startAt"])
        asked.append(start)
        page = {"startAt": start, "isLast": start + 2 >= 9, "values": entries[start : start + 2]}
        return httpx.Response(200, json=page if total is None else {**page, "total": total})

    router.get(f"{API}/issue/AB-7/changelog").mock(side_effect=answer)
    changes = await jira.editing.history("AB-7", limit=3)
    assert [c.what for c in changes] == [f"labels: l{n} -> l{n + 1}" for n in (8, 7, 6)]
    assert asked == starts


async def test_a_changelog_whose_pages_never_end_fails_saying_so(jira, router, monkeypatch) -> None:
    """A server that ignores startAt and never marks a page last (the same page, isLast
    false, for ever) kept the history's tail read going: it stops at its bound, saying why."""
    from zen_tui.services import jira_parse

    monkeypatch.setattr(jira_parse, "TAIL_PAGES_MAX", 5)
    page = {"startAt": 0, "isLast": False, "values": [history(0), history(1)]}
    route = router.get(f"{API}/issue/AB-7/changelog").mock(
        return_value=httpx.Response(200, json=page)
    )
    with pytest.raises(BadResponse, match="pages of 'values' never end: 5 read"):
        await jira.editing.history("AB-7", limit=3)
    assert route.call_count == 6  # the first page, then the bound's five


async def test_createmeta_pages_end_at_their_total_and_a_pagebean_at_its_is_last(
    jira, router
) -> None:
    """createmeta documents no isLast, only the total of all pages; project/search is a
    PageBean, whose isLast decides (its total is documented as the items returned)."""
    types = router.get(f"{API}/issue/createmeta/OPS/issuetypes")
    asked = pages_of(
        types,
        [
            {"issueTypes": [{"id": "1", "name": "Bug"}], "startAt": 0, "total": 2},
            {"issueTypes": [{"id": "2", "name": "Task"}], "startAt": 1, "total": 2},
        ],
    )
    assert await jira.creating.issue_types("OPS") == [("1", "Bug"), ("2", "Task")]
    assert [a["startAt"] for a in asked] == ["0", "1"]  # no third request: the total is read

    projects = router.get(f"{API}/project/search")
    asked = pages_of(
        projects,
        [
            {"values": [{"key": "OPS", "name": "Ops"}], "total": 1, "isLast": False},
            {"values": [{"key": "WEB", "name": "Web"}], "total": 1, "isLast": True},
        ],
    )
    assert await jira.creating.projects() == [("OPS", "Ops"), ("WEB", "Web")]
    assert [a["startAt"] for a in asked] == ["0", "1"]


def transition(tid: str, name: str, to: str, **flags: object) -> dict:
    """One transition of GET .../transitions (IssueTransition), as Jira lists it."""
    base = {"isAvailable": True, "isConditional": False, "hasScreen": False}
    return {"id": tid, "name": name, "to": {"name": to}, **base, **flags}


@pytest.mark.parametrize(
    ("own", "one_by_one"),
    [
        ([transition("31", "Done", "Done")], False),  # the entry's list is each issue's own
        ([transition("31", "Done", "Done", isConditional=True)], True),  # a condition
        ([transition("31", "Done", "Done"), transition("41", "Back", "Open")], True),  # more
        ([transition("31", "Done", "Done"), transition("9", "Hide", "X", isAvailable=False)], True),
    ],
)
async def test_a_filtered_entry_of_one_status_is_checked_on_one_of_its_issues(
    jira, router, own, one_by_one
) -> None:
    """Asked per status, a workflow's entry saying some transitions were left out stands for
    all its issues when one of them has exactly its list and nothing with a condition (so the
    others, in the same status and workflow, have the same); else each is asked."""
    entry = {**group(["C-1", "C-2", "C-3"]), "isTransitionsFiltered": True}
    router.get(f"{API}/bulk/issues/transition").respond(200, json={"availableTransitions": [entry]})
    theirs = router.get(url__regex=rf"{API}/issue/C-\d/transitions").respond(
        200, json={"transitions": own}
    )
    moves = await jira.available_moves(
        ["C-1", "C-2", "C-3"], dict.fromkeys(["C-1", "C-2", "C-3"], "Open")
    )
    asked = [call.request.url.path.split("/")[-2] for call in theirs.calls]
    assert asked == (["C-1", "C-1", "C-2", "C-3"] if one_by_one else ["C-1"])
    assert dict(theirs.calls[0].request.url.params)["includeUnavailableTransitions"] == "true"
    done = [("31", "Done", "Done")]
    if not one_by_one:
        assert moves.by_key == dict.fromkeys(["C-1", "C-2", "C-3"], done)


async def test_the_lookup_is_asked_per_status_at_most_1000_issues_a_call(jira, router) -> None:
    """Jira's lookup lists per workflow the transitions common to all its issues asked: one
    call per status shown (unknown: one more), each of at most 1,000 keys, its documented
    limit. An entry of one issue, or saying nothing was left out, is taken as it is."""
    many = [f"C-{n}" for n in range(1, 1002)]
    shown = {**dict.fromkeys(many, "Open"), "D-1": "Done"}

    def answer(request: httpx.Request) -> httpx.Response:
        keys = request.url.params["issueIdsOrKeys"].split(",")
        entry = {**group(keys), "isTransitionsFiltered": False}
        return httpx.Response(200, json={"availableTransitions": [entry]})

    listing = router.get(f"{API}/bulk/issues/transition").mock(side_effect=answer)
    own = router.get(url__regex=rf"{API}/issue/.+/transitions").respond(200, json={})
    moves = await jira.available_moves([*many, "D-1", "E-1"], shown)
    sent = [call.request.url.params["issueIdsOrKeys"].split(",") for call in listing.calls]
    assert [len(keys) for keys in sent] == [1000, 1, 1, 1]
    assert sorted(k for keys in sent[:2] for k in keys) == sorted(many)
    assert sent[2:] == [["D-1"], ["E-1"]]
    assert len(moves.by_key) == 1003 and not own.called and not moves.note


@pytest.mark.parametrize(
    ("status", "said"), [(403, "refused (no global 'Make bulk changes'"), (405, "HTTP 405")]
)
async def test_a_refused_lookup_reads_each_issue_on_its_own_and_says_so(
    jira, router, status, said
) -> None:
    """Without the lookup (refused without the bulk change permission, or missing), each
    issue's own transitions are read (one issue no longer stands for its project: in another
    status it has others), and the picker is told why it took a read per issue."""
    router.get(f"{API}/bulk/issues/transition").respond(
        status, json={"errors": [{"message": "no"}]}
    )
    own = {
        "C-1": [transition("11", "Start", "In Progress")],
        "C-2": [transition("31", "Done", "Done")],
    }
    theirs = router.get(url__regex=rf"{API}/issue/C-\d/transitions").mock(
        side_effect=lambda request: httpx.Response(
            200, json={"transitions": own[request.url.path.split("/")[-2]]}
        )
    )
    moves = await jira.available_moves(["C-1", "C-2"], {"C-1": "To Do", "C-2": "In Progress"})
    assert moves.by_key == {
        "C-1": [("11", "Start", "In Progress")],
        "C-2": [("31", "Done", "Done")],
    }
    assert theirs.call_count == 2
    assert said in moves.note and "each issue's transitions were read on its own" in moves.note

"""A Jira transition's screen fields (Get transitions, expand=transitions.fields): which ones
the client must set, how a refusal names them with their allowed values, and the preview's
map of them for the dashboard's picker; against the simulator's Resolve (resolution),
Request Changes (a comment, which goes through `update`) and Reject (a comment its screen
lists as optional, which a workflow rule wants)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from zen_tui.gateway.errors import ApiError
from zen_tui.lengths import JIRA_TEXT_MAX, TooLong
from zen_tui.models import Action, Issue, ScreenField
from zen_tui.services import adf
from zen_tui.services.base import MissingParam
from zen_tui.services.fields import Reader
from zen_tui.services.jira_parse import (
    comment_box,
    comment_rule_refusal,
    match_allowed,
    screen_fields,
    screen_refusal,
    transition_update,
)
from zen_tui.services.markers import zw_marker
from zen_tui.simulator.jira.service import JiraSim
from zen_tui.ui.triage import screen_params

from .conftest import section

TEAM = {
    "required": True,
    "name": "Team",
    "schema": {"type": "option", "custom": "select", "customId": 10050},
    "allowedValues": [{"id": "1", "value": "Core"}, {"id": "2", "value": "Web"}],
}


def parsed(fields: dict[str, Any]) -> tuple[ScreenField, ...]:
    return screen_fields(Reader("jira", "jira"), {"id": "5", "name": "Close", "fields": fields})


def test_only_required_fields_without_a_default_are_needed() -> None:
    found = parsed(
        {
            "customfield_10050": TEAM,
            "comment": {"required": False, "name": "Comment"},
            "fixVersions": {"required": True, "hasDefaultValue": True, "name": "Fix versions"},
            "colour": {"required": True, "name": "Colour", "allowedValues": ["red", "blue"]},
        }
    )
    assert found == (
        ScreenField("customfield_10050", "Team", ("Core", "Web"), "value", ("1", "2"), "option"),
        ScreenField("colour", "Colour", ("red", "blue"), "", ("", "")),  # no schema: kind unsaid
    )


def test_a_free_text_field_keeps_its_schema_type_a_document_is_richtext() -> None:
    """What the dashboard asks for by type: FieldMetadata.schema.type; a textarea (or the
    description) is a string v3 takes only as a document, so it is told apart."""

    def meta(name: str, **schema: Any) -> dict[str, Any]:
        return {"required": True, "name": name, "schema": schema, "operations": ["set"]}

    found = parsed(
        {
            "duedate": meta("Due date", type="date", system="duedate"),
            "customfield_10060": meta("Estimate", type="number", custom="x:float"),
            "customfield_10061": meta("Reason", type="string", custom="x:textfield"),
            "customfield_10062": meta("Notes", type="string", custom="x:textarea"),
            "environment": meta("Environment", type="string", system="environment"),
        }
    )
    assert [(f.key, f.allowed, f.ref, f.kind) for f in found] == [
        ("duedate", (), "", "date"),
        ("customfield_10060", (), "", "number"),
        ("customfield_10061", (), "", "string"),
        ("customfield_10062", (), "", "richtext"),
        ("environment", (), "", "richtext"),
    ]


def test_a_refusal_names_each_missing_field_and_how_to_give_it() -> None:
    needs = parsed({"customfield_10050": TEAM})
    refusal = screen_refusal("Close", needs, {})
    assert refusal is not None and refusal.conflict and not refusal.ok
    assert refusal.message == (
        '"Close" needs customfield_10050 (Team) (one of: Core, Web); '
        'add fields=\'{"customfield_10050": {"value": "..."}}\''
    )
    given = match_allowed({"customfield_10050": {"value": "web"}}, needs)
    assert given == {"customfield_10050": {"value": "Web"}}  # spelt as the server does
    assert screen_refusal("Close", needs, given) is None


FIX_VERSIONS = {
    "required": True,
    "name": "Fix versions",
    "schema": {"type": "array", "items": "version", "system": "fixVersions"},
    "allowedValues": [{"id": "10100", "name": "1.0"}, {"id": "10101", "name": "2.0"}],
}


def test_an_allowed_value_may_be_given_by_id_as_jira_takes_it() -> None:
    """Jira takes an allowed value by id as well as by name (or value, for an option): the
    check takes either and refuses an id the allowedValues do not hold, listing the ids."""
    needs = parsed({"customfield_10050": TEAM})
    for given in ({"id": "2"}, {"id": 2}, {"value": "Core"}, {"id": "1", "value": "ignored"}):
        assert screen_refusal("Close", needs, {"customfield_10050": given}) is None, given
    refusal = screen_refusal("Close", needs, {"customfield_10050": {"id": "9"}})
    assert refusal is not None and refusal.conflict
    assert refusal.message == (
        '"Close" needs customfield_10050 (Team) (one of: Core (id 1), Web (id 2)) '
        '(id \'9\' is not allowed); add fields=\'{"customfield_10050": {"value": "..."}}\''
    )


def test_a_list_field_takes_each_of_its_values_by_name_or_id() -> None:
    """A field holding many (fix versions: schema type array) is given a list; every value
    in it must be allowed, and the refusal shows a list to give. It was refused whatever it
    held (a list is no allowed name)."""
    needs = parsed({"fixVersions": FIX_VERSIONS})
    assert needs[0].many
    given = match_allowed({"fixVersions": [{"name": "2.0"}, {"id": "10100"}]}, needs)
    assert screen_refusal("Close", needs, given) is None
    for wrong in ([{"name": "3.0"}], [{"name": "1.0"}, {"id": "1"}], []):
        refusal = screen_refusal("Close", needs, {"fixVersions": wrong})
        assert refusal is not None, wrong
        assert refusal.message.endswith('add fields=\'{"fixVersions": [{"name": "..."}]}\'')
    assert screen_params(needs, {"fixVersions": "2.0"}) == {
        "fields": '{"fixVersions": [{"name": "2.0"}]}'
    }


def test_a_free_text_field_is_refused_naming_it_with_the_fields_json_to_give() -> None:
    """A required field with no allowedValues (a date, a line of text) has no picker: the
    refusal names it (key and name) and shows the fields=JSON that sets it, which `zen-tui
    act transition ... fields=JSON` takes as is."""
    needs = parsed(
        {
            "customfield_10040": {"required": True, "name": "Fixed on", "schema": {"type": "date"}},
            "customfield_10041": {"required": True, "name": "Root cause"},
        }
    )
    assert needs == (
        ScreenField("customfield_10040", "Fixed on", (), "", kind="date"),
        ScreenField("customfield_10041", "Root cause", (), ""),
    )
    refusal = screen_refusal("Close", needs, {"customfield_10041": "cache"})
    assert refusal is not None and refusal.conflict
    assert refusal.message == (
        '"Close" needs customfield_10040 (Fixed on); add fields=\'{"customfield_10040": "..."}\''
    )
    given = {"customfield_10040": "2026-12-07", "customfield_10041": "cache"}
    assert screen_refusal("Close", needs, given) is None


async def test_apply_refuses_before_sending_and_sends_the_resolution(
    sim: Any, sim_client: Any
) -> None:
    jira: JiraSim = sim.world.services["jira"]
    client = sim_client("jira")
    found = await client.fetch_section(section("jira", 'status = "In Progress" ORDER BY key'))
    item = next(i for i in found.items if isinstance(i, Issue))
    detail = await client.details(item)
    assert "Resolve" in detail.transitions and "Done" in detail.transitions
    [need] = detail.screens["Resolve"]
    assert (need.key, need.allowed) == ("resolution", ("Done", "Won't Do", "Fixed", "Duplicate"))
    assert "Done" not in detail.screens  # no screen: nothing to ask

    sent = sim.world.counters.mutations.get(("jira", "transition"), 0)
    bare = Action("transition", item.id, item.account, {"transition": "Resolve"})
    result = await client.apply(bare, idempotency_key="screen-1")
    assert not result.ok and result.conflict
    assert result.message.startswith('"Resolve" needs resolution (one of: Done (id 10000), Won')
    assert result.message.endswith("; add resolution=NAME or resolution_id=ID")
    assert sim.world.counters.mutations.get(("jira", "transition"), 0) == sent  # none sent

    params = {"transition": "Resolve", "resolution": "FIXED"}
    resolved = Action("transition", item.id, item.account, params)
    assert (await client.apply(resolved, idempotency_key="screen-2")).ok
    issue = jira.issues[item.key]
    assert (issue.status, issue.resolution) == ("10002", "10002")
    assert await client.verify(resolved, idempotency_key="screen-2") is True


async def test_a_resolution_given_by_id_is_sent_and_lands(sim: Any, sim_client: Any) -> None:
    """`act transition ... fields='{"resolution": {"id": "10003"}}'`: Jira (and the simulator)
    take a resolution by id; the client's check refused it, matching names only."""
    jira: JiraSim = sim.world.services["jira"]
    client = sim_client("jira")
    found = await client.fetch_section(section("jira", 'status = "In Progress" ORDER BY key'))
    item = [i for i in found.items if isinstance(i, Issue)][-1]
    params = {"transition": "Resolve", "fields": '{"resolution": {"id": "10003"}}'}
    by_id = Action("transition", item.id, item.account, params)
    result = await client.apply(by_id, idempotency_key="screen-id-1")
    assert result.ok, result.message
    issue = jira.issues[item.key]
    assert (issue.status, issue.resolution) == ("10002", "10003")
    assert await client.verify(by_id, idempotency_key="screen-id-1") is True


async def test_resolution_id_is_sent_by_id_checked_against_the_screen(
    sim: Any, sim_client: Any
) -> None:
    """resolution_id=ID sends {"resolution": {"id": ID}}, as Jira takes it: one the screen's
    allowedValues do not hold is refused before sending, listing them with their ids; one
    they hold lands, and the check of a lost answer wants that resolution (by id). It wins
    over a resolution in `fields`, as resolution= does."""
    jira: JiraSim = sim.world.services["jira"]
    client = sim_client("jira")
    found = await client.fetch_section(section("jira", 'status = "In Progress" ORDER BY key'))
    item = [i for i in found.items if isinstance(i, Issue)][-2]
    sent = sim.world.counters.mutations.get(("jira", "transition"), 0)
    wrong = Action(
        "transition", item.id, item.account, {"transition": "Resolve", "resolution_id": "7"}
    )
    result = await client.apply(wrong, idempotency_key="rid-1")
    assert not result.ok and result.conflict
    assert result.message == (
        '"Resolve" needs resolution (one of: Done (id 10000), Won\'t Do (id 10001), Fixed (id '
        "10002), Duplicate (id 10003)) (id '7' is not allowed); add resolution=NAME or "
        "resolution_id=ID"
    )
    assert sim.world.counters.mutations.get(("jira", "transition"), 0) == sent  # none sent
    params = {
        "transition": "Resolve",
        "resolution_id": " 10001 ",
        "fields": '{"resolution": {"name": "Fixed"}}',
    }
    by_id = Action("transition", item.id, item.account, params)
    assert (await client.apply(by_id, idempotency_key="rid-2")).ok
    assert (jira.issues[item.key].status, jira.issues[item.key].resolution) == ("10002", "10001")
    assert await client.verify(by_id, idempotency_key="rid-2") is True
    other = Action("transition", item.id, item.account, {**params, "resolution_id": "10003"})
    assert await client.verify(other, idempotency_key="rid-2") is False  # another resolution


async def test_a_batch_with_fields_moves_one_by_one(sim: Any, sim_client: Any) -> None:
    """Jira's bulk transition sets no field (its listing leaves such transitions out)."""
    jira: JiraSim = sim.world.services["jira"]
    client = sim_client("jira")
    found = await client.fetch_section(section("jira", 'status = "In Review" ORDER BY key'))
    items = [i for i in found.items if isinstance(i, Issue)][:2]
    params = {"transition": "Resolve", "resolution": "Duplicate"}
    actions = [Action("transition", i.id, i.account, params) for i in items]
    results = await client.bulk_apply(actions, ["b-1", "b-2"], lambda done, total: None)
    assert all(r.ok for r in results), results
    assert all(jira.issues[i.key].resolution == "10003" for i in items)


COMMENT = {  # as Jira Cloud's field metadata shows the comment (editmeta alike)
    "required": True,
    "name": "Comment",
    "schema": {"type": "comments-page", "system": "comment"},
    "operations": ["add", "edit", "remove"],
}


def test_a_required_comment_is_its_own_kind_given_as_text_in_fields() -> None:
    """The comment (Cloud's comments-page, or an array of comment on older sites) is told
    apart: a transition adds it through `update`, never sets it; the refusal shows the
    fields=JSON that gives it, and a blank one is no comment."""
    older = {**COMMENT, "schema": {"type": "array", "items": "comment", "system": "comment"}}
    for meta in (COMMENT, older):
        assert parsed({"comment": meta}) == (
            ScreenField("comment", "Comment", ref="", kind="comment"),
        )
    needs = parsed({"comment": COMMENT})
    for given in ({}, {"comment": "  \n "}):
        refusal = screen_refusal("Request Changes", needs, given)
        assert refusal is not None and refusal.conflict, given
        assert refusal.message == (
            '"Request Changes" needs comment; add fields=\'{"comment": "..."}\''
        )
    assert screen_refusal("Request Changes", needs, {"comment": "why"}) is None


def test_a_comment_goes_through_update_as_a_document_never_in_fields() -> None:
    fields, update = transition_update({"comment": "Needs tests\nand docs", "duedate": "x"})
    assert fields == {"duedate": "x"}
    assert update == {"comment": [{"add": {"body": adf.from_text("Needs tests\nand docs")}}]}
    assert transition_update({"duedate": "x"}) == ({"duedate": "x"}, {})
    with pytest.raises(MissingParam, match="comment is text"):
        transition_update({"comment": {"body": "x"}})
    assert transition_update({"comment": "x" * JIRA_TEXT_MAX})[1]  # at the limit: sent
    with pytest.raises(TooLong, match="32,768 characters as sent, at most 32,767; shorten it by 1"):
        transition_update({"comment": "x" * (JIRA_TEXT_MAX + 1)})
    marker = zw_marker("k-1")
    _, update = transition_update({"comment": "why"}, marker)
    assert update["comment"][0]["add"]["body"] == adf.from_text("why" + marker)
    with pytest.raises(TooLong, match="as sent \\(with the hidden marker zen-tui adds\\)"):
        transition_update({"comment": "x" * (JIRA_TEXT_MAX - len(marker) + 1)}, marker)


async def test_apply_sends_a_required_comment_through_update(sim: Any, sim_client: Any) -> None:
    """Request Changes (the simulator's, as Jira: a comment in `fields` is a 400) lands with
    fields='{"comment": ...}': the issue moves, its comment is the document the client's ADF
    helper builds; without one nothing is sent; a replay's verify still reads the status."""
    jira: JiraSim = sim.world.services["jira"]
    client = sim_client("jira")
    found = await client.fetch_section(section("jira", 'status = "In Review" ORDER BY key'))
    item = next(i for i in found.items if isinstance(i, Issue))
    detail = await client.details(item)
    assert detail.screens["Request Changes"] == (
        ScreenField("comment", "Comment", ref="", kind="comment"),
    )
    comments = len(jira.issues[item.key].comments)

    bare = Action("transition", item.id, item.account, {"transition": "Request Changes"})
    result = await client.apply(bare, idempotency_key="comment-0")
    assert not result.ok and result.conflict and "needs comment" in result.message
    long = json.dumps({"comment": "x" * (JIRA_TEXT_MAX + 1)})
    too_long = Action("transition", item.id, item.account, {**bare.params, "fields": long})
    result = await client.apply(too_long, idempotency_key="comment-1")
    assert not result.ok and result.conflict and "comment too long for Jira" in result.message
    assert len(jira.issues[item.key].comments) == comments
    assert jira.issues[item.key].status == "10001"  # nothing sent

    text = "Needs tests <b>[bold]</b>\nsecond line"
    params = {"transition": "request changes", "fields": json.dumps({"comment": text})}
    asked = Action("transition", item.id, item.account, params)
    assert await client.verify(asked, idempotency_key="comment-2") is None  # target unknown
    result = await client.apply(asked, idempotency_key="comment-2")
    assert result.ok, result.message
    issue = jira.issues[item.key]
    assert issue.status == "3" and len(issue.comments) == comments + 1
    # built by the client's ADF helper, the hidden marker after the text, which verify() reads
    assert issue.comments[-1].body == adf.from_text(text + zw_marker("comment-2"))
    assert await client.verify(asked, idempotency_key="comment-2") is True


def test_a_comment_the_screen_lists_as_optional_is_a_box_that_may_stay_empty() -> None:
    """comment_box: the comment a screen lists without requiring it (or with a default); none
    where it requires one (screen_fields has it) or lists none. An empty box is not sent."""
    r = Reader("jira", "jira")
    optional = {**COMMENT, "required": False}
    box = ScreenField("comment", "Comment", ref="", kind="comment", required=False)
    for fields in ({"comment": optional}, {"comment": {**COMMENT, "hasDefaultValue": True}}):
        assert comment_box(r, {"id": "1", "fields": fields}) == box
    for fields in ({"comment": COMMENT}, {}, {"duedate": optional}):
        assert comment_box(r, {"id": "1", "fields": fields}) is None
    assert screen_fields(r, {"id": "1", "fields": {"comment": optional}}) == ()
    assert screen_params((box,), {"comment": ""}) == {}
    assert screen_params((box,), {"comment": "why"}) == {"fields": '{"comment": "why"}'}


def refusal(status: int, message: str) -> ApiError:
    return ApiError(service="jira", account="jira", status=status, message=message)


def test_only_a_400_naming_the_comment_is_a_rule_wanting_one() -> None:
    wants = comment_rule_refusal("Reject", refusal(400, "comment: Comment is required."))
    assert wants is not None and wants.conflict and not wants.ok
    assert wants.message == (
        '"Reject" needs comment: a workflow rule refused the move without one (Jira: '
        "comment: Comment is required.); give one in the move's comment box, or add "
        'fields=\'{"comment": "..."}\''
    )
    said = "A Comment must be provided during the transition."
    wants = comment_rule_refusal("Reject", refusal(400, said))
    assert wants is not None and f"(Jira: {said})" in wants.message
    for other in (
        refusal(400, "resolution: Resolution is required."),
        refusal(400, "Commentary is a field of its own"),  # the word, not a part of one
        refusal(403, "comment: You cannot comment here."),
        refusal(409, "comment: conflicting update"),
    ):
        assert comment_rule_refusal("Reject", other) is None, other.message


def in_review_issues(found: Any) -> list[Issue]:
    return [i for i in found.items if isinstance(i, Issue)]


async def test_a_rule_wanting_a_comment_is_named_and_the_form_then_requires_one(
    sim: Any, sim_client: Any
) -> None:
    """Reject (the simulator's, as a workflow rule in Jira: its screen lists the comment as
    optional, the rule refuses the move without one): the preview offers the optional box;
    sent without a comment, Jira's 400 comes back as the comment needed, in Jira's words
    (its field error, or an admin's message), and the move's form then requires one; with
    a comment it lands, the comment carrying the hidden marker verify() finds."""
    jira: JiraSim = sim.world.services["jira"]
    client = sim_client("jira")
    found = await client.fetch_section(section("jira", 'status = "In Review" ORDER BY key'))
    item, other = in_review_issues(found)[-2:]
    box = ScreenField("comment", "Comment", ref="", kind="comment", required=False)
    assert (await client.details(item)).screens["Reject"] == (box,)

    sent = sim.world.counters.mutations.get(("jira", "transition"), 0)
    bare = Action("transition", item.id, item.account, {"transition": "Reject"})
    result = await client.apply(bare, idempotency_key="rule-1")
    assert not result.ok and result.conflict
    assert result.message.startswith(
        '"Reject" needs comment: a workflow rule refused the move without one (Jira: '
        "comment: Comment is required.); "
    )
    assert jira.issues[item.key].status == "10001"
    assert sim.world.counters.mutations.get(("jira", "transition"), 0) == sent
    said = "comment: Comment is required."
    required = ScreenField("comment", "Comment", ref="", kind="comment", refused=said)
    assert (await client.details(item)).screens["Reject"] == (required,)
    assert (await client.details(other)).screens["Reject"] == (box,)  # this move only

    jira.rule_messages["101"] = "A Comment must be provided during the transition."
    try:
        bare = Action("transition", other.id, other.account, {"transition": "Reject"})
        result = await client.apply(bare, idempotency_key="rule-2")
    finally:
        jira.rule_messages.clear()
    assert not result.ok and "(Jira: A Comment must be provided during the transition.)" in (
        result.message
    )
    assert result.message.startswith('"Reject" needs comment')

    params = {"transition": "Reject", "fields": json.dumps({"comment": "Out of scope"})}
    asked = Action("transition", item.id, item.account, params)
    result = await client.apply(asked, idempotency_key="rule-3")
    assert result.ok, result.message
    issue = jira.issues[item.key]
    assert issue.status == "10000"
    assert issue.comments[-1].body == adf.from_text("Out of scope" + zw_marker("rule-3"))
    assert await client.verify(asked, idempotency_key="rule-3") is True

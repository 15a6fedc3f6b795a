"""A transition whose screen requires a field (the simulator's Resolve requires the
resolution): `zen-tui act` refuses it without one, saying which and the values allowed, and
sends nothing; with resolution= it lands and sets it. Through the outbox the params travel
with the entry: after a lost answer or a crash mid-send the replay verifies (or resends the
same fields), and the transition lands exactly once. Request Changes requires a comment,
which goes through `update` and survives the same."""

from __future__ import annotations

import json
import random

from zen_tui.commands import act
from zen_tui.models import Action, ActionState
from zen_tui.services.markers import strip_zw
from zen_tui.simulator.jira import adf

from .conftest import engine_for, first_try, settle, virtual_waits
from .test_jira_triage_outbox import args, fault, jira, landed

NEEDS = (
    '"Resolve" needs resolution (one of: Done (id 10000), Won\'t Do (id 10001), Fixed (id 10002),'
    " Duplicate (id 10003)); add resolution=NAME or resolution_id=ID"
)


def in_progress(sim) -> list[str]:
    j = jira(sim)
    return [k for k in sorted(j.issues) if j.issues[k].status == "3"]


def test_act_refuses_a_missing_resolution_then_sends_it(sim, settings, capsys):
    account = sim.account("jira").name
    j = jira(sim)
    key = in_progress(sim)[0]

    assert act.run(args(account, "transition", key, transition="resolve"), settings) == 1
    err = capsys.readouterr().err
    assert NEEDS in err and "400" not in err
    assert landed(sim, "transition", key) == 0 and j.issues[key].status == "3"

    wrong = args(account, "transition", key, transition="Resolve", resolution="Later")
    assert act.run(wrong, settings) == 1
    assert "'Later' is not allowed" in capsys.readouterr().err
    assert landed(sim, "transition", key) == 0

    done = args(account, "transition", key, transition="Resolve", resolution="won't do")
    assert act.run(done, settings) == 0
    assert (j.issues[key].status, j.issues[key].resolution) == ("10002", "10001")
    assert landed(sim, "transition", key) == 1


def test_act_takes_the_resolution_by_id_checked_against_the_screen(sim, settings, capsys):
    """resolution_id=: the resolution by its id, as Jira takes it ({"id": ...}); one the
    Resolve screen does not list is refused before anything is sent, listing the allowed
    ones with their ids; a name in it, or both forms, is refused before it is queued."""
    account = sim.account("jira").name
    j = jira(sim)
    key = in_progress(sim)[0]

    unknown = args(account, "transition", key, transition="Resolve", resolution_id="10009")
    assert act.run(unknown, settings) == 1
    err = capsys.readouterr().err
    assert (
        '"Resolve" needs resolution (one of: Done (id 10000), Won\'t Do (id 10001), Fixed (id '
        "10002), Duplicate (id 10003)) (id '10009' is not allowed); add resolution=NAME or "
        "resolution_id=ID"
    ) in err
    assert landed(sim, "transition", key) == 0 and j.issues[key].status == "3"

    for params, said in (
        ({"resolution_id": "Fixed"}, "resolution_id='Fixed' is not a resolution id"),
        ({"resolution_id": "10002", "resolution": "Fixed"}, "not both"),
    ):
        refused = args(account, "transition", key, transition="Resolve", **params)
        assert act.run(refused, settings) == 2
        assert said in capsys.readouterr().err
    assert landed(sim, "transition", key) == 0

    by_id = args(account, "transition", key, transition="Resolve", resolution_id="10003")
    assert act.run(by_id, settings) == 0
    assert (j.issues[key].status, j.issues[key].resolution) == ("10002", "10003")
    assert landed(sim, "transition", key) == 1


async def broken_first_try(sim, settings, key: str, params: dict[str, str], rng, n: int):
    """Queue a transition of `key` and break its first try (an answer lost, cut off or
    refused by an outage, at random; the process killed mid-send for odd `n`), then let a
    new engine settle it. Returns the settled entry and what to say if an assertion fails."""
    how, killed = rng.choice(("none", "truncated", "reset", "outage")), n % 2 == 1
    entry_id = await crash_mid_send(sim, settings, key, params, how, killed=killed)
    done = await settle(settings, entry_id)
    return done, (n, how, killed, done.reason)


async def test_the_fields_survive_lost_answers_and_crashes(sim, settings):
    j = jira(sim)
    rng = random.Random(71)
    for n, key in enumerate(in_progress(sim)[1:7]):
        params = {"transition": "Resolve", "resolution": ("Fixed", "Duplicate")[n % 2]}
        done, what = await broken_first_try(sim, settings, key, params, rng, n)
        assert done.state is ActionState.DONE, what
        # stored with the entry (with the target the client resolved), sent again as is
        assert params.items() <= done.action.params.items(), what
        assert landed(sim, "transition", key) == 1, what
        assert j.issues[key].resolution == ("10002", "10003")[n % 2], what


RESOLVE_AS_FIXED = {"transition": "Resolve", "resolution": "fixed"}


async def crash_mid_send(
    sim, settings, key: str, params: dict[str, str], how: str, *, killed: bool = True
) -> str:
    """Queue the transition, send it once under fault `how` and (`killed`) die mid-send
    (the store keeps it SENDING); the entry's id."""
    account = sim.account("jira").name
    engine = engine_for(settings, virtual_waits())
    [entry] = engine.outbox.queue([Action("transition", f"{account}:{key}", account, params)])
    sim.set_faults(fault(how, "POST", "/rest/api/3/issue/*/transitions"))
    await first_try(engine, entry, killed=killed, dies_after=0.5)
    await engine.stop()
    sim.clear_faults()
    return entry.id


async def test_a_replay_checks_the_resolution_not_only_the_status(sim, settings):
    """Resolve as Fixed: the process dies mid-send and the request never reached Jira
    (reset); meanwhile a colleague resolves the issue as Won't Do.
    It is Done, where Resolve leads, but not as asked: the replay must not call it done. It
    sends it again and ends with Jira's answer (Resolve is not offered from Done); the
    colleague's resolution stays."""
    j = jira(sim)
    colleague = next(u for u in sorted(j.users) if u != j.me)
    key = in_progress(sim)[0]
    entry_id = await crash_mid_send(sim, settings, key, RESOLVE_AS_FIXED, "reset")
    assert j.issues[key].status == "3"  # nothing landed
    j._apply_transition(j.issues[key], "71", colleague, "10001")  # Resolve as Won't Do
    done = await settle(settings, entry_id)
    assert done.state is ActionState.FAILED, done
    assert 'no transition "Resolve" from "Done"' in (done.reason or ""), done.reason
    assert landed(sim, "transition", key) == 0
    assert (j.issues[key].status, j.issues[key].resolution) == ("10002", "10001")


async def test_a_replay_finds_the_asked_resolution_once_it_landed(sim, settings):
    """The same crash where the send did land (its answer cut): the replay reads the asked
    resolution, in any case, and ends DONE, sent once."""
    j = jira(sim)
    key = in_progress(sim)[0]
    entry_id = await crash_mid_send(sim, settings, key, RESOLVE_AS_FIXED, "truncated")
    done = await settle(settings, entry_id)
    assert done.state is ActionState.DONE, done.reason
    assert landed(sim, "transition", key) == 1
    assert (j.issues[key].status, j.issues[key].resolution) == ("10002", "10002")


def in_review(sim) -> list[str]:
    j = jira(sim)
    return [k for k in sorted(j.issues) if j.issues[k].status == "10001"]


def comments_saying(sim, key: str, text: str) -> int:
    """The issue's comments reading `text` (the hidden marker the client adds left out)."""
    return sum(1 for c in jira(sim).issues[key].comments if strip_zw(adf.to_text(c.body)) == text)


def sent_with_comment(sim, settings, key: str, move: dict[str, str], text: str, status: str):
    """`act` sends the move with the comment `text` (fields=JSON): it lands once, the issue
    in `status`, the comment on it once."""
    account = sim.account("jira").name
    said = json.dumps({"comment": text})
    assert act.run(args(account, "transition", key, **move, fields=said), settings) == 0
    assert jira(sim).issues[key].status == status and landed(sim, "transition", key) == 1
    assert comments_saying(sim, key, text) == 1


def test_act_refuses_a_missing_comment_then_sends_it_through_update(sim, settings, capsys):
    """Request Changes requires a comment: `act` says how to give it (fields=JSON, as any
    screen field), refuses one longer than Jira takes before queueing it, and sends the one
    given as `update`'s add (the simulator, as Jira, refuses it in `fields`)."""
    account = sim.account("jira").name
    j = jira(sim)
    key = in_review(sim)[0]
    move = {"transition": "Request Changes"}

    assert act.run(args(account, "transition", key, **move), settings) == 1
    err = capsys.readouterr().err
    assert '"Request Changes" needs comment; add fields=\'{"comment": "..."}\'' in err
    long = json.dumps({"comment": "x" * 32_768})
    assert act.run(args(account, "transition", key, **move, fields=long), settings) == 2
    err = capsys.readouterr().err
    assert "comment too long for Jira: 32,768 characters as sent, at most 32,767" in err
    assert landed(sim, "transition", key) == 0 and j.issues[key].status == "10001"

    sent_with_comment(sim, settings, key, move, "Needs a test for the empty case", status="3")


async def test_the_comment_survives_lost_answers_and_crashes(sim, settings):
    """Queued, the comment travels in the entry's fields=; after a lost answer or a crash
    mid-send the replay verifies by status (or sends the same comment again): the issue
    moves once and carries the comment once."""
    j = jira(sim)
    rng = random.Random(91)
    for n, key in enumerate(in_review(sim)[:6]):
        text = f"Changes asked, round {n}"
        params = {"transition": "Request Changes", "fields": json.dumps({"comment": text})}
        done, what = await broken_first_try(sim, settings, key, params, rng, n)
        assert done.state is ActionState.DONE, what
        assert params.items() <= done.action.params.items(), what
        assert landed(sim, "transition", key) == 1, what
        assert j.issues[key].status == "3" and comments_saying(sim, key, text) == 1, what


async def test_a_replay_checks_the_comment_not_only_the_status(sim, settings):
    """Request Changes with a comment: the process dies mid-send and the request never
    reached Jira (reset); meanwhile a colleague moves the issue back to In Progress (Back to
    In Progress, no comment). It is where Request Changes leads, without the comment: the
    replay must not call it done (the comment would be lost). It sends it again and ends
    with Jira's answer (Request Changes is not offered from In Progress)."""
    j = jira(sim)
    colleague = next(u for u in sorted(j.users) if u != j.me)
    key = in_review(sim)[0]
    text = "Changes asked while a colleague moved it"
    params = {"transition": "Request Changes", "fields": json.dumps({"comment": text})}
    entry_id = await crash_mid_send(sim, settings, key, params, "reset")
    assert j.issues[key].status == "10001"  # nothing landed
    j._apply_transition(j.issues[key], "41", colleague)  # Back to In Progress
    done = await settle(settings, entry_id)
    assert done.state is ActionState.FAILED, done
    assert 'no transition "Request Changes" from "In Progress"' in (done.reason or ""), done.reason
    assert landed(sim, "transition", key) == 0 and comments_saying(sim, key, text) == 0


async def test_a_replay_finds_the_comment_once_it_landed(sim, settings):
    """The same crash where the send did land (its answer cut): the replay finds the
    comment by its hidden marker and ends DONE, sent once."""
    key = in_review(sim)[0]
    text = "Changes asked, answer lost"
    params = {"transition": "Request Changes", "fields": json.dumps({"comment": text})}
    entry_id = await crash_mid_send(sim, settings, key, params, "truncated")
    done = await settle(settings, entry_id)
    assert done.state is ActionState.DONE, done.reason
    assert landed(sim, "transition", key) == 1 and comments_saying(sim, key, text) == 1


def test_act_names_the_comment_a_workflow_rule_wants_then_sends_it(sim, settings, capsys):
    """Reject: its screen lists the comment as optional, so `act` sends the move without
    one; Jira's rule refuses it, and the refusal names the comment and how to give it (not
    a bare 400). With fields='{"comment": ...}' it lands, the comment on the issue."""
    account = sim.account("jira").name
    j = jira(sim)
    key = in_review(sim)[-1]
    move = {"transition": "Reject"}

    assert act.run(args(account, "transition", key, **move), settings) == 1
    err = capsys.readouterr().err
    assert '"Reject" needs comment: a workflow rule refused the move without one' in err
    assert "(Jira: comment: Comment is required.)" in err
    assert 'add fields=\'{"comment": "..."}\'' in err
    assert landed(sim, "transition", key) == 0 and j.issues[key].status == "10001"

    sent_with_comment(sim, settings, key, move, "Out of scope for this release", status="10000")


async def test_a_replay_of_a_move_with_an_optional_comment_checks_the_comment(sim, settings):
    """Reject with a comment given: the process dies mid-send and the request never reached
    Jira (reset); meanwhile a colleague moves the issue to To Do (Defer, no comment), where
    Reject leads. Without the comment it is not as asked: the replay sends it again and ends
    with Jira's answer (Reject is not offered from To Do); the comment was never added."""
    j = jira(sim)
    colleague = next(u for u in sorted(j.users) if u != j.me)
    key = in_review(sim)[0]
    text = "Rejected while a colleague deferred it"
    params = {"transition": "Reject", "fields": json.dumps({"comment": text})}
    entry_id = await crash_mid_send(sim, settings, key, params, "reset")
    assert j.issues[key].status == "10001"  # nothing landed
    j._apply_transition(j.issues[key], "81", colleague)  # Defer, to To Do
    done = await settle(settings, entry_id)
    assert done.state is ActionState.FAILED, done
    assert 'no transition "Reject" from "To Do"' in (done.reason or ""), done.reason
    assert landed(sim, "transition", key) == 0 and comments_saying(sim, key, text) == 0


async def test_a_replay_finds_the_optional_comment_once_it_landed(sim, settings):
    key = in_review(sim)[1]
    text = "Rejected, answer lost"
    params = {"transition": "Reject", "fields": json.dumps({"comment": text})}
    entry_id = await crash_mid_send(sim, settings, key, params, "truncated")
    done = await settle(settings, entry_id)
    assert done.state is ActionState.DONE, done.reason
    assert landed(sim, "transition", key) == 1 and comments_saying(sim, key, text) == 1
    assert jira(sim).issues[key].status == "10000"

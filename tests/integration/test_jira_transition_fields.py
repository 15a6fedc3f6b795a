"""A transition whose screen requires a field (the simulator's Resolve requires the
resolution): `zen-tui act` refuses it without one, saying which and the values allowed, and
sends nothing; with resolution= it lands and sets it. Through the outbox the params travel
with the entry: after a lost answer or a crash mid-send the replay verifies (or resends the
same fields), and the transition lands exactly once."""

from __future__ import annotations

import random

from zen_tui.commands import act
from zen_tui.models import Action, ActionState

from .conftest import engine_for, first_try, settle
from .test_jira_triage_outbox import args, fault, jira, landed

NEEDS = (
    '"Resolve" needs resolution (one of: Done, Won\'t Do, Fixed, Duplicate); add resolution=NAME'
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


async def test_the_fields_survive_lost_answers_and_crashes(sim, settings):
    account = sim.account("jira").name
    j = jira(sim)
    rng = random.Random(71)
    for n, key in enumerate(in_progress(sim)[1:7]):
        how, killed = rng.choice(("none", "truncated", "reset", "outage")), n % 2 == 1
        params = {"transition": "Resolve", "resolution": ("Fixed", "Duplicate")[n % 2]}
        action = Action("transition", f"{account}:{key}", account, params)
        engine = engine_for(settings)
        [entry] = engine.outbox.queue([action])
        sim.set_faults(fault(how, "POST", "/rest/api/3/issue/*/transitions"))
        await first_try(engine, entry, killed=killed, dies_after=0.5)
        await engine.stop()
        sim.clear_faults()
        done = await settle(settings, entry.id)
        what = (n, how, killed, done.reason)
        assert done.state is ActionState.DONE, what
        # stored with the entry (with the target the client resolved), sent again as is
        assert params.items() <= done.action.params.items(), what
        assert landed(sim, "transition", key) == 1, what
        assert j.issues[key].resolution == ("10002", "10003")[n % 2], what

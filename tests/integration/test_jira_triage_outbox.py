"""Edit fields, assign to anyone, link, edit/delete own comment: each through the outbox
exactly once, whether the first send's answer was lost after Jira applied it (truncated),
before (reset), refused for now (503), or the process died mid-send. Seeded random rounds
over kind x fault x kill; the simulator's mutation log counts what landed. Also `zen-tui
act` for each verb, against the simulator."""

from __future__ import annotations

import argparse
import random
from typing import Any

from zen_tui.commands import act
from zen_tui.models import Action, ActionState

from .conftest import engine_for, first_try, settle, virtual_waits

FAULTS = ("none", "truncated", "reset", "outage")
WRITES = {  # kind -> (method, endpoint glob, mutation kind)
    "edit": ("PUT", "/rest/api/3/issue/*", "edit"),
    "assign": ("PUT", "/rest/api/3/issue/*/assignee", "assign"),
    "link": ("POST", "/rest/api/3/issueLink", "link"),
    "edit_comment": ("PUT", "/rest/api/3/issue/*/comment/*", "comment_edit"),
    "delete_comment": ("DELETE", "/rest/api/3/issue/*/comment/*", "comment_delete"),
}


def fault(kind: str, method: str, endpoint: str) -> list[dict[str, Any]]:
    rule = {"service": "jira", "endpoint": endpoint, "method": method}
    table = {
        "truncated": {"truncated_rate": 1.0},  # applied, answer cut
        "reset": {"reset_rate": 1.0},  # not applied, no answer
        "outage": {"outage": True},
    }
    return [{**rule, **table[kind]}] if kind in table else []


def jira(sim) -> Any:
    return sim.world.services["jira"]


def my_comment(sim, key: str, text: str) -> str:
    """A comment by me on `key`, made in the simulator directly (setup, not under test)."""
    j = jira(sim)
    comment = j._comment(
        j.issues[key],
        j.me,
        {
            "type": "doc",
            "version": 1,
            "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}],
        },
    )
    return str(comment.id)


def landed(sim, mutation: str, key: str) -> int:
    log = sim.counters()["mutation_log"]
    return sum(
        1 for m in log if m["service"] == "jira" and m["kind"] == mutation and m["key"] == key
    )


def build(sim, account: str, kind: str, key: str, n: int) -> Action:
    j = jira(sim)
    if kind == "edit":
        params = {"summary": f"edited {n}", "labels": f"r{n}"}
    elif kind == "assign":
        other = sorted(u for u in j.users if u != j.me and u != j.issues[key].assignee)[0]
        # by id (the dashboard's picker) or by name (`zen-tui act`), resolved before sending
        params = {"account_id": other} if n % 2 else {"display_name": j.users[other].display_name}
    elif kind == "link":
        target = next(k for k in sorted(j.issues) if k != key)
        params = {"type": "Relates", "target": target}
    elif kind == "edit_comment":
        params = {"comment_id": my_comment(sim, key, f"draft {n}"), "body": f"final {n}"}
    else:
        params = {"comment_id": my_comment(sim, key, f"to delete {n}")}
    return Action(kind, f"{account}:{key}", account, params)  # type: ignore[arg-type]


async def test_each_kind_lands_exactly_once_across_lost_answers_and_kills(sim, settings):
    account = sim.account("jira").name
    keys = sorted(jira(sim).issues)
    rng = random.Random(2113)
    seen = set()
    for n in range(24):
        kind, how, killed = rng.choice(list(WRITES)), rng.choice(FAULTS), rng.random() < 0.5
        seen.add((kind, how))
        method, endpoint, mutation = WRITES[kind]
        key = keys[n]
        action = build(sim, account, kind, key, n)
        engine = engine_for(settings, virtual_waits())
        [entry] = engine.outbox.queue([action])
        sim.set_faults(fault(how, method, endpoint))
        await first_try(engine, entry, killed=killed, dies_after=0.5)
        await engine.stop()
        sim.clear_faults()
        done = await settle(settings, entry.id)
        what = (n, kind, how, killed, done.reason)
        assert done.state is ActionState.DONE, what
        assert landed(sim, mutation, key) == 1, what
    assert len({k for k, _ in seen}) == len(WRITES) and len(seen) >= 12


def args(account: str, kind: str, key: str, **params: str) -> argparse.Namespace:
    return argparse.Namespace(kind=kind, item=f"{account}:{key}", params=params)


def test_act_verbs_on_the_simulator(sim, settings, capsys):
    account = sim.account("jira").name
    j = jira(sim)
    key, other = sorted(j.issues)[40:42]

    def run(kind: str, **p: str) -> int:
        return act.run(args(account, kind, key, **p), settings)

    assert run("edit", summary="From the CLI", priority="Low", duedate="2027-05-05") == 0
    assert capsys.readouterr().out.startswith(f"applied edit on {account}:{key}: edited duedate")
    assert (j.issues[key].summary, j.issues[key].priority) == ("From the CLI", "4")

    someone = sorted(u for u in j.users if u != j.me)[0]
    assert run("assign", account_id=someone) == 0
    assert j.issues[key].assignee == someone

    assert run("link", type="blocks", target=other) == 0  # by outward phrase, any case
    assert [lk.outward for lk in j.issues[key].links] == [other]

    comment = my_comment(sim, key, "typo teh")
    assert run("edit_comment", comment_id=comment, body="typo the") == 0
    assert run("delete_comment", comment_id=comment) == 0
    assert not [c for c in j.issues[key].comments if str(c.id) == comment]
    capsys.readouterr()

    doing = next(k for k in sorted(j.issues) if j.issues[k].status == "3")  # In Progress
    todo = next(k for k in sorted(j.issues) if j.issues[k].status == "10000")  # To Do
    assert act.run(args(account, "transition", doing, to="in review"), settings) == 0
    assert j.issues[doing].status == "10001"  # by target status, resolved to its transition
    assert act.run(args(account, "transition", todo, to="Done"), settings) == 1
    assert 'no transition to status "Done" from "To Do"; available: In Progress (Start' in (
        capsys.readouterr().err
    )
    assert act.run(args(account, "transition", todo, to="Nope"), settings) == 1
    assert 'no transition to status "Nope" from "To Do"; available: In Progress (Start' in (
        capsys.readouterr().err
    )

    assert run("link", type="Nonsense", target=other) == 1
    err = capsys.readouterr().err
    assert "no issue link type 'Nonsense'; use one of: Blocks" in err
    assert len(err.strip().splitlines()) == 1


def test_act_assign_by_display_name_assigns_that_user(sim, settings, capsys):
    """`zen-tui act assign KEY display_name=...` (account ids are opaque to a person at the
    command line) assigns the one assignable user of that name, never me instead; a name
    matching no one is refused, saying who matched, and nothing is written."""
    account = sim.account("jira").name
    j = jira(sim)
    key = next(k for k in sorted(j.issues) if j.issues[k].assignee == j.me)
    someone = next(u for u in sorted(j.users) if u != j.me)
    name = j.users[someone].display_name

    assert act.run(args(account, "assign", key, display_name=name.upper()), settings) == 0
    assert j.issues[key].assignee == someone
    capsys.readouterr()

    before = landed(sim, "assign", key)
    assert act.run(args(account, "assign", key, display_name=name.split()[0]), settings) == 1
    err = capsys.readouterr().err
    assert f"no user assignable to {key} named {name.split()[0]!r} (matching: {name})" in err
    assert "account_id=ID" in err
    assert landed(sim, "assign", key) == before and j.issues[key].assignee == someone

"""Edit fields, assign to anyone, link, edit/delete own comments and the history, against
the simulator: each write applies, verify() says False before and True after, and Jira's
refusals come back as one-line conflicts."""

from __future__ import annotations

from zen_tui.models import Action

ACCOUNT = "jira"


def act(key: str, kind: str, **params: str) -> Action:
    return Action(kind, f"{ACCOUNT}:{key}", ACCOUNT, params)  # type: ignore[arg-type]


def issues(sim):
    return sim.world.services["jira"].issues


async def applied(jira, action: Action, ikey: str) -> str:
    assert await jira.verify(action, idempotency_key=ikey) is False
    result = await jira.apply(action, idempotency_key=ikey)
    assert result.ok, result.message
    assert await jira.verify(action, idempotency_key=ikey) is True
    return result.message


async def test_edit_form_from_editmeta_then_edit_fields(sim_client, sim) -> None:
    jira = sim_client("jira")
    key = sorted(issues(sim))[0]
    form = await jira.editing.edit_fields(key)
    assert [f.id for f, _ in form] == ["summary", "priority", "labels", "duedate"]
    priority = next(f for f, _ in form if f.id == "priority")
    assert "High" in priority.allowed and "Lowest" in priority.allowed
    assert dict((f.id, v) for f, v in form)["summary"] == issues(sim)[key].summary

    edit = act(
        key, "edit", summary="Renamed", priority="Highest", labels="a, b", duedate="2027-02-01"
    )
    message = await applied(jira, edit, "e1")
    assert message == f"edited duedate, labels, priority, summary of {key}"
    issue = issues(sim)[key]
    assert (issue.summary, issue.priority, issue.labels, issue.duedate) == (
        "Renamed",
        "1",
        ["a", "b"],
        "2027-02-01",
    )
    clear = act(key, "edit", duedate="")
    await applied(jira, clear, "e2")
    assert issues(sim)[key].duedate is None

    bad = await jira.apply(act(key, "edit", priority="Urgent"), idempotency_key="e3")
    assert bad.conflict and "priority" in bad.message


async def test_assign_to_anyone_through_the_assignable_search(sim_client, sim) -> None:
    jira = sim_client("jira")
    key = sorted(issues(sim))[1]
    everyone = await jira.editing.assignable(key, "")
    assert len(everyone) > 3
    someone_id, someone = next(u for u in everyone if not u[1].startswith("Me"))
    typed = someone.split()[0][:3]
    narrowed = await jira.editing.assignable(key, typed)
    assert (someone_id, someone) in narrowed and len(narrowed) < len(everyone)

    assign = act(key, "assign", account_id=someone_id, display_name=someone)
    await applied(jira, assign, "a1")
    assert issues(sim)[key].assignee == someone_id


async def test_link_two_issues_by_link_type(sim_client, sim) -> None:
    jira = sim_client("jira")
    source, target = sorted(issues(sim))[2:4]
    types = await jira.editing.link_types()
    blocks = next(t for t in types if t.name == "Blocks")
    assert blocks.outward == "blocks"

    link = act(source, "link", type="Blocks", target=target)
    assert await applied(jira, link, "l1") == f"linked {source} to {target}"
    assert any(lk.outward == target for lk in issues(sim)[source].links)
    # the other type is not the one made
    assert (
        await jira.verify(act(source, "link", type="Relates", target=target), idempotency_key="l2")
        is False
    )

    bad = await jira.apply(
        act(source, "link", type="Nonsense", target=target), idempotency_key="l3"
    )
    assert bad.conflict and "Blocks" in bad.message
    missing = await jira.apply(
        act(source, "link", type="Blocks", target="OPS-99999"), idempotency_key="l4"
    )
    assert missing.conflict and "404" in missing.message


async def test_edit_and_delete_own_comment(sim_client, sim) -> None:
    jira = sim_client("jira")
    key = sorted(issues(sim))[4]
    assert (await jira.apply(act(key, "comment", body="first take"), idempotency_key="c0")).ok
    [mine] = await jira.editing.my_comments(key)
    assert mine.text == "first take"
    others = [c for c in await jira.editing.comments(key) if c.id != mine.id]

    await applied(jira, act(key, "edit_comment", comment_id=mine.id, body="second take"), "c1")
    assert [c.text for c in await jira.editing.my_comments(key)] == ["second take"]

    if others:  # someone else's: Jira refuses, one line
        theirs = await jira.apply(
            act(key, "edit_comment", comment_id=others[0].id, body="x"), idempotency_key="c2"
        )
        assert theirs.conflict and "permission" in theirs.message

    await applied(jira, act(key, "delete_comment", comment_id=mine.id), "c3")
    assert await jira.editing.my_comments(key) == []


async def test_history_lists_the_changes_newest_first(sim_client, sim) -> None:
    jira = sim_client("jira")
    key = sorted(issues(sim))[5]
    await applied(jira, act(key, "edit", summary="Step one"), "h1")
    await applied(jira, act(key, "edit", labels="later"), "h2")
    changes = await jira.editing.history(key)
    assert changes[0].what.startswith("labels: ")
    assert any(c.what.endswith("-> Step one") for c in changes)
    assert all(c.who for c in changes)


async def test_a_long_history_reads_its_newest_changes(sim_client, sim) -> None:
    """Over 200 histories (the simulator pages 100 at most, oldest first, as Jira): the
    newest 200 are read, the latest change first; it was the oldest 200, the latest missing."""
    jira = sim_client("jira")
    key = sorted(issues(sim))[6]
    service = sim.world.services["jira"]
    before = len(issues(sim)[key].history)
    for n in range(250 - before):
        service._mutated("edit", issues(sim)[key], [("labels", f"l{n}", f"l{n + 1}")])
    changes = await jira.editing.history(key)
    whats = [c.what for c in changes]
    assert len(whats) == 200 and whats[0] == f"labels: l{249 - before} -> l{250 - before}"
    assert "labels: l0 -> l1" not in whats  # the oldest 50 histories are left out


async def test_bulk_move_by_status_uses_each_issues_own_transition(sim_client, sim) -> None:
    """`to=STATUS` resolves per issue: In Progress and In Review both reach Done, To Do
    cannot and is refused by name. Where the three share a workflow, its entry in the bulk
    lookup lists no transition common to all: the lookup asks each issue on its own."""
    jira = sim_client("jira")
    j = issues(sim)
    doing = next(k for k in sorted(j) if j[k].status == "3")
    review = next(k for k in sorted(j) if j[k].status == "10001")
    todo = next(k for k in sorted(j) if j[k].status == "10000")
    moves = (await jira.available_moves([doing, review, todo])).by_key
    assert {to for _, _, to in moves[todo]} == {"In Progress"}
    assert "Done" in {to for _, _, to in moves[doing]} & {to for _, _, to in moves[review]}

    keys = [doing, review, todo]
    results = await jira.bulk_apply(
        [act(k, "transition", to="Done") for k in keys],
        [f"m{n}" for n in range(3)],
        lambda *_: None,
    )
    assert [r.ok for r in results] == [True, True, False]
    assert results[2].conflict
    assert 'no transition to status "Done" from "To Do"' in results[2].message
    assert (j[doing].status, j[review].status, j[todo].status) == ("10002", "10002", "10000")
    for n, key in enumerate(keys[:2]):
        assert await jira.verify(act(key, "transition", to="Done"), idempotency_key=f"m{n}") is True

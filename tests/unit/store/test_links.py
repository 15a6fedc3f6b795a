"""Cross-links and outbox chains in the store: one transaction, read from both ends, kept
across a reopen, and a chain's first step not pruned while a later one waits for it."""

from __future__ import annotations

from zen_tui.models import Action, ActionState
from zen_tui.store import Store

MESSAGE = "slack:C1:1700000000.000100"
CREATE = Action("create_issue", MESSAGE, "gh", {"title": "t"})
REPLY = Action("reply", MESSAGE, "slack", {"body": "filed {{created_url}}"})


def test_a_created_key_links_both_rows_and_survives_a_reopen(tmp_path) -> None:
    path = tmp_path / "zen.db"
    with Store.open(path) as store:
        first, second = store.outbox_add_chain([(CREATE, MESSAGE), (REPLY, None)])
        assert (first.after_id, second.after_id) == (None, first.id)
        assert (first.link_from, second.link_from) == (MESSAGE, None)
        assert store.links_of([MESSAGE]) == {}
        created = {"created_key": "o/r#7", "created_url": "https://x/o/r/7"}
        store.outbox_merge_params(first.idempotency_key, created)
        store.outbox_merge_params(first.idempotency_key, created)  # twice: one link
    with Store.open(path) as store:
        links = store.links_of(None)
    [out] = links[MESSAGE]
    [back] = links["gh:o/r#7"]
    assert (out.other_id, out.url, out.kind, out.outgoing) == (
        "gh:o/r#7",
        "https://x/o/r/7",
        "create_issue",
        True,
    )
    assert (back.other_id, back.outgoing) == (MESSAGE, False)


def test_no_link_without_link_from(tmp_path) -> None:
    with Store.open(tmp_path / "zen.db") as store:
        [entry] = store.outbox_add_chain([(CREATE, None)])
        store.outbox_merge_params(entry.idempotency_key, {"created_key": "o/r#1"})
        assert store.links_of(None) == {}


def test_prune_keeps_a_done_step_that_a_waiting_one_needs(tmp_path) -> None:
    now = [1000.0]
    with Store.open(tmp_path / "zen.db", clock=lambda: now[0]) as store:
        first, second = store.outbox_add_chain([(CREATE, MESSAGE), (REPLY, None)])
        store.outbox_update(first.id, state=ActionState.DONE)
        now[0] = 5000.0
        assert store.outbox_prune(done_before=4000.0) == 0
        assert store.outbox_get(first.id) is not None
        store.outbox_update(second.id, state=ActionState.DONE)
        now[0] = 9000.0
        assert store.outbox_prune(done_before=8000.0) == 2


def test_no_link_before_the_step_reports_what_it_created(tmp_path) -> None:
    # Params resolved before sending (a transition's target) are merged too: no link yet.
    with Store.open(tmp_path / "zen.db") as store:
        [entry] = store.outbox_add_chain([(CREATE, MESSAGE)])
        store.outbox_merge_params(entry.idempotency_key, {"target": "Done"})
        assert store.links_of(None) == {}

"""`zen-tui outbox` says why a never-tried entry waits (held_behind) for every entry in one
pass (held_reasons). Property: for random outboxes (accounts, states, attempts, reasons, seq
numbers with gaps, in any order) both say exactly what the quadratic definition says."""

from __future__ import annotations

import random

import pytest

from zen_tui.models import Action, ActionState
from zen_tui.store import OutboxEntry
from zen_tui.store.outbox import HOLDS_LATER, held_behind, held_reasons

ACCOUNTS = ("gh", "jira", "slack")
PENDING = ActionState.PENDING
KINDS = ("add_label", "comment", "close")


def defined(entry: OutboxEntry, entries: list[OutboxEntry]) -> str | None:
    """The definition, entry by entry: its account's earlier entries not sent yet, counted,
    and the first of them named (the earliest by seq)."""
    if entry.state is not ActionState.PENDING or entry.attempts:
        return None
    account = entry.action.account
    earlier = sorted(
        (e for e in entries if e.seq < entry.seq and e.action.account == account),
        key=lambda e: e.seq,
    )
    earlier = [e for e in earlier if e.state in HOLDS_LATER]
    if not earlier:
        return None
    first = earlier[0]
    why = f": {first.reason}" if first.reason else ""
    count = "1 earlier action" if len(earlier) == 1 else f"{len(earlier)} earlier actions"
    return (
        f"waits behind {count} of {account} not sent yet, sent in order "
        f"(first {first.action.kind} on {first.action.item_id}{why})"
    )


def outbox(rng: random.Random) -> list[OutboxEntry]:
    size = rng.randint(0, 40)
    seqs = rng.sample(range(1, 200), size)  # unique, with gaps
    entries = []
    for n, seq in enumerate(seqs):
        account = rng.choice(ACCOUNTS[: rng.randint(1, 3)])
        action = Action(rng.choice(KINDS), f"{account}:item-{n}", account)  # type: ignore[arg-type]
        entries.append(
            OutboxEntry(
                id=f"e{n}",
                seq=seq,
                action=action,
                idempotency_key=f"e{n}",
                batch_id=None,
                state=rng.choice(list(ActionState)),
                attempts=rng.choice([0, 0, 1, 3]),
                reason=rng.choice([None, "server error 503", "rate limited"]),
                created_at=0.0,
                updated_at=0.0,
            )
        )
    if rng.random() < 0.5:  # as the store lists them
        entries.sort(key=lambda e: e.seq)
    return entries


@pytest.mark.parametrize("seed", range(40))
def test_one_pass_says_what_the_definition_says(seed: int) -> None:
    entries = outbox(random.Random(seed))
    expected = {e.id: why for e in entries if (why := defined(e, entries)) is not None}
    assert held_reasons(entries) == expected
    for e in entries:
        assert held_behind(e, entries) == expected.get(e.id)


def test_ten_thousand_entries_are_all_said_in_one_pass() -> None:
    """Each waits behind all the earlier ones of its account, the first named."""
    entries = [
        OutboxEntry(
            f"e{n}",
            n,
            Action("comment", f"gh:item-{n}", "gh"),
            f"e{n}",
            None,
            PENDING,
            0,
            None,
            0,
            0,
        )
        for n in range(10_000)
    ]
    said = held_reasons(entries)
    assert len(said) == 9_999
    assert said["e9999"] == (
        "waits behind 9999 earlier actions of gh not sent yet, sent in order"
        " (first comment on gh:item-0)"
    )

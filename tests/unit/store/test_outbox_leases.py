"""Outbox leases: one owner at a time per entry, across connections and real processes."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers import ManualClock
from zen_tui.models import Action, ActionState
from zen_tui.store import Store, leases
from zen_tui.store.rows import LeaseHeld

REPO = Path(__file__).resolve().parents[3]
LEASE = 600.0
S = ActionState


def comment(n: int) -> Action:
    return Action("comment", f"gh:o/r#{n}", "gh", {"body": f"note {n}"})


def everyone_alive(owner: str) -> bool:
    return True


def nobody_alive(owner: str) -> bool:
    return False


def test_a_claimed_entry_is_refused_to_another_live_owner(store: Store) -> None:
    entry = store.outbox_add(comment(1))
    mine = store.outbox_claim(entry.id, "a", lease=LEASE, alive=everyone_alive)
    assert mine is not None and mine.lease_owner == "a" and mine.state is S.PENDING
    assert store.outbox_claim(entry.id, "b", lease=LEASE, alive=everyone_alive) is None
    again = store.outbox_claim(entry.id, "a", lease=LEASE, alive=everyone_alive)
    assert again is not None  # re-entrant for its holder
    store.outbox_release(entry.id, "b")  # not b's to release: a no-op
    assert store.outbox_claim(entry.id, "b", lease=LEASE, alive=everyone_alive) is None
    store.outbox_release(entry.id, "a")
    assert store.outbox_claim(entry.id, "b", lease=LEASE, alive=everyone_alive) is not None


def test_an_update_is_refused_while_another_owner_holds_the_lease(store: Store) -> None:
    entry = store.outbox_add(comment(1))
    store.outbox_claim(entry.id, "a", lease=LEASE, alive=everyone_alive)
    with pytest.raises(LeaseHeld, match="no longer leased to this process"):
        store.outbox_update(entry.id, state=S.SENDING, owner="b")
    sent = store.outbox_update(entry.id, state=S.SENDING, attempt=True, owner="a")
    assert sent.lease_owner == "a"
    done = store.outbox_update(entry.id, state=S.DONE, owner="a")
    assert done.lease_owner is None and done.lease_until is None  # settled: nothing to hold
    with pytest.raises(LeaseHeld):  # an owner without the lease never writes a state
        store.outbox_update(entry.id, state=S.DONE, owner="a")


def test_an_expired_lease_is_free_and_a_sending_entry_is_then_verified(
    store: Store, clock: ManualClock
) -> None:
    entry = store.outbox_add(comment(1))
    store.outbox_claim(entry.id, "a", lease=LEASE, alive=everyone_alive)
    store.outbox_update(entry.id, state=S.SENDING, attempt=True, owner="a")
    clock.now += LEASE - 1
    assert store.outbox_claim(entry.id, "b", lease=LEASE, alive=everyone_alive) is None
    clock.now += 2
    taken = store.outbox_claim(entry.id, "b", lease=LEASE, alive=everyone_alive)
    assert taken is not None and taken.lease_owner == "b"
    assert taken.state is S.UNKNOWN and "verify before any resend" in (taken.reason or "")


def test_a_dead_owners_lease_is_free_at_once(store: Store) -> None:
    entry = store.outbox_add(comment(1))
    store.outbox_claim(entry.id, "a", lease=LEASE, alive=everyone_alive)
    store.outbox_update(entry.id, state=S.SENDING, owner="a")
    taken = store.outbox_claim(entry.id, "b", lease=LEASE, alive=nobody_alive)
    assert taken is not None and taken.state is S.UNKNOWN


def test_our_own_send_in_flight_is_not_claimed_again(store: Store) -> None:
    entry = store.outbox_add(comment(1))
    store.outbox_claim(entry.id, "a", lease=LEASE, alive=everyone_alive)
    store.outbox_update(entry.id, state=S.SENDING, owner="a")
    assert store.outbox_claim(entry.id, "a", lease=LEASE, alive=everyone_alive) is None


def test_done_and_failed_entries_are_never_claimed(store: Store) -> None:
    done, failed = store.outbox_add(comment(1)), store.outbox_add(comment(2))
    store.outbox_update(done.id, state=S.DONE)
    store.outbox_update(failed.id, state=S.FAILED)
    for entry in (done, failed):
        assert store.outbox_claim(entry.id, "a", lease=LEASE, alive=nobody_alive) is None
    assert store.outbox_claim("missing", "a", lease=LEASE, alive=nobody_alive) is None


def test_claims_over_two_connections_follow_the_lease_rule_seeded(
    db_path: Path, clock: ManualClock
) -> None:
    """Random interleavings of claim / release / time / death over two connections (as two
    processes have), checked against a model: a claim wins exactly when the entry is
    unleased, already ours, or its holder is dead or past its lease; so at any moment at most
    one live, unexpired owner holds an entry."""
    for seed in range(30):
        rng = random.Random(seed)
        path = db_path.with_name(f"z{seed}.db")
        one, two = Store.open(path, clock=clock), Store.open(path, clock=clock)
        ids = [one.outbox_add(comment(n)).id for n in range(4)]
        dead: set[str] = set()
        holder: dict[str, tuple[str, float]] = {}  # the model: entry -> (owner, lease until)

        def alive(owner: str, dead: set[str] = dead) -> bool:
            return owner not in dead

        for step in range(300):
            store, owner = rng.choice([(one, "a"), (two, "b"), (two, "c")])
            entry_id, move = rng.choice(ids), rng.random()
            if owner in dead:  # a dead process does nothing more
                continue
            if move < 0.55:
                held = holder.get(entry_id)
                free = held is None or held[0] == owner or held[0] in dead or held[1] < clock.now
                won = store.outbox_claim(entry_id, owner, lease=30, alive=alive) is not None
                assert won == free, f"seed {seed} step {step}: {owner} claim {won}, held {held}"
                if won:
                    holder[entry_id] = (owner, clock.now + 30)
            elif move < 0.8:
                store.outbox_release(entry_id, owner)
                if holder.get(entry_id, ("",))[0] == owner:
                    del holder[entry_id]
            elif move < 0.95:
                clock.now += rng.choice([1, 5, 29, 31])
            else:
                dead.add(owner)
        one.close()
        two.close()


CLAIMER = textwrap.dedent(
    """
    import sys
    from zen_tui.store import Store, leases

    store = Store.open(sys.argv[1])
    owner = leases.new_owner()
    print("ready", flush=True)
    sys.stdin.readline()  # start together
    ids = [e.id for e in store.outbox_by_state()]
    for entry_id in ids:
        if store.outbox_claim(entry_id, owner, lease=600, alive=leases.alive) is not None:
            print("won", entry_id, flush=True)
    print("done", flush=True)
    sys.stdin.readline()  # stay alive until both are done: a gone owner's lease is free
    """
)


def test_two_real_processes_claim_each_entry_exactly_once(db_path: Path) -> None:
    for round_ in range(3):
        path = db_path.with_name(f"race{round_}.db")
        with Store.open(path) as store:
            ids = {store.outbox_add(comment(n)).id for n in range(60)}
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        children = [
            subprocess.Popen(
                [sys.executable, "-c", CLAIMER, str(path)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            for _ in range(2)
        ]
        for child in children:
            assert child.stdout is not None and child.stdout.readline() == "ready\n"
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        won: list[str] = []
        for child in children:  # both done before either exits (see CLAIMER)
            assert child.stdout is not None
            for line in iter(child.stdout.readline, "done\n"):
                assert line, "a claimer ended before it was done"
                won.append(line.split()[1])
        for child in children:
            _, err = child.communicate("exit\n", timeout=120)
            assert child.returncode == 0, err
        assert sorted(won) == sorted(ids), "an entry was claimed twice, or not at all"


def test_a_killed_processes_lease_is_free_at_once_and_a_live_ones_is_not(db_path: Path) -> None:
    with Store.open(db_path) as store:
        entry = store.outbox_add(comment(1))
    script = textwrap.dedent(
        """
        import sys, time
        from zen_tui.models import ActionState
        from zen_tui.store import Store, leases
        store = Store.open(sys.argv[1])
        owner = leases.new_owner()
        store.outbox_claim(sys.argv[2], owner, lease=600, alive=leases.alive)
        store.outbox_update(sys.argv[2], state=ActionState.SENDING, owner=owner)
        print(owner, flush=True)
        time.sleep(60)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(db_path), entry.id],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert child.stdout is not None
        holder = child.stdout.readline().strip()
        assert leases.alive(holder) and leases.describe(holder).startswith(f"pid {child.pid} ")
        with Store.open(db_path) as store:
            mine = leases.new_owner()
            assert store.outbox_claim(entry.id, mine, lease=600, alive=leases.alive) is None
            child.send_signal(signal.SIGKILL)
            child.wait(30)
            assert not leases.alive(holder)
            taken = store.outbox_claim(entry.id, mine, lease=600, alive=leases.alive)
            assert taken is not None and taken.state is S.UNKNOWN
            leases.forget(mine)
    finally:
        child.kill()
        child.wait(30)


def test_an_owner_of_this_process_is_alive_until_forgotten() -> None:
    owner = leases.new_owner()
    assert leases.alive(owner)
    leases.forget(owner)
    assert not leases.alive(owner)
    assert leases.alive("not-an-owner-id")  # unknown shapes wait for their lease to expire
    assert leases.alive("another-host:1:2:abc")  # another machine: cannot tell, so alive


def test_the_host_in_an_owner_id_is_the_one_socket_names() -> None:
    """Owner ids name the host by os.uname() (no socket import in headless commands): the
    same name socket.gethostname() gives, which older versions wrote."""
    import socket

    from zen_tui.store import leases

    assert leases.new_owner().split(":")[0] == socket.gethostname().replace(":", "_")

"""Each queued webhook delivery is applied to the store exactly once, whatever the
interleaving of full-disk refusals (every write, the commit alone, pages capped), process
stops mid-delivery and restarts: a delivery's store writes and its done mark are one
transaction. A real SQLite file (tests/fakes/full_disk.py); each "process" opens it afresh
and a stop drops it with the delivery's transaction open, as a kill would.

The deliveries are GitHub repository renames (r0 -> r1 -> r2 ...): applying one renames the
stored rows and records the move in the store's list of moves, so a rename applied twice is
a repeated entry there, and one lost (applied in memory, the store's write refused, then
marked done) a missing one."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from dataclasses import dataclass, field

import pytest

from tests.fakes import full_disk
from tests.helpers import seeds
from zen_tui.models import SectionInfo
from zen_tui.store import Store
from zen_tui.store.rows import StoreFull
from zen_tui.sync import webhook_processor
from zen_tui.sync.webhook_processor import WebhookProcessor

from .test_engine import FakeClient

ACCOUNT = "g"
STEPS = 80


class Stop(BaseException):
    """The process stops here (no `except Exception` catches it, as none catches a kill)."""


@dataclass
class Target:
    """The engine's side of a rename (in memory only): recorded, nothing shown."""

    sections: list[SectionInfo] = field(default_factory=list)
    moved: list[tuple[str, str]] = field(default_factory=list)

    def shown_ids(self, section_id: str) -> set[str]:
        return set()

    def shown_items(self, section_id: str) -> list[object]:
        return []

    def apply_items(self, section_id: str, items: list[object], *, derived: bool = False) -> None:
        raise AssertionError("a rename places no item")

    def forget(self, account: str, item_ids: Iterable[str] = (), *args, **kwargs) -> list[str]:
        return []

    def repository_moved(self, account: str, old: str, new: str) -> None:
        self.moved.append((old, new))

    def refresh_soon(self, section_ids: Iterable[str], *, full: bool = False) -> None:
        list(section_ids)

    def relist_when_built(self, section_ids: Iterable[str]) -> None:
        list(section_ids)

    def save_health(self) -> None:
        pass


def renamed(n: int) -> bytes:
    """GitHub's `repository` `renamed`: o/r<n-1> is o/r<n> now."""
    return json.dumps(
        {
            "action": "renamed",
            "repository": {"full_name": f"o/r{n}"},
            "changes": {"repository": {"name": {"from": f"r{n - 1}"}}},
        }
    ).encode()


class Process:
    """One zen-tui run on the file: its own connection and processor. In a delivery, after
    its rename, the disk may fill, and the run may stop (before or after its done mark is
    written, before the commit)."""

    def __init__(self, path, rng: random.Random) -> None:
        self.store = Store.open(path)
        self.processor = WebhookProcessor(
            self.store, {ACCOUNT: FakeClient(service="github")}, Target()
        )
        self.mode = "room"
        mark = self.store.webhook_done
        stops = rng.random() < 0.5  # this run may stop part-way

        def marking(row_id: int) -> None:
            if rng.random() < 0.1:
                self.disk("no room")
            if stops and rng.random() < 0.2:
                raise Stop
            mark(row_id)
            if stops and rng.random() < 0.2:
                raise Stop

        self.store.webhook_done = marking  # type: ignore[method-assign]

    def disk(self, mode: str) -> None:
        self.mode = mode
        full_disk.room(self.store)
        full_disk.free(self.store)
        if mode == "no room":
            full_disk.no_room(self.store)
        elif mode == "commit refused":
            full_disk.no_room(self.store, at_commit=True)
        elif mode == "pages capped":
            full_disk.fill(self.store)

    def close(self) -> int:
        self.store.close()  # an open transaction (a stop's) is dropped with the connection
        return self.processor.processed


@pytest.mark.parametrize("seed", seeds(every_run=range(8), soak=range(8, 80)))
def test_each_queued_delivery_is_applied_once_through_full_disks_and_stops(
    tmp_path, monkeypatch, seed
):
    rng = random.Random(seed)
    path = tmp_path / "zen.db"
    process = Process(path, rng)
    queued: list[int] = []
    processed = 0  # deliveries each run says it applied
    for _ in range(STEPS):
        roll = rng.random()
        if roll < 0.3 and process.mode == "room":  # the receiver queues one (full: refused)
            n = len(queued) + 1
            assert process.store.webhook_enqueue("github", f"d{n}", "repository", renamed(n), 0)
            queued.append(n)
        elif roll < 0.5:
            process.disk(rng.choice(["room", "no room", "commit refused", "pages capped"]))
        elif roll < 0.85:
            monkeypatch.setattr(webhook_processor, "BATCH", rng.randint(1, 3))
            try:
                process.processor.drain_batch()
            except StoreFull:
                assert process.mode != "room", seed
            except Stop:
                processed += process.close()
                process = Process(path, rng)
        else:  # the run ends between deliveries
            processed += process.close()
            process = Process(path, rng)
    processed += process.close()

    last = Store.open(path)  # a run with room to the end: whatever is left is applied now
    processor = WebhookProcessor(last, {ACCOUNT: FakeClient(service="github")}, Target())
    processed += processor.drain()
    moves = [(old, new) for old, new, _ in last.repo_moves(ACCOUNT)]
    assert last.webhook_pending() == [], seed
    assert moves == [(f"o/r{n - 1}", f"o/r{n}") for n in queued], seed  # each once, in order
    assert processed == len(queued), seed
    last.close()

"""In-memory fakes for the sync unit tests: an outbox store and a scripted service client."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import msgspec
from msgspec.structs import replace

from zen_tui.events import EventBus
from zen_tui.gateway.events import RequestDone
from zen_tui.models import Action, ActionState
from zen_tui.store.rows import LeaseHeld


class Entry(msgspec.Struct, frozen=True):  # a Struct, as the store's OutboxEntry is
    id: str
    seq: int
    action: Action
    idempotency_key: str | None
    batch_id: str | None
    state: ActionState = ActionState.PENDING
    attempts: int = 0
    reason: str | None = None
    lease_owner: str | None = None


class FakeOutboxStore:
    """Claims follow the real store's rule (tests/unit/store/test_outbox.py pins it): free
    when unleased, ours (unless ours is in flight), or held by an owner that is gone."""

    def __init__(self) -> None:
        self.rows: dict[str, Entry] = {}
        self._seq = itertools.count(1)

    def outbox_add(
        self, action: Action, *, idempotency_key=None, batch_id=None, login=None
    ) -> Entry:
        seq = next(self._seq)
        entry = Entry(f"e{seq}", seq, action, idempotency_key, batch_id)
        self.rows[entry.id] = entry
        return entry

    def outbox_get(self, entry_id: str) -> Entry | None:
        return self.rows.get(entry_id)

    def outbox_by_state(self, *states: ActionState) -> list[Entry]:
        return sorted((e for e in self.rows.values() if e.state in states), key=lambda e: e.seq)

    def outbox_update(self, entry_id, *, state, reason=None, attempt=False, owner=None) -> Entry:
        old = self.rows[entry_id]
        if owner is not None and old.lease_owner != owner:
            raise LeaseHeld(f"outbox entry {entry_id} is no longer leased to {owner}")
        new = replace(old, state=state, reason=reason, attempts=old.attempts + int(attempt))
        self.rows[entry_id] = new
        return new

    def outbox_claim(self, entry_id, owner, *, lease, alive) -> Entry | None:
        old = self.rows.get(entry_id)
        if old is None or old.state in (ActionState.DONE, ActionState.FAILED):
            return None
        holder = old.lease_owner
        if holder == owner and old.state is ActionState.SENDING:
            return None
        if holder not in (None, owner) and alive(holder):
            return None
        new = replace(old, lease_owner=owner)
        if old.state is ActionState.SENDING:
            new = replace(new, state=ActionState.UNKNOWN, reason="interrupted while sending")
        self.rows[entry_id] = new
        return new

    def outbox_release(self, entry_id, owner) -> None:
        old = self.rows[entry_id]
        if old.lease_owner == owner:
            self.rows[entry_id] = replace(old, lease_owner=None)


@dataclass(frozen=True)
class Result:
    ok: bool
    message: str = ""
    item: Any = None
    conflict: bool = False
    label: str = "conflict"


class FakeClient:
    """apply() pops scripted outcomes (an exception to raise or a Result); default ok."""

    def __init__(self, service: str = "github", account: str = "gh") -> None:
        self.service = service
        self.account = account
        self.script: list[Any] = []
        self.verify_script: list[Any] = []
        self.applied: list[tuple[str, str]] = []  # (item_id, idempotency key)
        self.verified: list[str] = []
        self.bulk_calls: list[list[Action]] = []

    async def apply(self, action: Action, *, idempotency_key: str) -> Result:
        outcome = self.script.pop(0) if self.script else Result(True)
        if isinstance(outcome, BaseException):
            raise outcome
        if outcome.ok:
            self.applied.append((action.item_id, idempotency_key))
        return outcome

    def keep_resolved(self, sink) -> None:
        """Resolves nothing before a write: nothing to keep."""

    def thread_replies(self, event, payload) -> list:
        return []  # no threads (as BaseClient says)

    def state_from_webhook(self, event, payload) -> None:
        return None  # no state of its own in webhooks (as BaseClient says)

    async def verify(self, action: Action, *, idempotency_key: str) -> bool | None:
        self.verified.append(action.item_id)
        outcome = self.verify_script.pop(0) if self.verify_script else False
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    async def bulk_apply(self, actions, keys, progress) -> list[Result]:
        self.bulk_calls.append(list(actions))
        for i, _ in enumerate(actions, 1):
            progress(i, len(actions))
        return [Result(True) for _ in actions]


def publish_service_down(bus: EventBus, service: str, account: str) -> None:
    """What the gateway publishes when a call fails for good with a 503 (4 attempts): the
    outbox learns the service is down even when the client swallows the error."""
    bus.publish(
        RequestDone(
            service=service,
            account=account,
            method="GET",
            endpoint="/x",
            status=503,
            latency=0.1,
            cache="bypass",
            attempts=4,
            error="503",
        )
    )

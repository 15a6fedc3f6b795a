"""Bulk: a selection of actions becomes batches.

Jira transitions go through the client's bulk API (one call per transition per batch, then
queue polls inside the client); everything else is sent one by one through the outbox with
bounded concurrency, content-creating writes spaced to stay under GitHub's secondary limit
(<= 80 a minute). Progress per item is published as ActionUpdated(progress=(done, total)).

A selection waits as a replay does (outbox.Holds): an entry left waiting holds back the
later entries of its item when the wait is on a narrower limit (a Jira issue's writes, one
endpoint, one Slack method), of its whole account otherwise; the rest of the selection goes
on. An item's entries are sent one after another, in the order made (never two at once, so
none goes out while the one before it meets a 429), and none before an earlier entry of its
item still waiting outside the selection; different items go concurrently. An entry held
back stays PENDING (UNKNOWN: verified first), unsent, for the replayer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from itertools import groupby
from typing import Any

import msgspec

from zen_tui.gateway.errors import GatewayError
from zen_tui.gateway.writing import write_under_way
from zen_tui.models import ActionState
from zen_tui.sync.freshness import reason_for
from zen_tui.sync.outbox import (
    Holds,
    Outbox,
    Outcome,
    Sent,
    after_send_error,
    failures,
    item_of,
)

# Writes that create content count against GitHub's 80/min secondary limit.
CONTENT_CREATING = frozenset({"comment", "approve", "request_changes", "reply", "post"})


class BulkSettings(msgspec.Struct, frozen=True):
    batch_size: int = 200  # Jira's bulk API takes up to 1,000 issues per call
    flush_interval: float = 0.5  # seconds to wait for more of a selection before flushing
    concurrency: int = 4
    create_per_minute: float = 80.0


class Pacer:
    """Spaces calls at least `spacing` seconds apart, across concurrent senders."""

    def __init__(
        self,
        spacing: float,
        now: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self.spacing, self.now, self.sleep = spacing, now, sleep
        self._next = 0.0

    async def wait(self) -> None:
        at = max(self.now(), self._next)
        self._next = at + self.spacing
        delay = at - self.now()
        if delay > 0:
            await self.sleep(delay)


def batches(entries: Sequence[Any], size: int) -> list[list[Any]]:
    """Jira transitions grouped by (account, transition) then cut to `size`; others by size."""

    def key(e: Any) -> tuple[str, str, str]:
        a = e.action
        return (a.account, a.kind, a.params.get("transition", "") if a.kind == "transition" else "")

    out: list[list[Any]] = []
    for _, group in groupby(sorted(entries, key=lambda e: (key(e), e.seq)), key=key):
        items = list(group)
        out.extend(items[i : i + size] for i in range(0, len(items), size))
    return out


class BulkProcessor:
    def __init__(
        self,
        outbox: Outbox,
        settings: BulkSettings | None = None,
        *,
        now: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.outbox = outbox
        self.settings = settings or BulkSettings()
        self.pacer = Pacer(60.0 / self.settings.create_per_minute, now, sleep)
        self.sleep = sleep
        self._buffer: list[Any] = []
        self._flusher: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # -- batching over time ---------------------------------------------------------------
    def add(self, entries: Sequence[Any]) -> None:
        """Buffer a selection; flush at batch_size or after flush_interval."""
        self.outbox.claimed.update(e.id for e in entries)
        self._buffer.extend(entries)
        if len(self._buffer) >= self.settings.batch_size:
            self._spawn(self._flush_now())
        elif self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush_later())

    async def _flush_later(self) -> None:
        await self.sleep(self.settings.flush_interval)
        while self._buffer:  # selections added while one was being sent go next
            await self._flush_now()

    async def _flush_now(self) -> None:
        entries, self._buffer = self._buffer, []
        if entries:
            await self.process(entries)

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for everything buffered or running (tests, `zen-tui act`)."""
        while True:
            running = [t for t in (self._flusher, *self._tasks) if t is not None and not t.done()]
            if running:
                await asyncio.wait(running)  # a cancelled task ends the wait, never raises
            elif self._buffer:
                await self._flush_now()
            else:
                return

    def cancel(self) -> None:
        """At shutdown: stop sending. Unsent entries stay pending in the store; one cut off
        mid-send is left SENDING and verified at the next start (outbox.recover)."""
        for task in [self._flusher, *self._tasks]:
            if task is not None:
                task.cancel()
        self._buffer.clear()

    # -- processing ------------------------------------------------------------------------
    async def process(self, entries: Sequence[Any]) -> None:
        """Send a selection now; entries are claimed so the replayer leaves them alone until
        this is done with each (sent, or held back by a wait: Holds, for the whole selection)."""
        self.outbox.claimed.update(e.id for e in entries)
        progress = _Progress(len(entries))
        try:
            holds = Holds(items=await self.outbox.earlier_waits(entries))
            for batch in batches(entries, self.settings.batch_size):
                client = self.outbox.clients[batch[0].action.account]
                if batch[0].action.kind == "transition" and str(client.service) == "jira":
                    await self._jira_bulk(client, batch, progress, holds)
                else:
                    await self._one_by_one(batch, progress, holds)
        finally:
            self.outbox.claimed.difference_update(e.id for e in entries)
        self.outbox.wake()  # anything left pending goes to the replayer's schedule

    async def _jira_bulk(
        self, client: Any, batch: list[Any], progress: _Progress, holds: Holds
    ) -> None:
        for entry in [e for e in batch if holds.holds(e)]:
            self._left(entry, progress)
        batch = [e for e in batch if not holds.holds(e)]
        taken = [e for e in map(self.outbox.claim, batch) if e is not None]
        sent = {e.id for e in taken}
        for entry in batch:
            if entry.id not in sent:  # another process sends it, or it was taken out
                self._said(entry, self.outbox.unclaimed_state(entry), progress)
        scope: str | None = None
        try:
            if taken:
                scope = await self._jira_bulk_send(client, taken, progress)
        finally:
            for entry in taken:
                self.outbox.release(entry)
                now = self.outbox.store.outbox_get(entry.id)
                if now is not None:  # one call for all: each waits as the call's answer said
                    holds.after(entry, Sent(now.state, scope))

    async def _jira_bulk_send(
        self, client: Any, batch: list[Any], progress: _Progress
    ) -> str | None:
        """Send the batch in one bulk call; the narrower limit a failed call waits on."""
        for entry in batch:
            self.outbox.mark(entry, ActionState.SENDING, None, attempt=True)

        account = batch[0].action.account
        try:  # per-item progress is published below, as each result is recorded
            # One write (Outbox._apply's note): its lookups and queue polls finish on the
            # gateway it began on, should a new login replace it meanwhile.
            with failures(self.outbox.bus, account) as troubles, write_under_way():
                results = await client.bulk_apply(
                    [e.action for e in batch], [e.idempotency_key for e in batch], _ignore
                )
        except GatewayError as err:
            outcome = after_send_error(err)
            for entry in batch:
                self.outbox.mark(entry, outcome.state, outcome.reason, progress=progress.step())
            self.outbox.note(outcome)
            return outcome.scope
        for entry, result in zip(batch, results, strict=True):
            state, reason = _judge(result, bool(troubles))
            self.outbox.mark(entry, state, reason, progress=progress.step())
            if state is ActionState.PENDING:
                self.outbox.note(Outcome(state, reason))
        return None  # a result failed while the account had trouble: which limit, unknown

    async def _one_by_one(self, batch: list[Any], progress: _Progress, holds: Holds) -> None:
        """Each item's entries in order, one at a time; items side by side, at most
        `concurrency` sends at once. A wait holds back what Holds says, the rest goes on."""
        gate = asyncio.Semaphore(self.settings.concurrency)

        async def one(entry: Any) -> None:
            async with gate:
                if holds.holds(entry):  # checked again: a wait met while this one queued
                    self._left(entry, progress)
                    return
                if entry.action.kind in CONTENT_CREATING:
                    await self.pacer.wait()
                try:
                    sent = await self.outbox.send_scoped(entry)
                except Exception as err:  # never lose the others of the batch
                    sent = Sent(ActionState.UNKNOWN)
                    self.outbox.mark(entry, sent.state, reason_for(err))
                holds.after(entry, sent)
                self._said(entry, sent.state, progress)

        async def lane(entries: list[Any]) -> None:
            for entry in entries:
                await one(entry)

        lanes: dict[tuple[str, str], list[Any]] = {}
        for entry in sorted(batch, key=lambda e: e.seq):
            lanes.setdefault(item_of(entry), []).append(entry)
        await asyncio.gather(*(lane(entries) for entries in lanes.values()))

    def _said(self, entry: Any, state: ActionState, progress: _Progress) -> None:
        """Done with `entry` here: its row says `state` (with the store's reason), counted in
        the selection's progress; a replay may take it from here."""
        self.outbox.claimed.discard(entry.id)
        latest, _, reason = self.outbox.latest(entry)
        self.outbox.publish(latest, state, reason, progress.step())

    def _left(self, entry: Any, progress: _Progress) -> None:
        """An entry a wait holds back: left as it is (PENDING, or UNKNOWN to be verified)
        for the replayer, unsent; counted in the selection's progress."""
        self.outbox.claimed.discard(entry.id)
        self.outbox.publish(*self.outbox.latest(entry), progress.step())


def _judge(result: Any, troubled: bool) -> tuple[ActionState, str | None]:
    """A bulk result: done, failed (a refusal), or pending when it failed while the service
    was failing (transitions are idempotent, so a resend is safe)."""
    if result.ok:
        return ActionState.DONE, result.message or None
    if result.conflict:
        return ActionState.FAILED, f"{result.label}: " + (result.message or "refused")
    if troubled:
        return ActionState.PENDING, result.message or "service unavailable"
    return ActionState.FAILED, result.message or "failed"


def _ignore(done: int, total: int) -> None:
    pass


class _Progress:
    def __init__(self, total: int) -> None:
        self.total, self.done = total, 0

    def step(self) -> tuple[int, int]:
        self.done += 1
        return (self.done, self.total)

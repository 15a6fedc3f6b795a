"""The outbox figures a running engine publishes (OutboxCounted): what the store holds, never
a count kept beside it.

The dashboard's gateway cards (`out 4 ✗2`) once counted ActionUpdated events on top of the
start-up figures; entries they had not seen queued were counted twice and taken off once, and
a retry or a clear made by another process (`zen-tui outbox`) was never seen: an end-to-end
run showed `out 4` for minutes over an empty outbox. Now the figures are read from the store
(Store.outbox_figures: one indexed read of the waiting and failed rows): after each change
this engine makes (coalesced: a batch queued in one loop turn is one read), and when the
engine's store check (every STORE_CHECK_SECONDS, off the loop) finds that another process
changed them. Every read that is published is made on the event loop, one after another, so
an older read is never published after a newer one.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Mapping

from zen_tui.events import EventBus
from zen_tui.store import Store
from zen_tui.store.codec import CodecError
from zen_tui.store.outbox import NO_FIGURES, OutboxFigures
from zen_tui.store.rows import StoreError
from zen_tui.sync.backend import OutboxCounted

log = logging.getLogger("zen_tui.sync.outbox_tally")


class OutboxTally:
    def __init__(
        self, store: Store, bus: EventBus, services: Callable[[], Mapping[str, str]]
    ) -> None:
        """`services`: account -> its service, for every account the cards count."""
        self.store = store
        self.bus = bus
        self.services = services
        self.said: dict[str, OutboxFigures] = {}  # account -> the figures last published
        self._due = False  # a read is asked for in this loop turn
        self._stopped = True

    def start(self) -> None:
        """Every account's figures are published once now (the dashboard's start-up figures
        may be older), then only those that change."""
        self._stopped = False
        self.said.clear()
        self.changed()

    def stop(self) -> None:
        """Before the store closes: a read asked for and not made yet is not made."""
        self._stopped = True

    def changed(self) -> None:
        """An entry changed in this process (its ActionUpdated): the figures are read once
        this loop turn's changes are in."""
        if self._due or self._stopped:
            return
        self._due = True
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a change published from another thread: read in it
            self._count()
        else:
            loop.call_soon(self._count)

    def check(self, figures: Mapping[str, OutboxFigures]) -> None:
        """The store check's read (made off the loop): figures other than those published
        mean another process changed the outbox; they are read again on the loop (this read
        may be older than one published meanwhile)."""
        if any(figures.get(a, NO_FIGURES) != self.said.get(a) for a in self.services()):
            self.changed()

    def _count(self) -> None:
        self._due = False
        if self._stopped:
            return
        try:
            figures = self.store.outbox_figures()
        except (sqlite3.Error, StoreError, CodecError) as exc:  # the next change reads again
            log.warning("outbox figures not read: %s", exc)
            return
        for account, service in self.services().items():
            now = figures.get(account, NO_FIGURES)
            if self.said.get(account) != now:
                self.said[account] = now
                self.bus.publish(
                    OutboxCounted(
                        service=service, account=account, pending=now.pending, failed=now.failed
                    )
                )

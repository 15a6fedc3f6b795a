"""The in-process event bus every layer reports on, and the base of its typed events.

A neutral home below every layer: the gateway publishes what happens to each request
(`zen_tui.gateway.events`), the sync layer publishes section and outbox updates
(`zen_tui.sync.backend`). The UI, the `health` command and the metrics registry all subscribe
to the same bus, so no widget ever polls the gateway. Subscribers are called synchronously in
the publisher's thread: keep them short (the UI hands events to `App.call_from_thread` or
`post_message`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import msgspec


class Event(msgspec.Struct, frozen=True, kw_only=True):
    service: str
    account: str
    at: float = msgspec.field(default_factory=time.time)


Subscriber = Callable[[Event], None]


class EventBus:
    """Synchronous fan-out. Thread-safe subscribe/publish; a failing subscriber is isolated."""

    def __init__(self) -> None:
        # Replaced whole (never changed in place) under the lock: a publish reads it without
        # the lock or a copy, and sees the subscribers of one moment. The gateway publishes
        # two events per request.
        self._subscribers: tuple[Subscriber, ...] = ()
        self._lock = threading.Lock()

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        with self._lock:
            self._subscribers = (*self._subscribers, fn)

        def unsubscribe() -> None:
            with self._lock:
                if fn in self._subscribers:
                    kept = list(self._subscribers)
                    kept.remove(fn)
                    self._subscribers = tuple(kept)

        return unsubscribe

    def publish(self, event: Event) -> None:
        for fn in self._subscribers:
            try:
                fn(event)
            except Exception:  # a broken observer must never break a request
                logging.getLogger("zen_tui.events").exception("event subscriber failed")

"""Bounds for the webhook port, which anyone who can reach it may connect to unauthenticated.

- `bounded_protocol(limits)`: uvicorn's h11 protocol with a deadline for a request's headers,
  a short idle keep-alive, and at most `max_connections` open connections: a new connection
  over the cap closes the longest-idle one (a real delivery sends its request at once, so it
  is never the idle one), or is itself closed when every connection is mid-request. Idle
  connections can then never use up the process's file descriptors, which would stop it
  accepting anything.
- `BodyBudget`: at most `max_buffered_bytes` of request bodies held at once, across
  connections (each body is capped on its own too, by `max_body_bytes`).
- `BodyDeadlines`: a body must be read within `body_seconds` (one timer for all reads).
- `RepeatFilter`: at most `burst` log lines with the same text per `window` seconds per
  logger; the next line after a dropped run says how many were dropped. Installed on the
  loggers a flood writes to, so it cannot rotate the log history away.

Bodies are read, within both, by webhooks.read_capped.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import msgspec
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("zen_tui.sync.webhooks")

# Loggers that a flood of connections or bad requests writes to: asyncio's "accept() out of
# system resource", uvicorn's "Invalid HTTP request received.", and our rejection lines.
FLOOD_LOGGERS = ("asyncio", "uvicorn.error", "zen_tui.sync.webhooks")


class ReceiverLimits(msgspec.Struct, frozen=True):
    max_connections: int = 200  # far below the usual 1,024 open files
    header_seconds: float = 10.0  # from connecting (or the last answer) to a whole request head
    body_seconds: float = 30.0  # to read the whole body once the head is in
    keep_alive_seconds: int = 5  # an idle connection after an answer is closed after this
    max_header_bytes: int = 16_384
    # Bodies held in memory at once, across connections: one may be as large as
    # max_body_bytes (GitHub sends up to 25 MB), but not 200 of them at once.
    max_buffered_bytes: int = 64 * 1024 * 1024
    # A delivery whose body could not be read (too big, too slow, the sender gone) refreshes
    # its service at most this often (anyone can send such bodies; each refresh lists the
    # service's sections from its API).
    unread_refresh_seconds: float = 60.0


def fitted(limits: ReceiverLimits, backlog: int) -> ReceiverLimits:
    """`limits` with max_connections lowered to fit this process's open-file limit: room is
    left for what asyncio accepts in one go (`backlog`) and for the app's own files."""
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, OSError, ValueError):
        return limits
    if soft == resource.RLIM_INFINITY:
        return limits
    room = max(8, (soft - 3 * backlog - 64) // 2)
    return msgspec.structs.replace(limits, max_connections=min(limits.max_connections, room))


def bounded_protocol(limits: ReceiverLimits) -> type[H11Protocol]:
    """An H11Protocol class enforcing `limits` (uvicorn's Config(http=...) takes a class)."""

    class Bounded(_BoundedH11):
        pass

    Bounded.limits = limits
    return Bounded


class _BoundedH11(H11Protocol):
    limits = ReceiverLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The next request head is due by `_head_by` (loop time), moved on as the connection
        # opens and after each answer. One timer per connection checks it, not one per
        # request: when it fires early it waits on to the deadline it finds. A timer set and
        # cancelled per delivery cost more CPU than anything else the bounds do.
        self._head_by = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self.idle_since = self.loop.time()

    # uvicorn's own override narrows asyncio.Protocol's BaseTransport to Transport (mypy
    # reports it there too); this one repeats uvicorn's signature.
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.loop.time())
        if len(self.connections) > self.limits.max_connections:
            self._make_room()

    def open(self) -> bool:
        """Not closed yet (a closed one stays in `connections` until its socket is gone)."""
        return self.transport is not None and not self.transport.is_closing()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self.idle_since = now = self.loop.time()
        if not self.transport.is_closing() and not self.busy():
            self._arm(now)  # the next request's head must come in time too

    def busy(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def _arm(self, now: float) -> None:
        self._head_by = now + self.limits.header_seconds
        if self._timer is None:
            self._timer = self.loop.call_at(self._head_by, self._head_due)

    def _head_due(self) -> None:
        self._timer = None
        if self.loop.time() < self._head_by:  # armed again since this timer was set
            self._timer = self.loop.call_at(self._head_by, self._head_due)
        elif not self.busy() and not self.transport.is_closing():
            self.transport.close()  # (busy: the head came; the body has its own deadline)

    def _make_room(self) -> None:
        """Over the cap: close the longest-idle other connection, else this new one."""
        others = [c for c in self.connections if c is not self and isinstance(c, _BoundedH11)]
        live = [c for c in others if c.open()]
        if len(live) < self.limits.max_connections:
            return  # the rest are closing already
        idle = [c for c in live if not c.busy()]
        victim = min(idle, key=lambda c: c.idle_since, default=self)
        log.warning(
            "webhooks: %d connections open (the most allowed is %d); closed %s",
            len(live) + 1,
            self.limits.max_connections,
            "the longest-idle one" if victim is not self else "a new one (all are busy)",
        )
        victim.transport.close()


class BodyBudget:
    """The bytes of request bodies held in memory at once: `take(n)` says whether `n` more
    fit (and holds them); whoever took bytes gives them back when done with the body."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0

    def take(self, size: int) -> bool:
        if self.held + size > self.limit:
            return False
        self.held += size
        return True

    def give_back(self, size: int) -> None:
        self.held -= size


class BodyDeadlines:
    """Each body being read must be complete `seconds` after its reading began, else its task
    is cancelled, as asyncio.timeout would, and `finish` says the deadline ended it. One timer
    serves every read: a timer set and cancelled per delivery (asyncio.timeout's) cost more
    CPU than the rest of reading a small body. The reads are kept in start order, which is
    deadline order (one `seconds` for all), so the timer only looks at the oldest."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._reading: dict[asyncio.Task[Any], tuple[float, int]] = {}  # -> (due, cancelling)
        self._expired: dict[asyncio.Task[Any], int] = {}  # cancelled by us -> cancelling before
        self._timer: asyncio.TimerHandle | None = None
        # The timer's loop: one set in a loop since closed never fires, so a read in another
        # loop (a receiver serving a second asyncio.run) sets its own.
        self._timer_loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> asyncio.Task[Any]:
        """The current task begins reading a body; call `finish(task, ...)` whatever happens."""
        task = asyncio.current_task()
        assert task is not None  # read_capped runs in the request's task
        loop = task.get_loop()
        due = loop.time() + self.seconds
        self._reading[task] = (due, task.cancelling())
        if self._timer is None or self._timer_loop is not loop:
            self._timer, self._timer_loop = loop.call_at(due, self._expire), loop
        return task

    def finish(self, task: asyncio.Task[Any], cancelled: bool) -> bool:
        """True when the deadline ended the read (`cancelled`: it ended in CancelledError, and
        no one else asked to cancel the task). Our cancel is taken back either way."""
        if self._reading.pop(task, None) is not None:
            return False
        cancelling = self._expired.pop(task, None)
        if cancelling is None:
            return False
        return task.uncancel() <= cancelling and cancelled

    def _expire(self) -> None:
        self._timer = None
        while self._reading:
            task, (due, cancelling) = next(iter(self._reading.items()))
            loop = task.get_loop()
            if due > loop.time():
                self._timer, self._timer_loop = loop.call_at(due, self._expire), loop
                return
            del self._reading[task]
            self._expired[task] = cancelling
            task.cancel()


class RepeatFilter(logging.Filter):
    """Drops repeats of a line beyond `burst` per `window` seconds (per logger and text).
    Fixed windows, each starting at the first line after the last one ended: cheaper than a
    sliding one, at the cost that any sliding `window` may hold up to 2 x `burst` lines."""

    MAX_KEYS = 256  # the filter's own memory is bounded too

    def __init__(
        self, burst: int = 10, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self.burst, self.window, self.clock = burst, window, clock
        self._runs: dict[tuple[str, int, str], tuple[float, int, int]] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.levelno, str(record.msg)[:300])
        now = self.clock()
        with self._lock:
            start, count, dropped = self._runs.pop(key, (now, 0, 0))
            if now - start >= self.window:
                start, count = now, 0
            count += 1
            keep = count <= self.burst
            self._runs[key] = (start, count, 0 if keep else dropped + 1)
            if len(self._runs) > self.MAX_KEYS:  # forget the least recently seen text
                del self._runs[next(iter(self._runs))]
        if keep and dropped:
            record.msg = f"{record.getMessage()} ({dropped} more like this were not logged)"
            record.args = None
        return keep

    def dropped(self) -> int:
        """Lines dropped since each text's last logged line."""
        with self._lock:
            return sum(d for _, _, d in self._runs.values())

    def install(self) -> None:
        for name in FLOOD_LOGGERS:
            logger = logging.getLogger(name)
            if self not in logger.filters:
                logger.addFilter(self)

    def remove(self) -> None:
        for name in FLOOD_LOGGERS:
            logging.getLogger(name).removeFilter(self)
        if self.dropped():
            log.warning("webhooks: %d repeated log lines were not logged", self.dropped())

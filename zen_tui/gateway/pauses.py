"""Rate-limit pauses shared through the store: they outlive the process and hold every
process on the data folder.

Why: a pause lived only in a gateway's memory. Restart zen-tui (or run `zen-tui sync` or
`zen-tui act` beside the dashboard) during GitHub's 16-minute secondary-limit wait, and the
new process sent its start-up polls at once. GitHub's REST docs ask a limited client not to
send again before the wait it was given is over (Retry-After, else the primary window's
reset, else at least a minute, growing exponentially while the limit goes on), and warn that
requests sent while limited can get an integration banned; Slack's and Jira's 429s name a
wait (Retry-After) that an early retry only lengthens.

So each pause a gateway applies is written to the store (PauseBook: the store's side lives
in the composition root, as the persistent cache's does) before its next request, with its
end in wall time (monotonic time means nothing to the next process), when it was met, and
GitHub's doubling step. A new gateway applies what is left of each; a running one takes
another process's before each request, reading only when the store says something changed
(store/pauses.py: another process's write is seen within PAUSES_RECHECK, 50 ms).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from zen_tui.models import RatePause

from .clock import Clock
from .limiter import ScopedLimiter

log = logging.getLogger("zen_tui.gateway")

# An ended pause's row keeps its step this long: a restart soon after its end that meets
# GitHub's secondary limit again goes on doubling, as the process before it would have.
STEP_KEPT = 3600.0


class PauseBook(Protocol):
    """Where pauses are kept (wiring.StorePauses over the store). Every method may raise
    (a busy or closed store): the gateway then goes on with the pauses it holds."""

    def version(self) -> object:
        """Changes whenever a pause may have been written since (by anyone): cheap."""
        ...

    def load(self, account: str) -> list[RatePause]: ...

    def save(self, pause: RatePause) -> None: ...

    def ended(self, account: str, scope: str, now: float) -> None:
        """The scope's pause is over and a call went through: forget it and its step."""
        ...


# scope -> (GitHub rate limits in a row that named no time, when the last one came)
Streaks = dict[str, tuple[int, float]]


class SharedPauses:
    """One gateway's link to the stored pauses of its account."""

    def __init__(
        self,
        book: PauseBook | None,
        account: str,
        service: str,
        clock: Clock,
        limiter: ScopedLimiter,
        streaks: Streaks,
        paused: Callable[[str], None],
    ) -> None:
        self._book = book
        self._account = account
        self._service = service
        self._clock = clock
        self._limiter = limiter
        self._streaks = streaks
        self._paused = paused  # told of each scope a stored pause paused (or paused longer)
        self._seen: object = None  # the book's version when last read
        self._stored: dict[str, float] = {}  # scope -> until of its stored row
        self._said: set[tuple[str, float]] = set()  # unusable rows already logged
        self._failing = False  # the book failed: said once, until it works again

    def take_stored(self) -> None:
        """Apply the stored pauses not applied yet (at the build, and before each request):
        what is left of each, on its scope's bucket. Reads only when the book changed."""
        if self._book is None:
            return
        try:
            version = self._book.version()
            if version == self._seen:
                return
            pauses = self._book.load(self._account)
            self._seen = version
        except Exception as exc:
            self._failed("read", exc)
            return
        self._works()
        now = self._clock.time()
        for pause in pauses:
            if self._usable(pause):
                self._apply(pause, now)

    def record(self, scope: str, until: float, reason: str) -> None:
        """The server paused `scope` until `until` (epoch): kept for every process."""
        if self._book is None:
            return
        step = self._streaks.get(scope, (0, 0.0))[0]
        now = self._clock.time()
        pause = RatePause(self._account, self._service, scope, until, now, reason, step)
        try:
            self._book.save(pause)
        except Exception as exc:
            self._failed("write", exc)
            return
        self._works()
        self._stored[scope] = max(until, self._stored.get(scope, until))

    def succeeded(self, scopes: tuple[str, ...]) -> None:
        """A call of these scopes went through: a stored pause of theirs that is over goes
        (one still running stays: the call may have been sent before it began)."""
        now = self._clock.time()
        for scope in scopes:
            until = self._stored.get(scope)
            if until is None or until > now or self._book is None:
                continue
            del self._stored[scope]
            try:
                self._book.ended(self._account, scope, now)
            except Exception as exc:
                self._failed("write", exc)

    def _usable(self, pause: RatePause) -> bool:
        problem = pause.problem()
        if problem is None and pause.service != self._service:
            problem = f"it names {pause.service!r}, not this account's service"
        if problem is None:
            return True
        if (pause.scope, pause.until) not in self._said:
            self._said.add((pause.scope, pause.until))
            log.warning(
                "%s: a stored rate-limit pause of %r is ignored: %s",
                self._account,
                pause.scope,
                problem,
            )
        return False

    def _apply(self, pause: RatePause, now: float) -> None:
        scope = pause.scope
        if pause.until + STEP_KEPT <= now:
            return  # long over: its step no longer counts either (the prune removes it)
        self._stored[scope] = max(pause.until, self._stored.get(scope, pause.until))
        if pause.step > self._streaks.get(scope, (0, 0.0))[0]:
            self._streaks[scope] = (pause.step, pause.recorded_at)
        left = pause.left(now)
        if left > 0 and self._limiter.bucket(scope).pause_for(left):
            log.info(
                "%s: %r is rate limited for %.0f s more, as stored", self._account, scope, left
            )
            self._paused(scope)

    def _failed(self, what: str, exc: Exception) -> None:
        if not self._failing:
            self._failing = True
            log.warning(
                "%s: cannot %s the stored rate-limit pauses (%s); this process keeps its own",
                self._account,
                what,
                " ".join(str(exc).split()) or type(exc).__name__,
            )

    def _works(self) -> None:
        self._failing = False

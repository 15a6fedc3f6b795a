"""A section's snapshot and its freshness, from whatever the last poll produced.

Fallback order: API (live) -> in-memory (the gateway's stale cache, or this run's last good
snapshot) -> local store -> empty, each non-live state carrying the reason in one line.
"""

from __future__ import annotations

from collections.abc import Sequence

from zen_tui.config_schema import QUERY_KEY
from zen_tui.events import Event
from zen_tui.gateway.errors import (
    ApiError,
    ApiGone,
    AuthExpired,
    BadResponse,
    CircuitOpen,
    DeadlineExceeded,
    GatewayError,
    OffOrigin,
    PagingStopped,
    QueryRefused,
    RateLimited,
    Unavailable,
)
from zen_tui.gateway.events import RetryScheduled, WaitingForToken
from zen_tui.models import (
    Cause,
    Freshness,
    FreshnessState,
    Item,
    SectionInfo,
    Snapshot,
    format_age,
)
from zen_tui.sync.backend import Activity
from zen_tui.sync.stored import from_local_store as from_local_store
from zen_tui.sync.stored import stored as stored

# RetryScheduled reasons for a server that asked us to wait ("429 Retry-After", "403 reset"),
# as opposed to a failure being retried ("503", "ReadTimeout").
_RATE_LIMIT_REASONS = ("Retry-After", "reset")
MIN_SHOWN_WAIT = 1.0  # shorter token waits pass unnoticed; saying so would only flicker
FROM_CACHE = "from the gateway's cache"  # a poll answered within the TTL (from_cache)


def one_line(error: BaseException) -> str:
    """An error as one line for a pane or a log (a keyring's message may span several)."""
    return " ".join(str(error).split()) or type(error).__name__


def reason_for(error: BaseException | None) -> str | None:
    """One line for a pane badge: what is wrong, never a token or a traceback."""
    if error is None:
        return None
    if not isinstance(error, GatewayError):
        return f"internal error: {type(error).__name__}: {error}".strip()
    # Where it failed, unless the summary says so already (Slack's "conversations.history:
    # not_in_channel (...)" names its method; it has no HTTP method to add either).
    place = " ".join(p for p in (error.method, error.endpoint) if p)
    where = f" on {place}" if place and error.endpoint not in error.summary() else ""
    if isinstance(error, QueryRefused):  # the server's words, not where it said them
        return f"{error.service} {error.summary()}"
    own_words = CircuitOpen | RateLimited | AuthExpired | ApiGone | BadResponse | DeadlineExceeded
    if isinstance(error, own_words):  # their summary already says what and why
        return error.summary()
    if isinstance(error, Unavailable) and error.status is not None and error.status >= 500:
        return f"server error {error.status}{where}"
    if isinstance(error, Unavailable):
        return error.summary()
    return f"{error.summary()}{where}"


# most specific first: DeadlineExceeded is an Unavailable, ApiGone an ApiError
_CAUSES: tuple[tuple[type[GatewayError], Cause], ...] = (
    (AuthExpired, Cause.AUTH),
    (CircuitOpen, Cause.BREAKER),
    (RateLimited, Cause.RATE_LIMIT),
    (DeadlineExceeded, Cause.DEADLINE),
    (OffOrigin, Cause.OFF_ORIGIN),
    (BadResponse, Cause.BAD_RESPONSE),
    (PagingStopped, Cause.PAGING),
    (ApiGone, Cause.GONE),
    (QueryRefused, Cause.QUERY),
    (ApiError, Cause.REFUSED),
)


def query_reason(error: QueryRefused, section: SectionInfo) -> str:
    """A refused query, and what fixes it: the server's reason, then the config key and the
    section it belongs to ("jira refused the query: The value 'NOPE' does not exist for the
    field 'project'.; fix `jql` of section 'Bugs' in the config")."""
    key = QUERY_KEY.get(section.service, "query")
    title = " ".join(section.title.split()) or section.id
    return f"{reason_for(error)}; fix `{key}` of section '{title}' in the config"


def cause_for(error: BaseException | None) -> Cause | None:
    """The typed twin of `reason_for`: what the UI acts on (a login offer, a colour)."""
    if error is None:
        return None
    if not isinstance(error, GatewayError):
        return Cause.INTERNAL
    for kind, cause in _CAUSES:
        if isinstance(error, kind):
            return cause
    if isinstance(error, Unavailable) and error.status is not None and error.status >= 500:
        return Cause.SERVER
    return Cause.OFFLINE if isinstance(error, Unavailable) else Cause.SERVER


def live(
    items: Sequence[Item],
    fetched_at: float,
    note: str | None = None,
    read_only: str | None = None,
    left_out: str | None = None,
) -> Snapshot:
    """A live answer; `note`: the server's word on why it is empty (FetchResult.note), kept
    only while it is (a section that fills drops it), or on what it left out; `read_only`
    (FetchResult.read_only) and `left_out` (FetchResult.left_out: a Slack channel left) are
    kept rows or none."""
    reason = note if left_out is not None or not items else None
    fresh = Freshness(
        FreshnessState.LIVE, fetched_at, reason, read_only=read_only, left_out=left_out
    )
    return Snapshot(tuple(items), fresh)


def live_again(items: Sequence[Item], fetched_at: float, was: Freshness) -> Snapshot:
    """A live section's rows changed by a delivery (a webhook), as of `fetched_at`: it says
    nothing of the source, so what the last listing said of it stays (a channel archived,
    one left, and why)."""
    note = was.reason if was.left_out is not None else None
    return live(items, fetched_at, note, was.read_only, was.left_out)


def from_cache(
    items: Sequence[Item],
    fetched_at: float,
    ttl: float | None,
    read_only: str | None = None,
    left_out: str | None = None,
    note: str | None = None,
) -> Snapshot:
    """A listing the gateway answered (a page of it at least) from its cache within the TTL,
    the server not asked: nothing failed, but it is as old as the cached answer, not live.
    A 304 is live (the server was asked and confirmed it); this is not. `ttl`: the cache
    type's, for the reason (None: unknown). What the answer left out (`left_out`, a Slack
    channel left, and the `note` saying why) is kept, as live() keeps it."""
    kept = f", kept {format_age(ttl)}" if ttl else ""
    reason = f"{FROM_CACHE}{kept}: the server is asked again after that"
    if left_out is not None and note:
        reason = f"{note}; {reason}"
    fresh = Freshness(
        FreshnessState.CACHED, fetched_at, reason, Cause.CACHE_HIT, read_only, left_out
    )
    return Snapshot(tuple(items), fresh)


def cached(
    items: Sequence[Item],
    fetched_at: float | None,
    error: BaseException | None,
    read_only: str | None = None,
    left_out: str | None = None,
) -> Snapshot:
    """The rows kept (or a part read) when the read failed, for the error's reason; what the
    answer said of its source (`read_only`, `left_out`: a Slack channel left) is kept."""
    reason, cause = reason_for(error), cause_for(error)
    fresh = Freshness(FreshnessState.CACHED, fetched_at, reason, cause, read_only, left_out)
    return Snapshot(tuple(items), fresh)


PARTIAL = "partial"


def partial(
    items: Sequence[Item],
    fetched_at: float | None,
    error: BaseException | None,
    read_only: str | None = None,
    left_out: str | None = None,
) -> Snapshot:
    """A listing that did not read the whole query, merged into what was shown: not live,
    aged from when the section was last confirmed whole, and saying it is partial (and, as
    cached() does, what it said of its source)."""
    reason = reason_for(error) or "a part of the listing was not read"
    if not reason.startswith(PARTIAL):
        reason = f"{PARTIAL}: {reason}"
    cause = cause_for(error) or Cause.PAGING
    fresh = Freshness(FreshnessState.CACHED, fetched_at, reason, cause, read_only, left_out)
    return Snapshot(tuple(items), fresh)


def local(
    items: Sequence[Item], fetched_at: float | None, error: BaseException | None = None
) -> Snapshot:
    if error is None:
        return stored(items, fetched_at)
    fresh = Freshness(FreshnessState.LOCAL, fetched_at, reason_for(error), cause_for(error))
    return Snapshot(tuple(items), fresh)


def degraded(
    error: BaseException,
    memory: Snapshot | None,
    stored: tuple[Sequence[Item], float | None],
    section: SectionInfo | None = None,
) -> Snapshot:
    """The API failed and served nothing: in-memory, then local store, then empty. A refused
    query of `section` says which setting of which section to fix."""
    if isinstance(error, QueryRefused) and section is not None:
        return fallback(query_reason(error, section), memory, stored, Cause.QUERY)
    return fallback(reason_for(error) or "unavailable", memory, stored, cause_for(error))


def fallback(
    reason: str,
    memory: Snapshot | None,
    stored: tuple[Sequence[Item], float | None],
    cause: Cause | None = None,
) -> Snapshot:
    """No fresh answer, for `reason` (typed as `cause`): in-memory, then local store, then
    empty."""
    if memory is not None and memory.freshness.fetched_at is not None:
        fetched_at = memory.freshness.fetched_at
        # what the last answer said of the source still holds as far as we know
        was = memory.freshness
        fresh = Freshness(
            FreshnessState.CACHED, fetched_at, reason, cause, was.read_only, was.left_out
        )
        return Snapshot(tuple(memory.items), fresh)
    items, stored_at = stored
    if stored_at is not None:
        return Snapshot(tuple(items), Freshness(FreshnessState.LOCAL, stored_at, reason, cause))
    return Snapshot.empty(reason, cause)


def activity_for(event: Event, attempts: int) -> Activity | None:
    """What a gateway event means for the section whose refresh caused it; `attempts` is the
    most a call may make (the retry policy's max_attempts)."""
    if isinstance(event, RetryScheduled):
        if event.reason.endswith(_RATE_LIMIT_REASONS):
            return Activity("waiting", until=event.at + event.wait)
        return Activity("retrying", attempt=event.attempt + 1, attempts=attempts)
    if isinstance(event, WaitingForToken) and event.wait >= MIN_SHOWN_WAIT:
        return Activity("waiting", until=event.at + event.wait)
    return None

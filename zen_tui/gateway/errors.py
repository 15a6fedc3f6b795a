"""One small error hierarchy with the context a user and a log need, never a token.

`str(err)` is one line that fits a pane badge: "github: breaker open until 14:02:05 CET".
`err.detail()` adds the full context for logs and the health screen.

Only a class that adds a field is a dataclass (GatewayError, DeadlineExceeded): the others
inherit its keyword-only __init__ and its __repr__ (which names the subclass) unchanged, and
generating those again for each of them cost ~0.25 ms at every start. An exception cannot be
a msgspec Struct.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from zen_tui.timefmt import local_time


@dataclass(eq=False, kw_only=True)
class GatewayError(Exception):
    service: str
    account: str
    method: str = ""
    endpoint: str = ""  # template, never a URL with a token in it
    status: int | None = None
    attempt: int = 0
    request_id: str | None = None
    retry_at: float | None = None  # epoch seconds
    message: str = ""

    def __post_init__(self) -> None:
        Exception.__init__(self, str(self))

    def summary(self) -> str:
        return self.message or type(self).__name__

    def __str__(self) -> str:
        return f"{self.service}: {self.summary()}"

    def detail(self) -> str:
        parts = [str(self), f"account={self.account}"]
        if self.method or self.endpoint:
            parts.append(f"{self.method} {self.endpoint}".strip())
        if self.status is not None:
            parts.append(f"status={self.status}")
        if self.attempt:
            parts.append(f"attempt={self.attempt}")
        if self.request_id:
            parts.append(f"request_id={self.request_id}")
        if self.retry_at is not None:
            parts.append(f"retry_at={local_time(self.retry_at)}")
        return " | ".join(parts)


class CircuitOpen(GatewayError):
    def summary(self) -> str:
        when = f" until {local_time(self.retry_at)}" if self.retry_at else ""
        return f"breaker open{when}"


@dataclass(eq=False, kw_only=True)
class RateLimited(GatewayError):
    # The narrower limit the pause holds (a Jira issue's writes "issue:ZEN-12", one endpoint
    # and method "burst:POST ...", a Slack method "tier3:chat.postMessage"); None: the whole
    # account (a quota, a reason not known, GitHub's limits). The outbox holds back only
    # what a narrower pause covers (sync/outbox.py).
    scope: str | None = None

    def summary(self) -> str:
        if self.retry_at is None:
            return "rate limited"
        # A time of day, as the breaker's: this text is kept (a pane's reason, an outbox
        # entry's) and read later, when a countdown taken now has gone stale.
        return f"rate limited until {local_time(self.retry_at, now=time.time())}"


class AuthExpired(GatewayError):
    def summary(self) -> str:
        return self.message or "login expired; log in again"

    def from_env(self, variable: str) -> None:
        """The refused token came from the environment variable `variable`, which beats any
        login (`zen-tui auth login` cannot fix it): say so, and where to fix it."""
        if type(self) is not AuthExpired or self.message.startswith("the token in $"):
            return  # a login that cannot be read is no refusal; or said already
        said = self.message.split(";")[0] if self.message else f"{self.status or 401}"
        self.message = f"the token in ${variable} was refused ({said}); set a working one there"


class LoginUnreadable(AuthExpired):
    """The login could not be read right now (the keyring is locked, has no D-Bus, or did
    not answer in time): not a logout. An AuthExpired, so a pane offers a login and the
    outbox waits, but the account's saved sections, items, queued actions and cached answers
    all stay (a logout drops them): the next read that works carries on with them."""

    def summary(self) -> str:
        return self.message or "cannot read the login now"


class LoginReplaced(GatewayError):
    """A read refused by a gateway that a new login replaced (Gateway.retire): it would
    carry the old token. Nothing was sent. Not a failure of the service (no breaker, no
    retry, no RequestDone); the caller drops what it was reading and reads it again through
    the account's new gateway (the engine does so for polls and previews)."""

    def summary(self) -> str:
        return self.message or "the login changed while this was read; read again"


@dataclass(eq=False, kw_only=True)
class Unavailable(GatewayError):
    """No usable answer: connection refused, timeouts, 5xx after the last retry."""

    # Every attempt failed while connecting (refused, no route, DNS, TLS): not a byte of the
    # request went out, so the server cannot have applied it (a write needs no check first).
    nothing_sent: bool = False

    def summary(self) -> str:
        return self.message or "offline"


@dataclass(eq=False, kw_only=True)
class DeadlineExceeded(Unavailable):
    """The call's total time budget (attempts, backoff and waits together) ran out.

    An Unavailable, so it counts like a timeout everywhere: it trips the breaker, the outbox
    verifies before resending when no answer came (`status` None), a section degrades.
    """

    budget: float = 0.0  # seconds the call was given

    def summary(self) -> str:
        reason = f": {self.message}" if self.message else ""
        return f"gave up after {self.budget:g}s{reason}"


class ApiError(GatewayError):
    """A final 4xx (or a 5xx not retried): the server said no."""

    def summary(self) -> str:
        code = f"{self.status} " if self.status is not None else ""
        return f"{code}{self.message or 'request failed'}".strip()


class ApiGone(ApiError):
    """410: the provider removed this endpoint or API version."""


class VersionRefused(ApiGone):
    """The service does not serve the API version zen-tui pins (GitHub's X-GitHub-Api-Version:
    400 for one it never had, 410 Gone once it closed it down). Every call fails alike until
    zen-tui is updated: a final answer, never retried, counted by no breaker, and no sign
    that the item read is gone. The message says so whole (ServiceProfile.version_refusal)."""

    def summary(self) -> str:
        return self.message


class ItemGone(ApiError):
    """What was read is not there for this account: Slack's `channel_not_found`,
    `not_in_channel`, `thread_not_found`, `message_not_found` (HTTP 200 `ok: false`, so no
    status says it). An answer, never an outage: like a 404, it makes the engine ask about the
    item itself (ServiceClient.exists) before it removes the item anywhere."""


class QueryRefused(ApiError):
    """The server refused a section's own query (Jira's 400 on its JQL, GitHub's 422 on its
    search `q`): the user's words are wrong, not the service. A final answer like any 4xx:
    never retried, never counted by the breaker; only changing the query helps."""

    def summary(self) -> str:
        return f"refused the query: {self.message or 'invalid query'}"


class BadResponse(GatewayError):
    """The server answered, but not with what the contract promises (malformed JSON, ...)."""

    def summary(self) -> str:
        return f"bad response: {self.message}" if self.message else "bad response"


class OffOrigin(GatewayError):
    """A server-supplied URL points outside the account's base URL: not followed, so the
    credential never reaches another origin. The message names the origin, never the URL."""

    def summary(self) -> str:
        return self.message or "refused a link to another host"


class ResponseTooLarge(BadResponse):
    """The answer's body passed the configured size limit; reading stopped there."""


class PagingStopped(GatewayError):
    """Pagination was cut short (too many pages, empty pages in a row): what came is kept."""


class IncompleteResults(PagingStopped):
    """GitHub search answered `incomplete_results: true`: it timed out server-side and sent
    the matches found so far. The answer is a subset: what it lacks has not left."""

    def summary(self) -> str:
        return self.message or "partial: GitHub search timed out"

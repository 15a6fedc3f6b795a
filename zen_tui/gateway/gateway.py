"""The Gateway: one account's resilient client, composing the policies outermost first.

cache-aside (+ single flight) -> retry -> breaker -> deadline -> limiter -> auth + httpx.

Cache-aside answers from and fills the cache; below it the order is one pipeline (`compose`,
built in `Gateway.__init__`): each step does one job and hands the call to the next. The
policies themselves (retry.py, breaker.py, limiter.py, classify.py) are small values that
know nothing of the order.

Why the retry is outside the breaker (the order Resilience4j and Polly recommend): the
breaker then sees every attempt, so `failure_threshold` means failures on the wire. With the
breaker outside the retry loop, one call counted once however many attempts it made, and a
dead GitHub took up to 5 calls x 4 attempts = 20 requests to trip; now it takes 5. An
attempt refused by an open breaker is not retried (CircuitOpen is final), and the attempt
whose failure trips the breaker ends the call with that failure, without a backoff first.
The deadline sits inside the breaker so an attempt cut off by the budget counts as a
timeout; the limiter sits inside it so an open breaker spends no rate-limit token.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

import msgspec

from zen_tui.timefmt import local_time

from .answer import JSON, Answer, BodyTooLarge, QueryParams, RedirectRefused
from .cache import (
    CachedEntry,
    PersistentCache,
    ResponseCache,
    Sent,
    SingleFlight,
    cache_key,
    keepable,
    make_entry,
    owner,
)
from .classify import CallContext, response_failure, shortened, transport_failure
from .clock import Clock, SystemClock
from .credentials import Credential, CredentialProvider
from .deadline import Deadline, Watch
from .errors import (
    ApiError,
    AuthExpired,
    BadResponse,
    CircuitOpen,
    DeadlineExceeded,
    GatewayError,
    LoginReplaced,
    LoginUnreadable,
    OffOrigin,
    RateLimited,
    ResponseTooLarge,
)
from .events import (
    ApiDeprecation,
    BreakerChanged,
    BreakerState,
    CacheEvicted,
    CacheOutcome,
    EventBus,
    QuotaUpdated,
    RequestDone,
    RetryEnded,
    RetryScheduled,
    WaitingForToken,
)
from .identity import PROCESS, Fingerprinter
from .limiter import (
    AdaptiveLimiter,
    BucketGauge,
    CostMeter,
    Priority,
    ScopedLimiter,
    TokenTimeout,
    member_scope,
)
from .metrics import MetricsRegistry
from .origin import UNKNOWN_ORIGIN, origin_of, within_base
from .pauses import PauseBook, SharedPauses
from .profiles import (
    SILENT_LIMIT_MAX,
    SILENT_LIMIT_WAIT,
    VERSION_HEADER,
    PointsQuota,
    profile_for,
)
from .response import GatewayHealth, GatewayResponse
from .retry import AttemptFailed, RetryPolicy, with_retries
from .settings import GatewaySettings
from .writing import writing

# httpx and the client built on it (transport.py) load at the first request or cached answer,
# pybreaker (which loads tornado when installed) with the first breaker: building the gateways
# before the dashboard's first paint loads neither.
if TYPE_CHECKING:
    import httpx

    from .breaker import AsyncBreaker
    from .transport import Sender

log = logging.getLogger("zen_tui.gateway")
_CACHEABLE = frozenset({"GET", "HEAD"})
# How long a gateway without a login keeps that answer (see _ReadOnce): the engine's login
# check interval, the same bound as a terminal login reaching a running dashboard.
NO_LOGIN_HOLD = 30.0
MAX_MOVES = 1000  # permanent redirects remembered per gateway
# URLs whose absolute form is remembered per gateway: httpx takes ~4 URL parses and a urljoin
# to resolve one, the largest part of the gateway's own cost per request when done each time.
MAX_ABSOLUTES = 1000
# The scope of Jira's hourly points quota (its beta Beta-RateLimit headers, OAuth traffic
# only): reads spend from it, writes do not, so what its pacing leaves is there for them.
POINTS = "points"


class _Call(msgspec.Struct):
    method: str
    url: str  # as given: a path relative to base_url, or an absolute URL
    path: str
    endpoint: str
    params: QueryParams | None
    json: JSON
    data: Mapping[str, str] | None
    headers: Mapping[str, str] | None
    cache_type: str | None
    scope: str
    priority: Priority
    idempotency_key: str | None
    verify: Callable[[], Awaitable[GatewayResponse | None]] | None
    allow_stale: bool
    queue_wait: float  # longest wait for a rate-limit token
    deadline: Deadline  # the whole call's time budget
    revalidate: bool = False
    # Limits the call meets besides its scope's, each a scope (Jira's per endpoint and
    # method, per issue written): a 429 naming one pauses that one alone.
    narrower: tuple[str, ...] = ()
    validators: dict[str, str] = msgspec.field(default_factory=dict)  # for a stale cached entry
    attempts: int = 0
    sent: Sent | None = None  # when the last attempt went out: the answer is as new
    retried: bool = False
    retries: int = 0  # RetryScheduled events published for this call
    # Buckets this attempt took a token of, until its answer comes: in flight, the server
    # may not have counted it in the budget it reports meanwhile.
    held: list[AdaptiveLimiter] = msgspec.field(default_factory=list)


class _ReadOnce:
    """A credential provider whose answer is read once (refreshes still go through): the
    gateway's cache keys and its auth then always name the same login.

    No login (None, or the AuthExpired saying why and how to log in) is kept `hold` seconds
    too: a logged-out account's calls no longer ask the whole chain (its variables, `gh`,
    the keyring in a thread) twice each. A login takes effect at once all the same: zen-tui
    builds a new gateway for it (SyncEngine.reconnect, after the login screen, or when the
    login watch sees another process's login). The hold bounds how late a login that no
    zen-tui records is seen (`gh auth login`, a keyring entry written by another tool):
    the keyring and `gh` can change under a running process without telling it."""

    def __init__(
        self, inner: CredentialProvider, monotonic: Callable[[], float], hold: float
    ) -> None:
        self._inner = inner
        self._monotonic = monotonic
        self._hold = hold
        self._first: Credential | None = None
        self._none: tuple[float, AuthExpired | None] | None = None  # (until, why)

    async def get(self, account: str) -> Credential | None:
        if self._first is not None:
            return self._first
        if self._none is not None and self._monotonic() < self._none[0]:
            why = self._none[1]
            if why is None:
                return None
            raise dataclasses.replace(why)  # a copy: the kept one gathers no tracebacks
        until = self._monotonic() + self._hold
        try:
            self._first = await self._inner.get(account)
        except AuthExpired as exc:
            self._none = (until, exc)
            raise
        self._none = None if self._first is not None else (until, None)
        return self._first

    async def refresh(self, account: str) -> Credential | None:
        return await self._inner.refresh(account)


class Gateway:
    def __init__(
        self,
        *,
        account: str,
        service: str,
        base_url: str,
        settings: GatewaySettings,
        credentials: CredentialProvider,
        bus: EventBus | None = None,
        clock: Clock | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        persistent_cache: PersistentCache | None = None,
        fingerprinter: Fingerprinter | None = None,
        pauses: PauseBook | None = None,
    ) -> None:
        """`pauses`: where rate-limit pauses are kept for every process and the next start
        (gateway/pauses.py); the gateway starts with what is left of its account's."""
        self.account = account
        self.service = service
        self._settings = settings
        self._profile = profile_for(service)
        self._bus = bus or EventBus()
        self._clock: Clock = clock or SystemClock()
        self.base_url = base_url
        # The HTTP client is built at the first request (its CAs at the first TLS handshake,
        # gateway/tls.py): the dashboard paints from the store before any call is made.
        self._transport = transport
        # Read once, for the auth and for the cache keys both (a keyring read is slow).
        self._credentials = _ReadOnce(credentials, self._clock.monotonic, NO_LOGIN_HOLD)
        self._built: tuple[httpx.AsyncClient, Sender] | None = None
        self._persistent = persistent_cache
        self._fingerprinter = fingerprinter or PROCESS
        # account@fingerprint of the login these cache keys belong to; None until known
        self._owner: str | None = None
        self._user: str | None = None  # Fingerprinter.of_user of that login
        self._dropped = False  # the earlier logins' persisted answers deleted (once)
        self._local = False  # that login is this process's alone (Credential.local)
        self._unreadable = False  # its login could not be read at some ask (LoginUnreadable)
        self._elsewhere = False  # its login works at another REST base (Credential.base_url)
        self._cache = ResponseCache(settings.cache, persistent_cache, self._evicted)
        self._flights = SingleFlight()
        self._breakers: dict[str, AsyncBreaker] = {}
        self._retry = RetryPolicy(settings.retry)
        self._limiter = ScopedLimiter(
            settings.rate_limit.buckets,
            self._clock,
            safety_factor=settings.rate_limit.safety_factor,
            mutation_window=self._profile.mutation_window,
        )
        self.metrics = MetricsRegistry(self._bus, account=account)
        self._deprecations: dict[str, str] = {}
        # URL -> where a 301/308 said it lives now (a renamed repository); oldest dropped first
        self._moved: dict[str, str] = {}
        self._absolutes: dict[str, str] = {}  # url as given -> _absolute(url); oldest dropped
        # scope -> (GitHub rate limits in a row that named no time, when the last one came)
        self._silent_limits: dict[str, tuple[int, float]] = {}
        self._pauses = SharedPauses(
            pauses, account, service, self._clock, self._limiter, self._silent_limits, self._paused
        )
        # scope -> the bucket capacity the last QuotaUpdated reported (see _quota_restored)
        self._told_capacity: dict[str, float] = {}
        self._points_cost = CostMeter()  # what a read spends of the points quota
        self._points_unreadable = False  # its headers came unreadable (said once)
        self._points_near: float | None = None  # the reset of the window said to be near
        self._watch = Watch(self._clock)  # one timer for the deadlines of all its calls
        self._retries_in_flight = 0
        self._last_retry_wait: float | None = None
        self._active = 0  # request() calls running now
        self._retired = False  # replaced (a new login): close the connections when idle
        # The order of the policies, in one place: each step does one job and hands on.
        self._send = compose(
            (self._retry_step, self._breaker_step, self._deadline_step, self._limiter_step),
            self._wire,
        )
        self._pauses.take_stored()  # no request before a stored pause of the account ends

    # ---- public API -------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path_or_url: str,
        *,
        endpoint: str | None = None,
        params: QueryParams | None = None,
        json: JSON = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        cache_type: str | None = None,
        scope: str | None = None,
        priority: Priority = Priority.BACKGROUND,
        idempotency_key: str | None = None,
        verify: Callable[[], Awaitable[GatewayResponse | None]] | None = None,
        allow_stale: bool = False,
        deadline: float | None = None,
        total_timeout: float | None = None,
        revalidate: bool = False,
    ) -> GatewayResponse:
        """One logical call. `deadline`: the longest wait for a rate-limit token (default
        `rate_limit.queue_deadline`). `total_timeout`: the whole call's budget, attempts,
        backoff and waits included (default `deadline.interactive` or `.background` by
        priority); when it runs out the call raises DeadlineExceeded (or RateLimited).
        `revalidate`: the caller knows something changed, so a fresh cache entry may be out
        of date: ask the server (a conditional request when the entry has validators, so an
        unchanged answer is a free 304) instead of answering from it."""
        method = method.upper()
        path = urlsplit(path_or_url).path or "/"
        call = _Call(
            method=method,
            url=path_or_url,
            path=path,
            endpoint=endpoint or path,
            params=params,
            json=json,
            data=data,
            headers=headers,
            cache_type=cache_type,
            scope=scope or self._profile.scope_for(method, path),
            narrower=self._profile.narrower_scopes(method, path, endpoint or path),
            priority=priority,
            idempotency_key=idempotency_key,
            verify=verify,
            allow_stale=allow_stale,
            queue_wait=self._settings.rate_limit.queue_deadline if deadline is None else deadline,
            deadline=Deadline.start(
                self._clock, self._budget(priority, total_timeout), self._watch
            ),
            revalidate=revalidate,
        )
        self._refuse_if_replaced(call)
        started = self._clock.monotonic()
        self._active += 1
        try:
            self._check_origin(call)
            response = await self._cached(call)
        except LoginReplaced:  # nothing failed: the caller reads again, as the new login
            raise
        except GatewayError as err:
            self.refused_login(err)
            self._done(call, started, err.status, "bypass", str(err))
            log.info("%s", err.detail())
            raise
        finally:
            self._active -= 1
            if self._retired and not self._active:
                await self._close_http()
        self.refused_login(response.stale_error)
        outcome: CacheOutcome = "hit" if response.shared else response.cache  # sent nothing
        self._done(call, started, response.status, outcome, self._answer_error(response))
        return response

    def _answer_error(self, response: GatewayResponse) -> str | None:
        """What failed about an answer the caller gets: the error a stale copy stands in for,
        or the error code of a body that refuses (Slack's ok:false; a cache hit asked
        nothing, so it is no failed call; nor is a ride on another's request, whose own call
        says it). Server text, cut short; shown as data."""
        if response.stale_error is not None:
            return str(response.stale_error)
        if response.cache == "hit" or response.shared:
            return None
        code = self._profile.refused_in_body(response.status, response.body)
        return None if code is None else f"{self.service}: {shortened(code)}"

    def refused_login(self, err: BaseException | None) -> None:
        """A refused token from an environment variable says so, and to fix it there: the
        usual "log in again" cannot help, as the variable beats any login. The clients call
        it too for a refusal only they can read (Slack's HTTP 200 `invalid_auth`)."""
        if not isinstance(err, AuthExpired):  # first: every call asks, nearly all with None
            return
        env = self._built[1].env if self._built is not None else None
        if env:
            err.from_env(env)

    def _refuse_if_replaced(self, call: _Call) -> None:
        """Once a new login replaced this gateway (retire), it starts no read with the old
        token, from its cache or on the wire: a poll or a preview already under way stops
        there, quietly, and the new gateway reads again. A write (and each call a write
        under way makes, its checks included: writing.py) still finishes here."""
        if not self._retired or writing() or not self._profile.reads(call.method, call.path):
            return
        raise LoginReplaced(
            service=self.service,
            account=self.account,
            method=call.method,
            endpoint=call.endpoint,
            attempt=call.attempts,
        )

    def _check_origin(self, call: _Call) -> None:
        """Refuse before any request is built: the credential stays with the account's API."""
        if within_base(self.base_url, call.url):
            return
        where = origin_of(call.url)
        if where == UNKNOWN_ORIGIN:  # a relative path with "." / ".." segments
            where = "a path outside this account's base URL"
        raise OffOrigin(
            service=self.service,
            account=self.account,
            method=call.method,
            endpoint=call.endpoint,
            message=f"refused a link to {where}: not this account's base URL",
        )

    def health(self) -> GatewayHealth:
        totals = self.metrics.totals()
        countdowns = [b.half_open_at for b in self._breakers.values() if b.half_open_at]
        return GatewayHealth(
            account=self.account,
            service=self.service,
            breaker=self._worst_breaker(),
            half_open_at=min(countdowns, default=None),  # the first breaker to probe again
            buckets=self._limiter.gauges(),
            retries_total=totals.retries,
            retries_in_flight=self._retries_in_flight,
            last_retry_wait=self._last_retry_wait,
            cache_hits=totals.cache_hits,
            cache_misses=totals.cache_misses,
            revalidations=totals.revalidations,
            stale_served=totals.stale_served,
            requests=totals.count,
            errors=totals.errors,
            deprecations=list(self._deprecations.values()),
        )

    def expire(self, cache_type: str, path: str, params: QueryParams | None = None) -> None:
        """Make a cached GET answer stale, so the next read asks the server: an own write has
        just changed what it says. The copy stays, as the fallback during an outage."""
        if self._owner is None:  # no read or write yet: nothing this login cached is in play
            return
        key = cache_key(self._owner, "GET", self._absolute(path), params)
        self._cache.expire(cache_type, key, self._clock.time())
        self._flights.leave(key)  # a read from now on never rides on one sent before

    def cache_ttl(self, cache_type: str) -> float:
        """How long an answer of `cache_type` is fresh (config: gateway cache types): what a
        client keeps from such answers (Slack's names from users.info) it keeps as long,
        then asks again (ValueError for a type not configured)."""
        return self._cache.type_settings(cache_type).ttl

    def breaker_state(self, endpoint: str | None = None) -> BreakerState:
        breaker = self._breakers.get(self._breaker_name(endpoint or ""))
        return breaker.state if breaker else "closed"

    async def aclose(self) -> None:
        self.metrics.close()
        if self._built is not None:
            await self._built[0].aclose()

    async def retire(self) -> None:
        """This gateway was replaced by a new one (a new login, another base URL). From now
        on it starts no read (LoginReplaced, see _refuse_if_replaced): not a new call, not
        the next page of a poll, not the next attempt of a read waiting to retry. A write
        under way finishes here, with its connections, which close as soon as no call runs
        (a write's late call opens its own and closes them after). Its metrics stop now:
        health reads the new gateway. The flag is set before the first await, so the caller
        that swapped the new gateway in retires this one in the same step."""
        self._retired = True
        self.metrics.close()
        if not self._active:
            await self._close_http()

    @property
    def in_flight(self) -> int:
        """request() calls running now."""
        return self._active

    async def _close_http(self) -> None:
        built, self._built = self._built, None
        if built is not None:
            await built[0].aclose()

    def discard(self) -> None:
        """Let go of a gateway that will never be used (its service client could not be
        built), from any thread: its metrics leave the shared bus, which would otherwise
        keep one more of them (and this gateway) at each retried build. It made no call, so
        no HTTP client was built: nothing else is open."""
        self.metrics.close()
        if self._built is not None:  # a call was made after all: close it as aclose does
            import asyncio

            asyncio.run(self.aclose())

    def _http(self) -> tuple[httpx.AsyncClient, Sender]:
        """The client and the sender over it, built on first use."""
        if self._built is None:
            from .transport import AccountAuth, Sender, build_client

            client = build_client(self.base_url, self._settings, self._profile, self._transport)
            auth = AccountAuth(self._credentials, self.account, self.service, self._clock.time)
            refused = self._profile.token_refused
            limit = self._settings.max_response_bytes
            self._built = client, Sender(client, auth, limit, refused, self.base_url)
        return self._built

    # ---- layer 1: cache-aside with single flight ---------------------------------------

    async def _login_owner(self) -> str | None:
        """account@fingerprint of the credential these requests carry: cache keys begin with
        it, so a new login (another user, same account) never reads the last one's entries
        nor sends its ETags. None without a credential: then nothing is read from the cache."""
        if self._owner is None:
            try:
                credential = await self._credentials.get(self.account)
            except LoginUnreadable:  # keyring locked: no logout, so nothing is dropped
                self._unreadable = True
                return None
            except AuthExpired:  # no login stored: the send says so, with its fix
                credential = None
            except GatewayError:  # no answer about the login: nothing is dropped
                return None
            if credential is None:  # logged out: no login's answers stay on the disk
                self._drop_cached(None, None)
                return None
            self._elsewhere = _elsewhere(credential, self.base_url)
            self._owner = owner(self.account, self._fingerprinter.of(credential))
            self._user = self._fingerprinter.of_user(credential)
            self._local = credential.local
            # an earlier login's answers go; a login only this process sees is not recorded,
            # and leaves the saved login's answers for its return
            self._drop_cached(self._owner, self._user, local=credential.local)
        return self._owner

    async def login(self) -> str | None:
        """The non-secret fingerprint of the user this gateway sends as (identity.py's
        of_user), None without a login; learning it the first time records it (unless it
        is local_login)."""
        return None if await self._login_owner() is None else self._user

    @property
    def read_late(self) -> bool:
        """The login was learnt after a keyring that could not be read (LoginUnreadable):
        this gateway was built without it, so a Jira 3LO login's REST base (read from the
        keyring at the build) is not in use; the engine builds the account again."""
        return (self._unreadable or self._elsewhere) and self._owner is not None

    @property
    def local_login(self) -> bool:
        """The login learnt (login()) is this process's alone: a session-only one."""
        return self._local

    def _built_elsewhere(self) -> LoginUnreadable:
        """The login was read (after a locked keyring) but works at another REST base than
        this gateway's: nothing is sent; the engine's login watch builds the account again
        with that base (read_late). Not a logout: nothing of the account is dropped."""
        return LoginUnreadable(
            service=self.service,
            account=self.account,
            message="the login was read late; setting the account up again at its site",
        )

    def _drop_cached(self, kept: str | None, user: str | None, *, local: bool = False) -> None:
        """Once per gateway: the account's persisted answers but `kept`'s (and, for a `local`
        login, the saved login's) are deleted, and (unless `local`) the store told which user
        it is logged in as."""
        if self._persistent is not None and not self._dropped:
            self._dropped = True
            self._persistent.keep_only(self.account, kept, local=local)
            if not local:
                self._persistent.login_is(self.account, user)

    async def _cached(self, call: _Call) -> GatewayResponse:
        who = await self._login_owner()  # learnt before any call, so expire() can use it
        if self._elsewhere:  # never its token at a base that refuses it (and spends a refresh)
            raise self._built_elsewhere()
        if who is None or not call.cache_type or not self._settings.cache.enabled:
            return await self._fetch(call, None, None)
        if call.method not in _CACHEABLE:
            return await self._fetch(call, None, None)
        key = cache_key(who, call.method, self._absolute(call.url), call.params)
        entry = self._kept(call.cache_type, key)
        now = self._clock.time()
        if entry and not call.revalidate and self._cache.is_fresh(call.cache_type, entry, now):
            return self._from_entry(call, entry, "hit")
        fetch = partial(self._fetch, call, call.cache_type, key)
        try:
            if call.revalidate:  # never ride on a flight that may have left before the change
                response, shared = await fetch(), False
            elif self._flights.in_flight(key):
                # The fetch runs on its leader's budget; this caller waits on its own.
                expired = partial(self._expired, call, "the same request, already under way")
                flight = partial(self._flights.run, key, fetch)
                response, shared = await call.deadline.bound(flight, expired)
            else:
                response, shared = await self._flights.run(key, fetch)
        except LoginReplaced:  # the old login's copy is no answer either
            raise
        except GatewayError as err:
            entry = self._kept(call.cache_type, key)
            if call.allow_stale and entry is not None:
                return self._from_entry(call, entry, "stale", err)
            raise
        # A ride on another's request: that request's answer and outcome (the server was
        # asked), marked shared so this call counts as a hit (it sent nothing).
        return msgspec.structs.replace(response, shared=True) if shared else response

    def _kept(self, cache_type: str, key: str) -> CachedEntry | None:
        """The cached answer under `key`, unless it is a refusal (see _keeps): one an earlier
        zen-tui kept (up to an hour, users.info's) is no answer to serve or fall back on."""
        entry = self._cache.get(cache_type, key)
        if entry is None or self._profile.refused_in_body(entry.status, entry.body) is None:
            return entry
        return None

    def _keeps(self, response: Answer) -> bool:
        """Whether an answer is data the cache may keep: a 200 of whole JSON (keepable) that
        refuses nothing in its body. Slack's HTTP 200 `{"ok": false, "error": ...}` is no
        data: each code its reference lists says what is wrong now, and what fixes it
        (`user_not_found` for a user just created, `channel_not_found` or `not_in_channel`
        until the user is invited or joins, `missing_scope` until the app is reinstalled,
        `invalid_auth`, `token_revoked` until a new login), so none is permanent; kept, it
        answered every read for its type's TTL after the fix (an hour for users.info).
        Each read asks again, and a failed call is counted once per answer Slack gave. (Its
        rate-limit and server-side codes never come here: they fail the attempt.)"""
        if response.status_code != 200 or not keepable(response.content):
            return False
        return self._profile.refused_in_body(200, response.content) is None

    async def _fetch(self, call: _Call, cache_type: str | None, key: str | None) -> GatewayResponse:
        entry = self._kept(cache_type, key) if cache_type and key else None
        call.validators = _validators(entry)
        response = await self._send(call)
        # As of when the request went out, not when the answer came: an answer in flight may
        # have been made before a change seen meanwhile (an item gone), and must not pass for
        # newer evidence than that change, neither here nor from the cache later.
        sent = call.sent or self._cache.sent(self._clock.time())
        now = sent.at
        if response.status_code == 304 and entry is not None and cache_type and key:
            entry = self._cache.revalidated(cache_type, key, entry, response.headers, now, sent)
            return self._from_entry(call, entry, "revalidated")
        outcome: CacheOutcome = "bypass"
        if cache_type and key:
            outcome = "miss"
            if self._keeps(response):
                entry = make_entry(200, response.headers, response.content, now)
                self._cache.put(cache_type, key, entry, sent)
        return GatewayResponse(
            status=response.status_code,
            headers=response.headers,
            body=response.content,
            url=response.url,
            cache=outcome,
            fetched_at=now,
            service=self.service,
            account=self.account,
            endpoint=call.endpoint,
        )

    def _from_entry(
        self,
        call: _Call,
        entry: CachedEntry,
        outcome: CacheOutcome,
        error: GatewayError | None = None,
    ) -> GatewayResponse:
        import httpx  # its case-blind Headers, as a wire answer has

        return GatewayResponse(
            status=entry.status,
            headers=httpx.Headers(entry.headers),
            body=entry.body,
            url=self._absolute(call.url),
            cache=outcome,
            fetched_at=entry.fetched_at,
            stale_error=error,
            service=self.service,
            account=self.account,
            endpoint=call.endpoint,
        )

    # ---- the wire pipeline: retry -> breaker -> deadline -> limiter -> send -------------

    async def _retry_step(self, call: _Call, send: Send) -> Answer:
        """Outermost: each attempt goes through the whole rest of the pipeline again."""

        async def attempt(number: int) -> Answer:
            call.attempts = number
            self._refuse_if_replaced(call)  # after a backoff: before the breaker sees it
            return await send(call)

        verify = partial(self._verify_step, call) if call.verify else None
        try:
            return await with_retries(
                attempt,
                policy=self._retry,
                idempotent=self._profile.idempotent(call.method, call.path),
                keyed=call.idempotency_key is not None,
                verify=verify,
                clock=self._clock,
                on_retry=partial(self._retrying, call),
                deadline=call.deadline,
            )
        finally:
            if call.retried:
                self._retries_in_flight -= 1
                # Also when the call is cancelled mid-wait (a preview the cursor left), which
                # publishes no RequestDone: the cards count retries in flight from this.
                self._publish(
                    RetryEnded, method=call.method, endpoint=call.endpoint, retries=call.retries
                )

    async def _verify_step(self, call: _Call) -> Answer | None:
        assert call.verify is not None
        expired = partial(self._expired, call, "the check whether it already applied")
        return await call.deadline.bound(partial(_verified, call.verify), expired)

    async def _breaker_step(self, call: _Call, send: Send) -> Answer:
        """Per attempt, so `failure_threshold` counts wire failures (see the module docstring)."""
        breaker = self._breaker(call.endpoint)
        open_error = partial(
            CircuitOpen,
            service=self.service,
            account=self.account,
            method=call.method,
            endpoint=call.endpoint,
        )
        try:
            return await breaker.call(partial(send, call), open_error)
        except AttemptFailed as failed:
            if breaker.state == "open":  # this failure tripped it: a retry could not get through
                raise failed.error from None
            raise

    async def _deadline_step(self, call: _Call, send: Send) -> Answer:
        # Inside the breaker: an attempt that ran out of time counts like a timeout.
        return await call.deadline.bound(partial(send, call), partial(self._expired, call, None))

    async def _limiter_step(self, call: _Call, send: Send) -> Answer:
        try:
            await self._take_token(call)
            return await send(call)
        finally:  # an attempt that never reached the wire (or failed there) is in flight no more
            _settle(call)

    def _budget(self, priority: Priority, total_timeout: float | None) -> float:
        if total_timeout is not None:
            return total_timeout
        budgets = self._settings.deadline
        return budgets.interactive if priority is Priority.INTERACTIVE else budgets.background

    def _expired(self, call: _Call, waiting_on: str | None) -> DeadlineExceeded:
        what = waiting_on or (f"attempt {call.attempts}" if call.attempts else "the request")
        return DeadlineExceeded(
            service=self.service,
            account=self.account,
            method=call.method,
            endpoint=call.endpoint,
            attempt=call.attempts,
            budget=call.deadline.budget,
            message=f"no answer to {what}",
        )

    def _retrying(self, call: _Call, attempt: int, wait: float, reason: str) -> None:
        if not call.retried:
            call.retried = True
            self._retries_in_flight += 1
        self._last_retry_wait = wait
        call.retries += 1
        self._publish(
            RetryScheduled,
            method=call.method,
            endpoint=call.endpoint,
            attempt=attempt,
            wait=wait,
            reason=reason,
        )

    # ---- the last step: auth + transport, and what the answer says ---------------------

    async def _wire(self, call: _Call) -> Answer:
        import httpx

        # Again here, at the wire: a read that began before the login changed may have
        # waited since (for a rate-limit token, the login's refresh). Inside the breaker,
        # which counts this as no failure (it is not an Unavailable).
        self._refuse_if_replaced(call)
        ctx = self._context(call)
        headers = {**(call.headers or {}), **call.validators}
        call.sent = self._cache.sent(self._clock.time())
        answered = False
        try:
            response = await self._http()[1].send(
                call.method,
                self._moved.get(self._absolute(call.url), call.url) if self._moved else call.url,
                headers=headers,
                params=call.params,
                json=call.json,
                data=call.data,
            )
            answered = True
        except BodyTooLarge as exc:
            raise _too_large(ctx, exc) from None
        except RedirectRefused as exc:
            raise _redirect_refused(ctx, exc) from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol):
            message = "invalid request URL; check the account's base_url (http:// or https://)"
            raise ApiError(**ctx.kw(), message=message) from None
        except httpx.TransportError as exc:
            raise transport_failure(exc, ctx) from None
        finally:  # answered: its report below counts it; else it may count until the reset
            _settle(call, answered=answered)
        if response.moved is not None:
            self._remember_move(call, response.moved)
        fields = response.fields
        limited = self._observe(call, response, fields)
        failure = response_failure(response, ctx, self._profile, self._clock.time(), fields)
        if failure is None:
            self._silent_limits.pop(call.scope, None)
            self._pauses.succeeded((call.scope, *call.narrower))
            return response
        if isinstance(failure, AttemptFailed):
            if failure.kind == "rate_limit":
                silent = self._silent_limit(call, limited, failure, fields)
                if failure.retry_at is not None:
                    if self._limiter.pause_until(limited, failure.retry_at):
                        self._paused(limited)
                    self._pauses.record(limited, failure.retry_at, silent or _said(failure))
                if isinstance(failure.error, RateLimited):
                    failure.error.scope = member_scope(limited)
            raise failure
        raise failure

    def _silent_limit(
        self, call: _Call, scope: str, failure: AttemptFailed, headers: Mapping[str, str]
    ) -> str | None:
        """GitHub's docs for a rate limit that names no time: wait a minute, and while it
        goes on, exponentially longer. The n-th such answer in a row on `scope` (none usable
        between) waits 60 s * 2^(n-1), at most SILENT_LIMIT_MAX. Answers to calls sent
        before the last one came (a bulk's calls in flight together) are that same limit.
        The count is kept with the stored pause, so it goes on after a restart. Returns the
        pause's reason for `zen-tui health` (None: not such a limit)."""
        if not self._profile.silent_limit(headers):
            return None
        streak, seen_at = self._silent_limits.get(scope, (0, float("-inf")))
        sent_at = self._clock.time() if call.sent is None else call.sent.at
        if sent_at > seen_at:
            streak += 1
            self._silent_limits[scope] = (streak, self._clock.time())
        if streak > 1 and failure.retry_at is not None:
            wait = min(SILENT_LIMIT_MAX, SILENT_LIMIT_WAIT * 2 ** (streak - 1))
            failure.retry_at = failure.error.retry_at = self._clock.time() + wait
        status = failure.reason.split()[0]
        return f"HTTP {status}, a secondary limit naming no wait ({streak} in a row)"

    def _remember_move(self, call: _Call, moved: str) -> None:
        """A 301/308: later calls to this URL go straight to where it moved (one request
        instead of two). Cache keys keep the URL asked for, so expire() still finds them."""
        old = self._absolute(call.url).partition("?")[0]
        if old != moved:
            _remember(self._moved, old, moved, MAX_MOVES)
            log.info("%s: %s moved permanently", self.account, call.endpoint)

    def _context(self, call: _Call) -> CallContext:
        return CallContext(self.service, self.account, call.method, call.endpoint, call.attempts)

    async def _take_token(self, call: _Call) -> None:
        """A token of each scope the call meets, the narrowest first (one paused by its own
        429 holds the call before it spends the account's)."""
        self._pauses.take_stored()  # another process's pause holds this call too
        waiting: str | None = None  # the scope whose token is awaited (None: the window)
        scopes = (*call.narrower, call.scope)
        if self._limiter.has(POINTS) and self._profile.reads(call.method, call.path):
            scopes += (POINTS,)  # reads are paced to make the points quota last: not writes
        try:
            for waiting in scopes:
                bucket = self._limiter.bucket(waiting)
                if not bucket.try_take():
                    self._publish(WaitingForToken, scope=waiting, wait=bucket.wait_time())
                    await bucket.take(call.priority, self._queue_wait(call))
                call.held.append(bucket)
            waiting = None
            window = self._limiter.window
            if window is not None and self._profile.creates(call.method, call.path):
                await window.take(self._queue_wait(call))
        except TokenTimeout as exc:
            scope = None if waiting is None else member_scope(waiting)
            raise RateLimited(
                **self._context(call).kw(), retry_at=exc.retry_at, scope=scope
            ) from None

    @staticmethod
    def _queue_wait(call: _Call) -> float:
        """A token that would come after the call's budget ran out fails it now."""
        return min(call.queue_wait, call.deadline.remaining())

    def _observe(self, call: _Call, response: Answer, headers: Mapping[str, str]) -> str:
        """Take in what the answer says of limits (`headers`: its fields, Answer.fields);
        returns the scope a rate limit in it pauses (the call's, or the narrower one a Jira
        429's RateLimit-Reason names)."""
        limited = self._profile.refused_scope(headers, call.scope, call.narrower)
        # Figures of a narrower limit (one endpoint's, one issue's) are no budget of the
        # account's, by which the sync engine paces its polls: the pause alone covers them.
        quota = self._profile.quota(headers) if limited == call.scope else None
        if quota is not None:
            scope = quota.scope or call.scope
            gauge = self._follow_quota(scope, quota.limit, quota.remaining, quota.reset_at)
            self._told_capacity[scope] = gauge.capacity
        else:
            self._quota_restored(call.scope)
        self._observe_points(call, headers)
        deprecation = headers.get("deprecation")
        sunset = headers.get("sunset")
        # The API version refused: one warning for every endpoint (each answers so).
        refusal = self._profile.version_refusal(response.status_code, response.content)
        # A 410 for one deleted item (a GitHub issue), or one unreadable, retires nothing.
        retired = self._profile.api_retired(response.status_code, response.content)
        if refusal is not None:
            self._warn(VERSION_HEADER, refusal)
        elif deprecation or sunset or retired:
            self._deprecated(call, sunset, gone=retired)
        return limited

    def _observe_points(self, call: _Call, headers: Mapping[str, str]) -> None:
        """Jira's points quota, reported on every answer to OAuth traffic: the `points`
        bucket follows it (reads only: at most safety x remaining / cost calls until the
        reset), and the engine paces its polls by it (health's buckets). Headers that came
        but could not be read change nothing and are said once: they are a beta."""
        points, problem = self._profile.points_quota(headers, self._clock.time())
        if points is None:
            if problem is not None and not self._points_unreadable:
                self._points_unreadable = True
                log.warning(
                    "%s: %s; the hourly points quota is not followed (429s still are)",
                    self.account,
                    problem,
                )
            return
        if points.near_limit:
            self._near_points_limit(points)
        reads = self._profile.reads(call.method, call.path)
        endpoint = call.endpoint if reads else None
        self._points_cost.observe(endpoint, points.remaining, points.reset_at)
        cost = self._points_cost.per_read()
        self._follow_quota(POINTS, points.limit, points.remaining, points.reset_at, cost=cost)

    def _follow_quota(
        self,
        scope: str,
        limit: int | None,
        remaining: int | None,
        reset_at: float | None,
        *,
        cost: float | None = None,
    ) -> BucketGauge:
        """`scope`'s bucket follows what the server reported (see ScopedLimiter.observe), and
        the cards are told."""
        adaptive = self._settings.rate_limit.adaptive
        bucket = self._limiter.observe(
            scope, limit, remaining, reset_at, adaptive=adaptive, cost=cost
        )
        gauge = bucket.gauge()
        self._tell_cards(scope, gauge, limit, remaining, reset_at)
        return gauge

    def _tell_cards(
        self,
        scope: str,
        gauge: BucketGauge,
        limit: int | None = None,
        remaining: int | None = None,
        reset_at: float | None = None,
    ) -> None:
        """The cards hear of `scope`'s bucket, with the server's figures where given."""
        self._publish(
            QuotaUpdated,
            scope=scope,
            tokens=gauge.tokens,
            capacity=gauge.capacity,
            limit=limit,
            remaining=remaining,
            reset_at=reset_at,
            paused_until=gauge.paused_until,
        )

    def _near_points_limit(self, points: PointsQuota) -> None:
        """Once a window: why this account's polls now come slower (Jira's NearLimit: under
        20 % of the quota left; the pacing itself follows `remaining`)."""
        said = self._points_near
        if said is not None and abs(points.reset_at - said) <= CostMeter.SAME_WINDOW:
            return
        self._points_near = points.reset_at
        log.info(
            "%s: Jira's hourly points quota is nearly spent (%s left); reads are paced to "
            "last until it resets at %s",
            self.account,
            points.remaining,
            local_time(points.reset_at, now=self._clock.time()),
        )

    def _paused(self, scope: str) -> None:
        """A rate limit paused `scope` (or paused it longer): the cards are told until when."""
        gauge = self._limiter.bucket(scope).gauge()
        self._tell_cards(scope, gauge, gauge.limit, gauge.remaining, gauge.reset_at)

    def _quota_restored(self, scope: str) -> None:
        """Jira reports a quota only on a 429: once its reset passes, the bucket is back at
        its configured rate, and nothing else would tell the cards (they stayed at
        `tok 0/1 · srv 0 left` for good). Say so once, with no server figures."""
        told = self._told_capacity.get(scope)
        if told is None:
            return
        gauge = self._limiter.bucket(scope).gauge()
        if gauge.capacity == told:
            return
        self._told_capacity[scope] = gauge.capacity
        self._tell_cards(scope, gauge)

    def _deprecated(self, call: _Call, sunset: str | None, *, gone: bool) -> None:
        what = f"{call.method} {call.endpoint}"
        if gone:
            message = f"{what} is gone (410); update zen-tui"
        else:
            message = f"{what} is deprecated" + (f", sunset {sunset}" if sunset else "")
        self._warn(call.endpoint, message)

    def _warn(self, endpoint: str, message: str) -> None:
        """Once per message: the log, `zen-tui health` and the cards hear what is retired."""
        if self._deprecations.get(endpoint) != message:
            self._deprecations[endpoint] = message
            log.warning("%s: %s", self.service, message)
            self._publish(ApiDeprecation, endpoint=endpoint, message=message)

    # ---- helpers ----------------------------------------------------------------------

    def _breaker_name(self, endpoint: str) -> str:
        per_endpoint = self._settings.breaker.per_endpoint and endpoint
        return f"{self.service}:{endpoint}" if per_endpoint else self.service

    def _breaker(self, endpoint: str) -> AsyncBreaker:
        name = self._breaker_name(endpoint)
        if name not in self._breakers:
            from .breaker import AsyncBreaker

            on_change = partial(self._breaker_changed, name)
            self._breakers[name] = AsyncBreaker(
                name, self._settings.breaker, self._clock, on_change
            )
        return self._breakers[name]

    def _breaker_changed(
        self, name: str, old: BreakerState, new: BreakerState, half_open_at: float | None
    ) -> None:
        log.info("%s breaker %s -> %s", name, old, new)
        self._publish(BreakerChanged, name=name, old=old, new=new, half_open_at=half_open_at)

    def _worst_breaker(self) -> BreakerState:
        states = {b.state for b in self._breakers.values()}
        state: BreakerState
        for state in ("open", "half-open"):
            if state in states:
                return state
        return "closed"

    def _evicted(self, cache_type: str) -> None:
        self._publish(CacheEvicted, cache_type=cache_type)

    def _done(
        self,
        call: _Call,
        started: float,
        status: int | None,
        cache: CacheOutcome,
        error: str | None,
    ) -> None:
        latency = self._clock.monotonic() - started
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s %s %s -> %s %s in %.0f ms",
                self.account,
                call.method,
                call.endpoint,
                status,
                cache,
                latency * 1e3,
            )
        self._publish(
            RequestDone,
            method=call.method,
            endpoint=call.endpoint,
            status=status,
            latency=latency,
            cache=cache,
            attempts=call.attempts,
            error=error,
        )

    def _publish(self, event_type: type, **fields: Any) -> None:
        self._bus.publish(
            event_type(service=self.service, account=self.account, at=self._clock.time(), **fields)
        )

    def _absolute(self, url: str) -> str:
        """The URL a request to `url` goes to: relative ones under the base URL's path, as
        httpx's client resolves them (its base_url always ends in "/"). Remembered: the base
        URL never changes, and the same paths are asked for again and again (polls)."""
        absolute = self._absolutes.get(url)
        if absolute is None:
            import httpx

            parsed = httpx.URL(url)
            if parsed.is_relative_url:
                absolute = str(self._http()[0].base_url.join(url.lstrip("/")))
            else:
                absolute = str(parsed)
            _remember(self._absolutes, url, absolute, MAX_ABSOLUTES)
        return absolute


Send = Callable[[_Call], Awaitable[Answer]]


class Step(Protocol):
    """One policy's job: do it, and hand the call on to `send` (the rest of the pipeline)."""

    def __call__(self, call: _Call, send: Send) -> Awaitable[Answer]: ...


def compose(steps: Sequence[Step], last: Send) -> Send:
    """One sender: steps[0] gets the call first and hands it on to steps[1], ..., to `last`."""
    send = last
    for step in reversed(steps):
        send = partial(step, send=send)
    return send


def _remember(kept: dict[str, str], key: str, value: str, most: int) -> None:
    """kept[key] = value, the oldest entry dropped first once `most` are kept."""
    if key not in kept and len(kept) >= most:
        kept.pop(next(iter(kept)))
    kept[key] = value


def _said(failure: AttemptFailed) -> str:
    """What a rate limit naming its wait said, for `zen-tui health`: "HTTP 429 Retry-After",
    "HTTP 403 until the quota resets" (failure.reason is "429 Retry-After", "403 reset").
    A 200 said it in its body (GitHub's GraphQL errors, RATE_LIMITED): named so, as "HTTP
    200" reads as no limit at all."""
    status, _, how = failure.reason.partition(" ")
    said = f"HTTP {status}"
    if status.startswith("2"):
        github = failure.error.service == "github"
        said = "GraphQL RATE_LIMITED" if github else "rate limited in the answer's body"
    return f"{said} " + ("until the quota resets" if how == "reset" else how)


def _too_large(ctx: CallContext, exc: BodyTooLarge) -> ResponseTooLarge:
    """Refused whole: nothing of it is parsed, cached or stored. Not retried (it would be
    as large again); the section keeps what it had until a good answer comes."""
    mb = exc.limit / 1e6
    said = f" (it declared {exc.declared / 1e6:.1f} MB)" if exc.declared else ""
    message = (
        f"answer larger than {mb:g} MB{said}, not read; raise "
        f"[gateway.{ctx.service}] max_response_mb if this is expected"
    )
    return ResponseTooLarge(**ctx.kw(), message=message)


def _redirect_refused(ctx: CallContext, exc: RedirectRefused) -> GatewayError:
    """Not followed: a loop is the server's fault (final, like any broken answer); a hop
    outside the base URL is refused as any server-given link outside it is."""
    if exc.loop:
        return BadResponse(**ctx.kw(), message=f"{exc.message}, not followed")
    return OffOrigin(**ctx.kw(), message=exc.message)


def _validators(entry: CachedEntry | None) -> dict[str, str]:
    """Conditional-request headers for a stale entry."""
    if entry is None:
        return {}
    headers = {}
    if entry.etag:
        headers["If-None-Match"] = entry.etag
    if entry.last_modified:
        headers["If-Modified-Since"] = entry.last_modified
    return headers


def _settle(call: _Call, *, answered: bool = True) -> None:
    """The buckets `call` took tokens of hear that it is in flight no more."""
    for bucket in call.held:
        bucket.settle(answered=answered)
    call.held.clear()


async def _verified(
    verify: Callable[[], Awaitable[GatewayResponse | None]],
) -> Answer | None:
    """Run the caller's verify(); an already-applied mutation comes back as its response."""
    applied = await verify()
    return _as_answer(applied) if applied is not None else None


def _as_answer(response: GatewayResponse) -> Answer:
    import httpx

    return Answer(response.status, httpx.Headers(response.headers), response.body, response.url)


def _elsewhere(credential: Credential, base_url: str) -> bool:
    """The credential names a REST base (a Jira 3LO login's cloud URL) that is not this one."""
    wanted = credential.base_url
    return wanted is not None and wanted.rstrip("/") != base_url.rstrip("/")

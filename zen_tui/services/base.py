"""The contract every service client fulfils, and the plumbing they share.

Clients turn a section's query into gateway calls and normalised items, and triage actions
into writes. Transport concerns (retries, caching, rate limits, breakers, version headers)
are the gateway's; here we only pick endpoints, paginate, parse and judge outcomes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

import msgspec

from zen_tui.gateway.answer import JSON, QueryParams
from zen_tui.gateway.errors import (
    ApiError,
    ApiGone,
    BadResponse,
    GatewayError,
    ItemGone,
    OffOrigin,
    PagingStopped,
    QueryRefused,
    VersionRefused,
)
from zen_tui.gateway.limiter import Priority
from zen_tui.gateway.origin import origin_of, within_base
from zen_tui.gateway.response import GatewayResponse
from zen_tui.models import (
    Action,
    ActionResult,
    CacheOutcome,
    FetchResult,
    Item,
    ItemDetail,
    SectionInfo,
    Service,
    ThreadReply,
)

log = logging.getLogger("zen_tui.services")

# Pagination bounds: a server that keeps saying "there is more" cannot keep a sync going.
MAX_PAGES = 50  # pages per fetch at least (more when the limit needs them; see PageGuard)
MAX_EMPTY_PAGES = 3  # empty pages in a row that still point to a next page


class Response(Protocol):
    """What a client needs from zen_tui.gateway.GatewayResponse."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str
    cache: CacheOutcome
    fetched_at: float
    stale_error: GatewayError | None

    def json(self) -> Any: ...

    @property
    def links(self) -> dict[str, str]: ...


class GatewayLike(Protocol):
    """The slice of zen_tui.gateway.Gateway the clients call (see Gateway.request)."""

    # The base the gateway sends to (Jira 3LO: api.atlassian.com/ex/jira/{id}), which is
    # where the credential goes; it may differ from the configured one.
    base_url: str

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
    ) -> GatewayResponse: ...

    def expire(self, cache_type: str, path: str, params: QueryParams | None = None) -> None: ...

    def cache_ttl(self, cache_type: str) -> float: ...

    def refused_login(self, err: BaseException | None) -> None: ...


class AccountInfo(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def service(self) -> str: ...

    @property
    def base_url(self) -> str: ...

    @property
    def user(self) -> str | None:
        """Who "me" is when the config says so (GitHub login, Jira accountId)."""


class Sleeper(Protocol):
    def time(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class _RealClock:
    def time(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ServiceClient(Protocol):
    account: str
    service: Service

    async def fetch_section(
        self,
        section: SectionInfo,
        *,
        limit: int = 100,
        cursor: str | None = None,
        interactive: bool = False,
        revalidate: bool = False,
    ) -> FetchResult: ...

    async def details(self, item: Item) -> ItemDetail: ...

    async def apply(self, action: Action, *, idempotency_key: str) -> ActionResult: ...

    async def verify(self, action: Action, *, idempotency_key: str) -> bool | None: ...

    async def bulk_apply(
        self, actions: list[Action], keys: list[str], progress: Callable[[int, int], None]
    ) -> list[ActionResult]: ...

    def items_for_webhook(self, event: str, payload: dict[str, Any]) -> list[Item]: ...

    def might_list(self, query: str, item: Item) -> bool: ...

    def thread_replies(self, event: str, payload: dict[str, Any]) -> list[ThreadReply]: ...

    def state_from_webhook(
        self, event: str, payload: dict[str, Any]
    ) -> Callable[[str], bool] | None: ...

    def keep_resolved(self, sink: Callable[[str, Mapping[str, str]], object]) -> None: ...

    async def exists(self, item: Item) -> bool | None: ...


GONE_STATUSES = (404, 410)  # never 403: a rate limit, SSO or an archived repository's write


def says_missing(err: BaseException) -> bool:
    """An answer that the thing read is not there for this account (404, 410, Slack's
    not-found codes): a hint to ask about the item itself, never a reason to remove it."""
    if isinstance(err, ItemGone):
        return True
    if isinstance(err, VersionRefused):  # every read answers so: no word on the item
        return False
    return isinstance(err, ApiError) and err.status in GONE_STATUSES


class Notes(list[str]):
    """A preview's notes (why parts of it are missing), and whether a read of it answered
    that the item is not there (says_missing): ItemDetail.missing."""

    missing = False

    def failed(self, err: GatewayError) -> None:
        self.append(str(err))
        self.missing = self.missing or says_missing(err)


def note_stale(resp: Response, errors: list[str]) -> None:
    """A preview part the gateway served from its stale copy (the server failed): say why, so
    the preview shows its age instead of passing it off as fresh."""
    if resp.cache == "stale" and resp.stale_error is not None:
        errors.append(str(resp.stale_error))


def priority(interactive: bool) -> Priority:
    return Priority.INTERACTIVE if interactive else Priority.BACKGROUND


class Read(msgspec.Struct, frozen=True):
    """How a section's reads are made. `revalidate`: the refresh exists because something
    changed (a webhook, an own action landing, the user's refresh), so no read may be
    answered from a fresh cache entry: each asks the server (conditionally where it can)."""

    interactive: bool = False
    revalidate: bool = False

    def options(self) -> dict[str, Any]:
        """The gateway.request() keywords this read mode stands for."""
        return {"priority": priority(self.interactive), "revalidate": self.revalidate}


PREVIEW = Read(interactive=True)  # what the user is looking at: the cache may answer


class PageTimes:
    """When each page of a listing was fetched. A page the cache answered (its stale copy
    after a failed request, or a hit within the TTL) is older than one fetched now, so each
    row is labelled with its own page's time and the listing with its oldest page's: what is
    shown never claims to be newer than the data (FetchResult.fetched_at / fetched)."""

    def __init__(self) -> None:
        self.pages: list[float] = []
        self._items: dict[str, float] = {}

    def page(self, fetched_at: float) -> None:
        """A page came: the items noted next are from it."""
        self.pages.append(fetched_at)

    def note(self, items: Iterable[Item]) -> None:
        at = self.pages[-1]
        for item in items:  # a row on two pages: the first, as the listing keeps (dedupe)
            self._items.setdefault(item.id, at)

    def oldest(self) -> float:
        return min(self.pages, default=0.0)

    def of(self, items: Iterable[Item]) -> dict[str, float]:
        """FetchResult.fetched for these items: those whose page is newer than the oldest."""
        oldest = self.oldest()
        times = ((i.id, self._items.get(i.id, oldest)) for i in items)
        return {item_id: at for item_id, at in times if at != oldest}


def merge_cache(outcomes: Sequence[CacheOutcome]) -> CacheOutcome:
    """One outcome for several pages: stale wins, then a hit (a page the cache answered
    within its TTL, the server not asked: the listing is not all live), else the first
    page's."""
    if "stale" in outcomes:
        return "stale"
    if "hit" in outcomes:
        return "hit"
    return outcomes[0] if outcomes else "bypass"


class MissingParam(ValueError):
    """An action lacks a parameter its kind needs (a bad outbox entry, never retried)."""


def param(action: Action, *names: str) -> str:
    """The first non-empty of `names` in the action's params, else MissingParam saying so."""
    for name in names:
        value = action.params.get(name)
        if value:
            return value
    raise MissingParam(f"{action.kind} needs the parameter {names[0]!r}")


_REFUSAL_LABELS = {401: "not allowed", 403: "not allowed", 404: "not found", 410: "gone"}


def refused(err: ApiError) -> ActionResult:
    """A final 4xx on a write: the server said no, resending will not help. Labelled by what
    it means (a 404 is `not found`, not a conflict); 409/422 and the rest are conflicts."""
    label = (
        "not found"
        if isinstance(err, ItemGone)
        else _REFUSAL_LABELS.get(err.status or 0, "conflict")
    )
    return ActionResult(ok=False, message=err.summary(), conflict=True, label=label)


def query_refused(err: ApiError) -> QueryRefused:
    """The same refusal, marked as the section's query being wrong (not the service)."""
    fields = {f.name: getattr(err, f.name) for f in dataclasses.fields(err) if f.init}
    return QueryRefused(**fields)


def gone_message(err: ApiGone, what: str) -> ApiGone:
    """Rewrite a 410 so it says which endpoint went away and what to do (a refused API
    version says so in its own words already: no endpoint went away)."""
    if isinstance(err, VersionRefused):
        return err
    err.message = (
        f"{what} ({err.endpoint or 'endpoint'}) was removed by the provider; "
        "upgrade zen-tui to a version that uses the current API"
    )
    return err


async def checked(check: Awaitable[bool | None]) -> bool | None:
    """The answer of a verify() check; None ("cannot tell") when the service can't be asked.

    A garbled answer is not "cannot tell": it propagates, so the outbox keeps the entry
    unknown and checks again later instead of failing an action that may have been applied.
    """
    try:
        return await check
    except BadResponse:
        raise
    except GatewayError:
        return None


class PageGuard:
    """Counts a section's pages; says when to stop following `next` (too many, or a run of
    empty ones), as a PagingStopped error the FetchResult carries as its reason."""

    def __init__(
        self, service: str, account: str, endpoint: str, *, limit: int, page_size: int
    ) -> None:
        self._service, self._account, self._endpoint = service, account, endpoint
        # Enough pages for `limit` items (Slack's 15-message pages need 67 for 1000), never
        # fewer than MAX_PAGES.
        self._max_pages = max(MAX_PAGES, -(-limit // max(1, page_size)) + 1)
        self.pages = 0
        self._empty = 0

    def stop_after(self, count: int) -> PagingStopped | None:
        """Call after each page with its item count; an error means: follow no further."""
        self.pages += 1
        self._empty = self._empty + 1 if count == 0 else 0
        if self._empty >= MAX_EMPTY_PAGES:
            why = f"stopped paging after {self._empty} empty pages in a row"
        elif self.pages >= self._max_pages:
            why = f"stopped paging after {self.pages} pages"
        else:
            return None
        log.warning("%s %s: %s", self._account, self._endpoint, why)
        return PagingStopped(
            service=self._service, account=self._account, endpoint=self._endpoint, message=why
        )


def parse_each(
    raws: list[Any], parse: Callable[[Any], Item | None], account: str, where: str
) -> tuple[list[Item], int]:
    """Parse a page item by item: a malformed one (a null title, ...) is skipped and logged,
    never the whole page. Returns the items and how many were skipped."""
    items: list[Item] = []
    skipped = 0
    for raw in raws:
        try:
            item = parse(raw)
        except BadResponse as err:
            skipped += 1
            log.warning("%s %s: skipped a malformed item: %s", account, where, err.summary())
            continue
        if item is not None:
            items.append(item)
    return items, skipped


class BaseClient:
    """Shared state and the generic bulk runner (bounded concurrency, spaced writes)."""

    service: Service
    bulk_concurrency = 3
    bulk_spacing = 0.75  # seconds between content-creating writes: <= 80/min

    def __init__(
        self, account: AccountInfo, gateway: GatewayLike, *, clock: Sleeper | None = None
    ) -> None:
        self.account = account.name
        self.info = account
        self.gateway = gateway
        self.clock: Sleeper = clock or _RealClock()
        self._keep: Callable[[str, Mapping[str, str]], object] | None = None
        self._stored: Callable[[], Iterable[Item]] = tuple

    async def exists(self, item: Item) -> bool | None:
        """Whether the item is there for this account, asked of the server now (no cache):
        False only on an authoritative answer that it is not (deleted, or no longer visible);
        None when it cannot tell (any failure, a service that cannot be asked)."""
        return None

    async def _gone_if_answers(self, path: str) -> bool | None:
        """After a 404/410 about an item: False (it is gone) once `path`, this account's own
        record, answers now; None if that fails too. The not-found was then about the item,
        not about the account, its login or the API version (GitHub's 410 for a retired
        one), nor a proxy's 404 in front of the whole API."""
        try:
            await self.gateway.request("GET", path, endpoint=path, **PREVIEW.options())
        except GatewayError:
            return None
        return False

    def might_list(self, query: str, item: Item) -> bool:
        """False only when a section with this query can never list `item`, so a webhook
        delivery of it need not refresh that section. By default any query might."""
        return True

    def thread_replies(self, event: str, payload: dict[str, Any]) -> list[ThreadReply]:
        """The thread replies a webhook announces, for their parents' reply counts. None
        by default (only Slack has threads)."""
        return []

    def state_from_webhook(
        self, event: str, payload: dict[str, Any]
    ) -> Callable[[str], bool] | None:
        """A webhook about no item but the state of what a section reads (Slack: a channel
        archived), taken in by the client: which section queries it touches (they refresh);
        None when the event is not one (by default none is)."""
        return None

    def keep_resolved(self, sink: Callable[[str, Mapping[str, str]], object]) -> None:
        """Where to persist what a write resolved before it is sent (the outbox's store), keyed
        by idempotency key, so verify() can still tell after a crash."""
        self._keep = sink

    def keep_stored(self, source: Callable[[], Iterable[Item]]) -> None:
        """What this account's sections hold (on screen, else in the store), read only when
        the client asks: what the server no longer lists may still be known from it (Slack:
        a private channel the user left, by its stored messages)."""
        self._stored = source

    def resolved(self, idempotency_key: str, params: Mapping[str, str]) -> None:
        """Record params resolved for a write; call it BEFORE the write is sent."""
        if self._keep is not None:
            self._keep(idempotency_key, params)

    def off_origin(self, url: str, endpoint: str) -> OffOrigin | None:
        """Why a server-supplied URL must not be followed (another host or path), else None.
        Logged once here with the origin only: never the URL's query or the token."""
        if within_base(self.gateway.base_url or self.info.base_url, url):
            return None
        why = f"stopped paging: the next link points to {origin_of(url)}, not this account"
        log.warning("%s %s: %s", self.account, endpoint, why)
        return OffOrigin(service=self.service, account=self.account, endpoint=endpoint, message=why)

    def key_of(self, item_id: str) -> str:
        prefix = f"{self.account}:"
        return item_id[len(prefix) :] if item_id.startswith(prefix) else item_id

    def template(self, path: str) -> str:
        """The endpoint a path is counted under (metrics, limits, breakers); ids replaced."""
        return path

    async def _read(self, path: str, errors: Notes, params: QueryParams | None = None) -> Any:
        """A GET for a part of the preview, through the issue_details cache (a cursor moved
        back and forth asks the server once); in an outage the last good copy is served and
        why noted in `errors`. A failure is noted there, not raised: the rest of the preview
        stays useful. No content (204) reads as an empty list."""
        try:
            resp: Response = await self.gateway.request(
                "GET",
                path,
                endpoint=self.template(path),
                params=params,
                cache_type="issue_details",
                allow_stale=True,
                **PREVIEW.options(),
            )
        except GatewayError as err:
            errors.failed(err)
            return None
        note_stale(resp, errors)
        return list_json(resp)

    async def _send(
        self,
        method: str,
        path: str,
        payload: Any,
        key: str,
        verify: Callable[[], Awaitable[Any]] | None = None,
    ) -> Response:
        """A triage write: interactive, keyed for safe retries, `verify` looks before resending.

        Raises BadResponse for a 2xx that is not what the contract promises (see `answered`).
        """
        resp: Response = await self.gateway.request(
            method,
            path,
            endpoint=self.template(path),
            json=payload,
            priority=priority(True),
            idempotency_key=key,
            verify=verify,
        )
        return answered(resp)

    async def apply(self, action: Action, *, idempotency_key: str) -> ActionResult:
        raise NotImplementedError

    async def verify(self, action: Action, *, idempotency_key: str) -> bool | None:
        raise NotImplementedError

    def verifier(self, action: Action, key: str) -> Callable[[], Awaitable[Any]]:
        """For the gateway: before re-sending a write whose outcome is unknown, look first."""

        async def check() -> Any:
            return Applied() if await self.verify(action, idempotency_key=key) else None

        return check

    async def bulk_apply(
        self, actions: list[Action], keys: list[str], progress: Callable[[int, int], None]
    ) -> list[ActionResult]:
        """Apply one by one with <= 3 in flight and writes spaced under the secondary limits.

        A transient error (offline, breaker, rate limit) stops nothing else: that action's
        result says so and the outbox keeps it pending.
        """
        if len(actions) != len(keys):
            raise ValueError("bulk_apply needs one idempotency key per action")
        results: list[ActionResult | None] = [None] * len(actions)
        gate = asyncio.Semaphore(self.bulk_concurrency)
        spacing = asyncio.Lock()
        done = 0

        async def one(i: int) -> None:
            nonlocal done
            async with gate:
                async with spacing:  # start writes no closer than bulk_spacing apart
                    await self.clock.sleep(self.bulk_spacing if i else 0.0)
                results[i] = await self._apply_safely(actions[i], keys[i])
            done += 1
            progress(done, len(actions))

        await asyncio.gather(*(one(i) for i in range(len(actions))))
        return [r if r is not None else ActionResult(ok=False) for r in results]

    async def _apply_safely(self, action: Action, key: str) -> ActionResult:
        try:
            return await self.apply(action, idempotency_key=key)
        except GatewayError as err:
            return ActionResult(ok=False, message=str(err))


NO_CONTENT = frozenset({204, 205})


def list_json(resp: Response) -> Any:
    """A list read's JSON, where 204 No Content means nothing listed: GitHub answers some
    lists that way (its pagination guide; the contributors of an empty repository) and a
    page without a body is then an empty page, not a malformed answer."""
    return [] if resp.status == 204 else resp.json()


def answered(resp: Response) -> Response:
    """A write's answer: JSON, or nothing for 204/205. Anything else (a proxy's error page, a
    body cut short) says nothing about whether the write was applied, so it raises
    BadResponse and the outbox verifies before any resend, as after a timeout."""
    if resp.status not in NO_CONTENT:
        resp.json()  # raises BadResponse when the body is not JSON
    return resp


class Applied:
    """Stands in for a GatewayResponse when verify() found a write already applied."""

    status = 204  # no content: there is no answer body to check
    headers: Mapping[str, str] = {}
    body = b""
    url = ""
    cache = "bypass"
    fetched_at = 0.0
    stale_error: GatewayError | None = None

    def json(self) -> Any:
        return None

"""The webhook receiver: POST /webhooks/{github,jira,slack} on 127.0.0.1 (by default).

Each delivery is size-capped, verified (webhook_verify), deduped by its delivery id and
persisted to the store's queue, then answered at once; the processor (webhook_processor)
applies queued deliveries later. A rejected delivery is logged as one line and counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import socket
from collections.abc import Callable, Generator, Mapping
from typing import Any

import msgspec
import uvicorn
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from zen_tui.config import WebhookConfig
from zen_tui.config_schema import is_loopback_host, listen_advice
from zen_tui.store import Store
from zen_tui.store.rows import StoreFull
from zen_tui.sync.webhook_limits import (
    BodyBudget,
    BodyDeadlines,
    ReceiverLimits,
    RepeatFilter,
    bounded_protocol,
    fitted,
)
from zen_tui.sync.webhook_verify import (
    FORM_EXPANSION,
    HANDSHAKES,
    RATE_LIMITED,
    READ_HEADERS,
    SERVICES,
    UNKNOWN,
    Accepted,
    Rejected,
    check,
    is_form,
)

log = logging.getLogger("zen_tui.sync.webhooks")
# The headers a delivery is read by (its length, and what the checks read), by raw name.
_READ = {name.encode(): name for name in READ_HEADERS | {"content-length"}}
# Refusals of the body as it is (unreadable, too large): sending it again cannot help.
NOT_RETRIABLE = frozenset({400, 413})
# Connections waiting to be accepted; asyncio also accepts at most this many in one go, so it
# bounds how far over the connection cap the open files can get before the cap acts.
BACKLOG = 128


class WebhookStats(msgspec.Struct):
    """What `health` shows: deliveries accepted, duplicates, rejections by reason, all since
    `started_at` (this receiver's start: the counters are in memory, never carried over)."""

    accepted: dict[str, int] = msgspec.field(default_factory=dict)  # per service
    duplicates: dict[str, int] = msgspec.field(default_factory=dict)
    rejected: dict[str, int] = msgspec.field(default_factory=dict)  # per "service: status"
    # the last verified delivery of a change (not a set-up handshake: HANDSHAKES)
    last_at: dict[str, float] = msgspec.field(default_factory=dict)
    started_at: float | None = None  # when the counting began (Webhooks.start)

    def add(self, counter: dict[str, int], key: str) -> None:
        counter[key] = counter.get(key, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": dict(self.accepted),
            "duplicates": dict(self.duplicates),
            "rejected": dict(self.rejected),
            "last_at": dict(self.last_at),
            "started_at": self.started_at,
        }


class BodyTooLarge(Exception):
    pass


class BodiesTooLarge(Exception):
    """This body does not fit beside the others being read (ReceiverLimits.max_buffered_bytes)."""


class BodyTooSlow(Exception):
    pass


class WebhookReceiver:
    """The ASGI app and its state. `on_delivery(service)` runs after each new queued event;
    `on_unsaved(service)` when what a delivery said is lost to us: a verified one the store
    could not save (refused 5xx), or one whose body could not be read (too big, too slow,
    the sender gone: at most once per service per `limits.unread_refresh_seconds`)."""

    def __init__(
        self,
        config: WebhookConfig,
        store: Store,
        *,
        secrets: Mapping[str, str],
        clock: Callable[[], float],
        on_delivery: Callable[[str], None] = lambda service: None,
        on_unsaved: Callable[[str], None] = lambda service: None,
        limits: ReceiverLimits | None = None,
    ) -> None:
        self.config = config
        self.limits = limits or ReceiverLimits()
        self.store = store
        self.secrets = dict(secrets)
        self.clock = clock
        self.on_delivery = on_delivery
        self.on_unsaved = on_unsaved
        self.stats = WebhookStats()
        # a single body of max_body_bytes always fits (a GitHub form around that much JSON,
        # up to 3 times larger, fits alone in the default 64 MiB: JSON percent-encodes to
        # about 1.5 times its size, not 3)
        self.bodies = BodyBudget(max(self.limits.max_buffered_bytes, config.max_body_bytes))
        self.deadlines = BodyDeadlines(self.limits.body_seconds)
        self._unread_at: dict[str, float] = {}  # service -> its last refresh for one
        self.app = Starlette(routes=[Route("/webhooks/{service}", self.receive, methods=["POST"])])

    async def receive(self, request: Request) -> Response:
        service = request.path_params["service"]
        if service not in SERVICES:  # the name is the sender's choice: never a counter key
            paths = ", ".join(f"/webhooks/{s}" for s in SERVICES)
            return self._reject(UNKNOWN, Rejected(404, f"unknown service: post to {paths}"))
        try:
            return await self._receive(service, request)
        except Exception:  # a bug must not take the receiver down; the sender will retry
            log.exception("webhook %s: unexpected error", service)
            return self._reject(service, Rejected(500, "internal error (see the log)"))

    async def _receive(self, service: str, request: Request) -> Response:
        secret = self.secrets.get(service)
        if not secret:
            env = self.config.secret_env.get(service)
            hint = f"set ${env}" if env else f"add {service} to [webhooks.secret_env]"
            return self._reject(service, Rejected(404, f"not configured: {hint}"))
        headers = read_headers(request)
        # GitHub caps the JSON (25 MB); a form hook sends it percent-encoded, larger: the
        # cap on the form's JSON is checked once it is verified (_verified)
        form = is_form(service, headers)
        limit = self.config.max_body_bytes * (FORM_EXPANSION if form else 1)
        try:
            body = await read_capped(request, headers, limit, self.bodies, self.deadlines)
        except BodyTooLarge:
            what = "form body over 3 times max_body_bytes" if form else "body over max_body_bytes"
            why = f"{what} ({self.config.max_body_bytes})"
            return self._reject(service, Rejected(413, why), self._refresh_unread(service))
        except BodiesTooLarge:  # 5xx: Jira and Slack send it again later
            why = "too many large bodies at once"
            return self._reject(service, Rejected(503, why), self._refresh_unread(service))
        except BodyTooSlow:
            why = f"body not received within {self.deadlines.seconds:g} s"
            return self._reject(service, Rejected(408, why), self._refresh_unread(service))
        except ClientDisconnect:  # the sender hung up mid-body: a network fault, or it
            note = self._refresh_unread(service)  # gave up waiting (GitHub after 10 s)
            log.info("webhook %s: sender disconnected before the body arrived%s", service, note)
            return Response(status_code=400)  # never sent: nobody is listening
        try:
            return self._verified(service, headers, body, secret)
        finally:
            self.bodies.give_back(len(body))

    def _verified(
        self, service: str, headers: dict[str, str], body: bytes, secret: str
    ) -> Response:
        now = self.clock()  # when it was received, for all that follows
        verdict = check(
            service,
            headers,
            body,
            secret,
            now=now,
            replay_window=self.config.replay_window,
        )
        if isinstance(verdict, Rejected):
            return self._reject(service, verdict)
        limit = self.config.max_body_bytes
        if verdict.document is not None and len(verdict.document) > limit:
            why = f"the form's payload is over max_body_bytes ({limit})"
            return self._reject(service, Rejected(413, why), self._refresh_unread(service))
        if verdict.event == RATE_LIMITED:  # Slack delivers nothing for now: not live
            self.stats.last_at.pop(service, None)
        elif (service, verdict.event) not in HANDSHAKES:
            self.stats.last_at[service] = now
        if verdict.challenge is not None:
            return JSONResponse({"challenge": verdict.challenge})
        return self._queue(service, verdict, body, now)

    def _refresh_unread(self, service: str) -> str:
        """A delivery to a configured path whose headers came but whose body could not be
        read (too big, no room beside the others, too slow, the sender gone mid-body): it
        cannot be verified, so nothing in it is used, but a real one carried a change (GitHub
        never resends it), so the service's sections ask the server, at most once per
        `unread_refresh_seconds`: anyone can send such bodies, and each refresh costs API
        calls. A clock set back does not hold the next one off. Returns what the caller's
        log line adds: that the sections refresh, or "" when one did so recently."""
        now, last = self.clock(), self._unread_at.get(service)
        if last is not None and 0 <= now - last < self.limits.unread_refresh_seconds:
            return ""
        self._unread_at[service] = now
        self.on_unsaved(service)
        return "; its sections refresh from the server"

    def _queue(self, service: str, delivery: Accepted, body: bytes, now: float) -> Response:
        # The body digest too: the delivery id header is not signed, so a captured delivery
        # resent under a fresh id must still be recognised as the same one.
        digest = hashlib.sha256(body).hexdigest()
        stored = delivery.document or body  # the JSON a GitHub form delivery carried
        try:
            new = self.store.webhook_enqueue(
                service, delivery.delivery_id, delivery.event, stored, now, digest=digest
            )
        except Exception as err:  # a 5xx: Jira and Slack retry it, GitHub never resends it,
            self.on_unsaved(service)  # so what it said is fetched from the server instead
            if not isinstance(err, StoreFull):
                raise
            return self._reject(service, Rejected(503, "cannot save the delivery: disk full"))
        if not new:
            self.stats.add(self.stats.duplicates, service)
            log.info("webhook %s: delivery %s seen before, ignored", service, delivery.delivery_id)
            return PlainTextResponse("duplicate", status_code=200)
        self.stats.add(self.stats.accepted, service)
        self.on_delivery(service)
        return PlainTextResponse("queued", status_code=202)

    def _reject(self, service: str, rejected: Rejected, note: str = "") -> Response:
        """`service` is one of SERVICES or UNKNOWN, never a name taken from the request;
        `note` is added to the log line, not to the answer."""
        self.stats.add(self.stats.rejected, f"{service}: {rejected.status}")
        status, reason = rejected.status, rejected.reason
        log.warning("webhook %s rejected (%d): %s%s", service, status, reason, note)
        # Slack would send the same body again, three times: turn that off when it cannot
        # help (a 401 may: a retry carries a fresh timestamp)
        final = service == "slack" and status in NOT_RETRIABLE
        headers = {"X-Slack-No-Retry": "1"} if final else None
        return PlainTextResponse(rejected.reason, status_code=status, headers=headers)


def read_headers(request: Request) -> dict[str, str]:
    """The headers a delivery is read by, decoded once: a lookup in Starlette's Headers
    scans and decodes the whole list (some 4,000 instructions; a delivery needs five). The
    first of a repeated header counts, as there."""
    found: dict[str, str] = {}
    for raw, value in request.scope["headers"]:
        name = _READ.get(raw)
        if name is not None and name not in found:
            found[name] = value.decode("latin-1")
    return found


async def read_capped(
    request: Request,
    headers: dict[str, str],
    limit: int,
    budget: BodyBudget,
    deadlines: BodyDeadlines,
) -> bytes:
    """The raw body, refusing (before reading it all) anything over `limit` bytes, a body
    still incomplete at its deadline (a sender trickling bytes holds a connection), and a
    chunk that does not fit in `budget` beside the bodies being read. The body's bytes stay
    taken from `budget`: the caller gives them back when done with it."""
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks, size = [], 0
    task = deadlines.start()
    try:
        async for chunk in request.stream():
            if size + len(chunk) > limit:
                raise BodyTooLarge
            if not budget.take(len(chunk)):
                raise BodiesTooLarge
            size += len(chunk)
            chunks.append(chunk)
    except BaseException as exc:
        budget.give_back(size)
        if deadlines.finish(task, isinstance(exc, asyncio.CancelledError)):
            raise BodyTooSlow from None
        raise
    deadlines.finish(task, False)
    return b"".join(chunks)


class _QuietServer(uvicorn.Server):
    """uvicorn inside the app's own loop: the app keeps its signal handlers (Ctrl-C)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class WebhookServer:
    """Serves a WebhookReceiver as an asyncio task in the running loop."""

    def __init__(self, receiver: WebhookReceiver) -> None:
        self.receiver = receiver
        self.port: int | None = None
        self.failure: str | None = None  # why start() could not listen, in one line
        self._server: _QuietServer | None = None
        self._task: asyncio.Task[None] | None = None
        self._sock: socket.socket | None = None
        self.repeats = RepeatFilter()  # keeps a flood from rotating the log history away

    @property
    def listening(self) -> bool:
        """The server is up and accepting deliveries (not failed to bind, not stopped)."""
        server = self._server
        return server is not None and server.started and not server.should_exit

    def url(self, service: str) -> str:
        return f"http://{_url_host(self.receiver.config.host)}:{self.port}/webhooks/{service}"

    async def start(self) -> bool:
        """Bind and serve; False (logged as one line) when the address cannot be used."""
        host, port = self.receiver.config.host, self.receiver.config.port
        if not is_loopback_host(host):
            log.warning("webhooks: listening on %s, reachable from other machines", host)
        try:
            self._sock = bind(host, port)
        except OSError as err:
            why = err.strerror or err
            advice = listen_advice(err, "[webhooks] host", "[webhooks] port")
            self.failure = (
                f"cannot listen on {host}:{port} ({why}); {advice or 'set [webhooks] port'}"
            )
            log.error("webhooks: %s", self.failure)
            return False
        self.port = self._sock.getsockname()[1]
        self.repeats.install()
        limits = fitted(self.receiver.limits, BACKLOG)
        # log_config=None: uvicorn adds no stderr handler (it would draw over the dashboard);
        # its records go wherever the app's logging sends them.
        config = uvicorn.Config(
            self.receiver.app,
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            http=bounded_protocol(limits),
            backlog=BACKLOG,
            timeout_keep_alive=limits.keep_alive_seconds,
            h11_max_incomplete_event_size=limits.max_header_bytes,
        )
        self._server = _QuietServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[self._sock]), name="webhooks")
        while not self._server.started and not self._task.done():  # noqa: ASYNC110 (no event)
            await asyncio.sleep(0.005)
        return self._server.started

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception, SystemExit):
                await asyncio.wait_for(self._task, 3)
        if self._sock is not None:
            self._sock.close()
            self.repeats.remove()
        self._server = self._task = self._sock = None


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP: asyncio then sets TCP_NODELAY on accepted sockets (no Nagle delay)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host

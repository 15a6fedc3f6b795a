"""The receiver's bounds over real sockets on 127.0.0.1: a request head must arrive in time,
a body too (each by its own deadline, though one timer serves them all), idle connections are
capped (the longest-idle one goes), and repeated log lines are rate-limited."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from msgspec.structs import replace

from tests.helpers import ManualClock
from zen_tui.config import WebhookConfig
from zen_tui.store import Store
from zen_tui.sync.webhook_limits import BodyDeadlines, ReceiverLimits, RepeatFilter, fitted
from zen_tui.sync.webhook_verify import hub_signature
from zen_tui.sync.webhooks import WebhookReceiver, WebhookServer

SECRET = "gh-secret-value"
BODY = json.dumps({"action": "labeled", "issue": {"number": 1}}).encode()
LIMITS = ReceiverLimits(
    max_connections=20, header_seconds=0.3, body_seconds=0.3, keep_alive_seconds=1
)


@asynccontextmanager
async def running(limits: ReceiverLimits) -> AsyncIterator[WebhookServer]:
    store = Store.open(":memory:")
    config = WebhookConfig(enabled=True, port=0)
    receiver = WebhookReceiver(
        config, store, secrets={"github": SECRET}, clock=lambda: 0.0, limits=limits
    )
    server = WebhookServer(receiver)
    assert await server.start()
    try:
        yield server
    finally:
        await server.stop()
        store.close()


@pytest.fixture
async def server() -> AsyncIterator[WebhookServer]:
    async with running(LIMITS) as server:
        yield server


@pytest.fixture
async def patient_server() -> AsyncIterator[WebhookServer]:
    """The same cap, but a silent connection may wait 30 s for its request head: only the cap
    closes connections (a loaded machine can take longer than 0.3 s to open sixty)."""
    async with running(replace(LIMITS, header_seconds=30.0)) as server:
        yield server


def signed(delivery: str, body: bytes = BODY) -> dict[str, str]:
    return {
        "X-GitHub-Event": "issues",
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": hub_signature(SECRET, body),
    }


async def deliver(server: WebhookServer, delivery: str = "d-1") -> httpx.Response:
    async with httpx.AsyncClient(timeout=5) as http:
        return await http.post(server.url("github"), content=BODY, headers=signed(delivery))


async def closed_by_server(reader: asyncio.StreamReader, within: float = 5.0) -> bytes:
    """What the server sent before closing (b"" for a silent close); fails if it stays open."""
    return await asyncio.wait_for(reader.read(), within)


async def test_a_request_head_that_never_completes_is_closed(server: WebhookServer) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"POST /webhooks/github HTTP/1.1\r\nHost: x\r\n")  # and never the rest
    await writer.drain()
    assert await closed_by_server(reader) == b""
    writer.close()
    assert (await deliver(server)).status_code == 202  # the receiver itself is fine


async def test_a_silent_connection_is_closed(server: WebhookServer) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    assert await closed_by_server(reader) == b""
    writer.close()


def request(delivery: str, body: bytes = BODY, *, cut: int | None = None) -> bytes:
    """The raw request; `cut`: only that many bytes of the body (the rest never sent)."""
    head = (
        "POST /webhooks/github HTTP/1.1\r\nHost: x\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in signed(delivery, body).items())
        + f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body[:cut]


async def test_a_trickled_body_is_408_and_refreshes_its_service(server: WebhookServer) -> None:
    refreshed: list[str] = []
    server.receiver.on_unsaved = refreshed.append
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(request("slow", cut=5))
    await writer.drain()
    answer = await closed_by_server(reader)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 408") and b"not received within 0.3 s" in answer
    assert refreshed == ["github"]  # the delivery is lost: its sections ask the server


async def test_each_trickled_body_has_its_own_deadline(server: WebhookServer) -> None:
    """The timer serving every body read fires at the oldest one's deadline; a read begun
    later is not cut off then, but at its own (never early, whatever the load)."""

    async def trickle(delivery: str) -> tuple[bytes, float]:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        began = time.monotonic()
        writer.write(request(delivery, cut=5))
        answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        writer.close()
        return answer, time.monotonic() - began

    first = asyncio.create_task(trickle("first"))
    await asyncio.sleep(0.2)
    (early, _), (late, waited) = await asyncio.gather(first, trickle("second"))
    assert early.startswith(b"HTTP/1.1 408") and late.startswith(b"HTTP/1.1 408")
    assert waited >= LIMITS.body_seconds


async def test_a_cancel_from_elsewhere_during_a_body_read_stays_a_cancel() -> None:
    """Only the deadline's own cancel is a slow body (as with asyncio.timeout): a server
    shutting down mid-read is not answered 408."""
    deadlines = BodyDeadlines(30.0)
    reading = asyncio.Event()

    async def read() -> bool:
        task = deadlines.start()
        try:
            reading.set()
            await asyncio.Event().wait()  # a body that never comes
        except asyncio.CancelledError:
            return deadlines.finish(task, cancelled=True)
        return False

    task = asyncio.create_task(read())
    await reading.wait()
    task.cancel()
    assert await task is False  # not the deadline's


async def test_an_idle_keep_alive_connection_is_closed_after_its_answer(
    server: WebhookServer,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(request("k"))
    await writer.drain()
    answer = await closed_by_server(reader)  # answered, then closed while idle
    writer.close()
    assert answer.startswith(b"HTTP/1.1 202")


async def test_a_connection_whose_heads_each_come_in_time_stays_open_past_the_deadline() -> None:
    """The head deadline counts from the connection's last answer, not from its opening:
    a sender delivering every quarter second is never cut off (6 requests: 1.5 s of a 1 s
    deadline)."""
    async with running(replace(LIMITS, header_seconds=1.0)) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        for n in range(6):
            body = json.dumps({"action": "labeled", "issue": {"number": n}}).encode()
            writer.write(request(f"steady-{n}", body))
            await writer.drain()
            status = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            assert status.startswith(b"HTTP/1.1 202"), (n, status)
            length = int(status.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            await asyncio.sleep(0.25)
        writer.close()


async def test_over_the_cap_the_longest_idle_connection_goes_and_a_delivery_still_lands(
    patient_server: WebhookServer, caplog: pytest.LogCaptureFixture
) -> None:
    server = patient_server
    caplog.set_level(logging.WARNING, "zen_tui.sync.webhooks")
    idle = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(60)]
    answer = await deliver(server)
    assert answer.status_code == 202
    # the oldest 40 (at least) were closed to stay within 20; the newest are still open
    first_reader = idle[0][0]
    assert await closed_by_server(first_reader, within=1.0) == b""
    newest_reader = idle[-1][0]
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(newest_reader.read(1), 0.05)
    for _, writer in idle:
        writer.close()
    closing = [r.getMessage() for r in caplog.records if "connections open" in r.getMessage()]
    assert closing and len(closing) <= 10  # rate-limited, not one line per connection


def test_repeated_lines_are_rate_limited_and_the_next_one_says_how_many_were_dropped() -> None:
    clock = ManualClock(0.0)
    limiter = RepeatFilter(burst=3, window=60.0, clock=clock)
    logger = logging.getLogger("zen_tui.test.repeats")
    kept: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            kept.append(record.getMessage())

    handler = Keep()
    logger.addHandler(handler)
    logger.addFilter(limiter)
    logger.propagate = False
    try:
        for n in range(14_000):
            logger.error("accept() out of system resource (%d)", n)
        logger.error("another line")
        assert len(kept) == 4 and limiter.dropped() == 14_000 - 3
        clock.now = 61.0
        logger.error("accept() out of system resource (%d)", 0)
        assert kept[-1].endswith("(13997 more like this were not logged)")
    finally:
        logger.removeHandler(handler)
        logger.removeFilter(limiter)


@pytest.mark.parametrize("seed", range(8))
def test_repeats_are_bounded_and_every_dropped_line_is_counted_in_any_order(seed: int) -> None:
    """Seeded random floods: several loggers and texts, interleaved, with random gaps. Each
    (logger, level, text) keeps at most `burst` lines per window from its first, so at most
    twice `burst` in any `window` seconds; and
    while no text is forgotten, every line is either written or counted in the count a
    later line of its text (or dropped()) carries: none goes silently."""
    rng = random.Random(seed)
    clock = ManualClock(0.0)
    burst, window = rng.randint(1, 5), rng.choice([1.0, 10.0, 60.0])
    limiter = RepeatFilter(burst=burst, window=window, clock=clock)
    texts = [f"line {n} (%d)" for n in range(rng.randint(1, 6))]
    names = [f"zen_tui.test.repeats{n}" for n in range(rng.randint(1, 3))]
    sent: dict[tuple[str, str], int] = {}
    kept: dict[tuple[str, str], list[float]] = {}
    told = 0
    for _ in range(rng.randint(50, 400)):
        clock.now += rng.choice([0.0, 0.0, 0.01, window / 7, window * 1.5])
        name, text = rng.choice(names), rng.choice(texts)
        record = logging.LogRecord(name, logging.ERROR, __file__, 1, text, (1,), None)
        sent[name, text] = sent.get((name, text), 0) + 1
        if limiter.filter(record):
            kept.setdefault((name, text), []).append(clock.now)
            said = re.search(r"\((\d+) more like this were not logged\)$", record.getMessage())
            told += int(said.group(1)) if said else 0
    for times in kept.values():
        for i, start in enumerate(times):
            assert sum(1 for t in times[i:] if t < start + window) <= 2 * burst, (seed, times)
    assert sum(len(t) for t in kept.values()) + told + limiter.dropped() == sum(sent.values())


def test_the_cap_fits_the_open_file_limit() -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (512, hard))
        assert fitted(ReceiverLimits(max_connections=200), 128).max_connections == 32
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))
        assert fitted(ReceiverLimits(max_connections=200), 128).max_connections == 200
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

"""Gateway.retire: a gateway replaced after a login starts no read with the old token from
then on (not a new call, not a retry, not a cached answer), lets a write under way (its
checks included) finish on it, and closes its connections as soon as no call runs."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from zen_tui.gateway import Gateway, LoginReplaced
from zen_tui.gateway.events import RequestDone
from zen_tui.gateway.profiles import profile_for
from zen_tui.gateway.writing import write_under_way, writing

from .conftest import GatewayFactory, Recorder, settings_for


async def retired_recording(make_gateway: GatewayFactory) -> tuple[Gateway, list[str]]:
    """A retired gateway whose server answers 200 `{}`, and the paths it was sent."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(200, json={})

    gateway = make_gateway(handler=handler)
    await gateway.retire()
    return gateway, seen


async def test_a_call_running_at_retire_finishes_then_the_connections_close(
    make_gateway: GatewayFactory,
) -> None:
    entered, release = asyncio.Event(), asyncio.Event()
    seen: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        if request.url.path == "/slow":
            entered.set()
            await release.wait()
        return httpx.Response(200, json={"path": request.url.path})

    gateway = make_gateway(handler=handler)
    slow = asyncio.ensure_future(gateway.request("GET", "/slow"))
    await entered.wait()
    client = gateway._http()[0]
    await gateway.retire()
    assert gateway.in_flight == 1 and not client.is_closed  # the running call keeps them
    release.set()
    assert (await slow).json() == {"path": "/slow"}
    assert client.is_closed and gateway._built is None and gateway.in_flight == 0

    with pytest.raises(LoginReplaced):  # a poll's next page: on main, sent with the old token
        await gateway.request("GET", "/late")
    late = await gateway.request("POST", "/repos/o/r/issues/1/comments", json={})  # a write
    assert late.json() == {"path": "/repos/o/r/issues/1/comments"} and gateway._built is None
    assert seen == ["GET /slow", "POST /repos/o/r/issues/1/comments"]


async def test_an_idle_gateway_closes_at_retire(make_gateway: GatewayFactory) -> None:
    gateway = make_gateway(handler=lambda request: httpx.Response(200, json={}))
    await gateway.request("GET", "/x")
    client = gateway._http()[0]
    await gateway.retire()
    assert client.is_closed and gateway._built is None


async def test_a_write_under_way_reads_what_it_needs_on_a_retired_gateway(
    make_gateway: GatewayFactory,
) -> None:
    """A write's check whether it already applied (verify) and a transition's lookup are
    reads, but part of the write: they finish where it began."""
    gateway, seen = await retired_recording(make_gateway)
    assert not writing()
    with write_under_way():
        assert writing()
        await gateway.request("GET", "/repos/o/r/issues/1/comments")
        await asyncio.gather(gateway.request("GET", "/a"), gateway.request("GET", "/b"))
    assert not writing()
    with pytest.raises(LoginReplaced):
        await gateway.request("GET", "/a")
    assert seen == ["/repos/o/r/issues/1/comments", "/a", "/b"]


async def test_a_task_a_write_started_reads_as_itself_once_the_write_is_over(
    make_gateway: GatewayFactory,
) -> None:
    """asyncio copies the context into a task started inside the write (a refresh that the
    write's ActionUpdated asks for): it is no part of the write once the write is over."""
    gateway, seen = await retired_recording(make_gateway)
    go = asyncio.Event()

    async def later_poll() -> None:
        await go.wait()
        await gateway.request("GET", "/poll")

    with write_under_way():
        polling = asyncio.ensure_future(later_poll())
    go.set()
    with pytest.raises(LoginReplaced):  # a plain flag, copied into the task, would send it
        await polling
    assert seen == []


async def test_a_read_waiting_to_retry_at_retire_sends_no_more_attempts(
    make_gateway: GatewayFactory, recorder: Recorder
) -> None:
    """The backoff passes after the login changed: the next attempt would carry the old
    token. It is refused quietly: no RequestDone error, no breaker failure."""
    failed = asyncio.Event()
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        failed.set()
        return httpx.Response(503)

    gateway = make_gateway(settings_for(max_attempts=4, initial_wait=5), handler=handler)
    reading = asyncio.ensure_future(gateway.request("GET", "/page2"))
    await failed.wait()
    await gateway.retire()
    with pytest.raises(LoginReplaced):
        await reading
    assert seen == ["/page2"]  # on main: 4 attempts, each with the old token
    assert recorder.of(RequestDone) == []
    assert gateway.breaker_state() == "closed" and gateway.health().errors == 0


async def test_a_retired_gateway_answers_no_read_from_its_cache(
    make_gateway: GatewayFactory,
) -> None:
    gateway = make_gateway(handler=lambda request: httpx.Response(200, json={"n": 1}))
    fresh = await gateway.request("GET", "/user", cache_type="user_info")
    assert fresh.json() == {"n": 1}
    await gateway.retire()
    with pytest.raises(LoginReplaced):  # not even the old login's copy, fresh or stale
        await gateway.request("GET", "/user", cache_type="user_info", allow_stale=True)


@pytest.mark.parametrize(
    ("service", "method", "path", "reads"),
    [
        ("github", "GET", "/repos/o/r/pulls", True),
        ("github", "POST", "/graphql", True),  # zen-tui sends only queries there
        ("github", "POST", "/api/graphql", True),  # GitHub Enterprise
        ("github", "POST", "/repos/o/r/issues/1/comments", False),
        ("github", "PUT", "/repos/o/r/pulls/1/merge", False),
        ("github", "DELETE", "/repos/o/r/issues/1/labels/x", False),
        ("jira", "POST", "/rest/api/3/search/jql", True),
        ("jira", "POST", "/rest/api/3/issue/OPS-1/comment", False),
        ("jira", "POST", "/rest/api/3/bulk/issues/transition", False),
        ("jira", "HEAD", "/rest/api/3/myself", True),
        ("slack", "GET", "/conversations.history", True),
        ("slack", "POST", "/conversations.replies", True),
        ("slack", "POST", "/chat.postMessage", False),
        ("slack", "POST", "/reactions.add", False),
    ],
)
def test_what_counts_as_a_read(service: str, method: str, path: str, reads: bool) -> None:
    assert profile_for(service).reads(method, path) is reads

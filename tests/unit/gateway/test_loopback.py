"""Real sockets on 127.0.0.1: refused connections and read timeouts become Unavailable."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from msgspec.structs import replace

from tests.helpers import socket_server
from zen_tui.gateway import FakeClock, Gateway, Unavailable
from zen_tui.gateway.credentials import Credential, StaticCredentialProvider
from zen_tui.gateway.events import EventBus, RequestDone, RetryScheduled
from zen_tui.gateway.settings import TimeoutSettings

from .conftest import Recorder, settings_for


def _gateway(base_url: str, bus: EventBus, **timeouts: float) -> Gateway:
    settings = replace(
        settings_for(max_attempts=2), timeouts=replace(TimeoutSettings(), **timeouts)
    )
    return Gateway(
        account="gh",
        service="github",
        base_url=base_url,
        settings=settings,
        credentials=StaticCredentialProvider({"gh": Credential("t")}),
        bus=bus,
        clock=FakeClock(),
    )


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers."""
    with socket_server(lambda conn, stop: stop.wait()) as url:
        yield url


async def test_refused_connection_is_retried_then_unavailable() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    bus = EventBus()
    recorder = Recorder(bus)
    gw = _gateway(f"http://127.0.0.1:{port}", bus)
    with pytest.raises(Unavailable, match="cannot connect"):
        await gw.request("POST", "/repos/o/r/issues", json={})  # connect errors: POST too
    assert [r.reason for r in recorder.of(RetryScheduled)] == ["ConnectError"]
    [done] = recorder.of(RequestDone)
    assert (done.status, done.attempts, done.cache) == (None, 2, "bypass")
    await gw.aclose()


async def test_read_timeout_from_settings_is_unavailable(silent_server: str) -> None:
    bus = EventBus()
    recorder = Recorder(bus)
    gw = _gateway(silent_server, bus, read=0.2)
    with pytest.raises(Unavailable, match="timed out"):
        await gw.request("GET", "/slow")
    assert [r.reason for r in recorder.of(RetryScheduled)] == ["ReadTimeout"]
    await gw.aclose()

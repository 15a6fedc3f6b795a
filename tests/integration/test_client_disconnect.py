"""A client that hangs up mid-request is normal (a gateway timeout during a simulated delay,
the app quitting while a webhook is delivered): it leaves one log line, never a traceback,
in the simulator and in the webhook receiver, over real loopback sockets."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import Iterator

from zen_tui.config import WebhookConfig
from zen_tui.simulator.server import SimulatorServer
from zen_tui.store import Store
from zen_tui.sync.webhooks import WebhookReceiver, WebhookServer


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.arrived = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.arrived.set()

    def lines(self) -> list[str]:
        return [r.getMessage() for r in self.records]

    def tracebacks(self) -> list[str]:
        return [r.getMessage() for r in self.records if r.exc_info]


@contextlib.contextmanager
def recording() -> Iterator[Records]:
    """Records of uvicorn's and zen-tui's loggers. Enter it after a uvicorn server started:
    uvicorn's logging set-up removes the handlers its loggers had."""
    handler = Records()
    loggers = [logging.getLogger(n) for n in ("uvicorn", "uvicorn.error", "zen_tui")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)


def hang_up_mid_body(port: int, path: str, headers: dict[str, str]) -> None:
    """Promise 1000 bytes of body, send 12, and close the connection."""
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n{head}\r\n"
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(request.encode() + b'{"labels": [')


def test_the_simulator_logs_one_line_when_a_client_hangs_up() -> None:
    with SimulatorServer(seed=3, size=50) as sim, recording() as records:
        port = int(sim.root_url.rsplit(":", 1)[1].split("/")[0])
        auth = {"Authorization": f"Bearer {sim.account('github').token}", "User-Agent": "test"}
        hang_up_mid_body(port, "/github/repos/acme/api/issues/1/labels", auth)
        assert records.arrived.wait(10), "the simulator never noticed the hang-up"
    assert records.tracebacks() == []
    gone = [line for line in records.lines() if "disconnected" in line]
    assert len(gone) == 1 and "POST /github/repos/acme/api/issues/1/labels" in gone[0]


async def test_the_webhook_receiver_logs_one_line_when_a_sender_hangs_up() -> None:
    store = Store.open(":memory:")
    config = WebhookConfig(enabled=True, port=0)
    refreshed: list[str] = []
    receiver = WebhookReceiver(
        config,
        store,
        secrets={"github": "s3cret-value"},
        clock=lambda: 0.0,
        on_unsaved=refreshed.append,
    )
    server = WebhookServer(receiver)
    assert await server.start() and server.port is not None
    headers = {"X-GitHub-Event": "issues", "X-GitHub-Delivery": "d-1"}
    try:
        with recording() as records:
            await asyncio.to_thread(hang_up_mid_body, server.port, "/webhooks/github", headers)
            for _ in range(500):
                if records.records:
                    break
                await asyncio.sleep(0.01)
    finally:
        await server.stop()
        store.close()
    assert records.tracebacks() == []
    assert [line for line in records.lines() if "webhook" in line] == [
        "webhook github: sender disconnected before the body arrived;"
        " its sections refresh from the server"
    ]
    assert receiver.stats.accepted == {}
    assert refreshed == ["github"]  # what it carried is asked of the server (GitHub never resends)

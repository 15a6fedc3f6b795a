"""Run the simulator on a real loopback socket: in a daemon thread (tests, demo) or blocking."""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

from zen_tui.simulator.app import (
    TRANSPORT_KEY,
    ConnectionAbort,
    build_app,
    create_world,
    webhook_dispatcher,
)
from zen_tui.simulator.core.faults import parse_rules
from zen_tui.simulator.core.world import World


@dataclass(frozen=True)
class SimAccount:
    service: str
    name: str
    base_url: str
    token: str
    username: str | None = None  # Jira: the email for Basic auth; GitHub: the login
    user: str | None = None  # whom "@me" means, when set; None: the client asks the server


class _DropAborts(logging.Filter):
    """Simulated connection resets are intended; keep their tracebacks out of the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ConnectionAbort)


logging.getLogger("uvicorn.error").addFilter(_DropAborts())


class SimulatorServer:
    """The whole simulator on `host:port` (port 0 = ephemeral), started in a daemon thread."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 1,
        size: int = 300,
        scenario: str | Path | None = None,
        activity: bool = False,
        rate_scale: float = 1.0,
    ) -> None:
        self.host = host
        self.world: World = create_world(seed=seed, size=size, rate_scale=rate_scale)
        self.app = build_app(self.world, scenario=scenario)
        self._activity = activity
        # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
        # proto says TCP; without it Nagle + delayed ACK add ~40 ms to every response.
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock.bind((host, port))
        self.port: int = self._sock.getsockname()[1]
        self.root_url = f"http://{host}:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def accounts(self) -> list[SimAccount]:
        out = []
        for name, sim in self.world.services.items():
            base = self.root_url + sim.base_path
            out.append(SimAccount(name, name, base, sim.token, sim.username))
        return out

    def account(self, service: str) -> SimAccount:
        for acc in self.accounts:
            if acc.service == service:
                return acc
        raise KeyError(f"service {service!r} is not mounted in this simulator")

    def start(self) -> SimulatorServer:
        # log_config=None and no log_level: uvicorn leaves logging as it is. Its default set-up
        # gives the `uvicorn` loggers a stderr handler of their own (drawn over a `--demo`
        # dashboard), stops them reaching the root's redacted log file, and sets their level
        # for the whole process: the webhook receiver's start lines were lost with it.
        config = uvicorn.Config(
            _with_transport(self.app),
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._sock.listen(128)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"simulator did not start on {self.root_url}")
            time.sleep(0.01)
        if self._activity:
            self.app.state.activity.start()
        return self

    def stop(self) -> None:
        self.app.state.activity.stop()
        if self.app.state.webhooks is not None:
            self.app.state.webhooks.stop(timeout=2)
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._sock.close()
        self._server = None
        self._thread = None

    def wait(self) -> None:
        """Block while the server runs (until stop() or Ctrl-C)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.5)

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def set_faults(self, rules: list[dict[str, Any]]) -> None:
        self.app.state.faults.set_rules(parse_rules(rules))

    def clear_faults(self) -> None:
        self.app.state.faults.clear()

    def set_webhooks(
        self, targets: dict[str, tuple[str, str]], *, github_content_type: str = "json"
    ) -> None:
        """Deliver each service's changes to `targets[service] = (url, secret)`, signed as
        the real service signs them; an empty dict stops delivery. `github_content_type`
        "form" sends GitHub's deliveries form-encoded, as its default hook does."""
        dispatcher = webhook_dispatcher(self.app)
        if dispatcher is None:
            raise RuntimeError("webhooks are not available in this simulator build")
        dispatcher.github_content_type = github_content_type
        dispatcher.set_targets(targets)

    def counters(self) -> dict[str, Any]:
        return self.world.counters.snapshot()

    def reset_counters(self) -> None:
        self.world.counters.reset()


def _with_transport(app: Any) -> Any:
    """Expose uvicorn's connection transport in the scope, so a simulated reset can be a real
    TCP reset (see app._abort). Falls back quietly if uvicorn's internals differ."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            transport = getattr(getattr(send, "__self__", None), "transport", None)
            if transport is not None:
                scope[TRANSPORT_KEY] = transport
        await app(scope, receive, send)

    return wrapped


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    seed: int = 1,
    size: int = 300,
    scenario: str | Path | None = None,
    activity: bool = False,
    rate_scale: float = 1.0,
) -> None:
    """Blocking: serve until Ctrl-C, after printing one line per service (name, URL, token)."""
    server = SimulatorServer(
        host=host,
        port=port,
        seed=seed,
        size=size,
        scenario=scenario,
        activity=activity,
        rate_scale=rate_scale,
    )
    server.start()
    width = max((len(acc.base_url) for acc in server.accounts), default=0)
    for acc in server.accounts:
        user = f"  user {acc.username}" if acc.username else ""
        print(f"{acc.name:<7} {acc.base_url:<{width}}  token {acc.token}{user}", flush=True)
    print(f"control {server.root_url}/_sim  (faults, counters, scenario, activity)", flush=True)
    try:
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()

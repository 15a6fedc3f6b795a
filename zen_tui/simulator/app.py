"""Compose the simulator: one Starlette app, each service under its prefix, faults around all.

Starlette (ASGI) because the same app object serves real loopback sockets under uvicorn and
in-memory tests under httpx.ASGITransport; it is small and well kept.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import socket
import struct
import time
from collections.abc import Awaitable, Callable, MutableMapping
from functools import partial
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Mount, Route

from zen_tui.simulator.core.faults import Decision, FaultEngine
from zen_tui.simulator.core.world import ServiceSim, World
from zen_tui.simulator.github import GitHubSim
from zen_tui.simulator.jira import JiraSim
from zen_tui.simulator.slack import SlackSim

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# The services the simulator serves, mounted by explicit import (a broken one fails loudly).
JIRA_EMAIL = "me@example.com"


class ConnectionAbort(Exception):
    """Raised after the response has started: the server drops the connection mid-response."""


def make_token(seed: int, service: str) -> str:
    """A fake token derived from the seed, in the service's own prefix style."""
    digest = hashlib.sha256(f"zen-sim:{seed}:{service}".encode()).hexdigest()
    prefix = {"github": "ghp_", "slack": "xoxp-", "jira": "ATATT"}.get(service, "sim_")
    return prefix + digest[:36]


def create_world(
    seed: int = 1,
    size: int = 300,
    rate_scale: float = 1.0,
    clock: Callable[[], float] = time.time,
) -> World:
    """A seeded world with the GitHub, Jira and Slack simulators mounted on it. `clock`: a
    test's virtual time, so the simulator's windows and timestamps follow it."""
    world = World(seed=seed, size=size, rate_scale=rate_scale, clock=clock)
    _mount_all(world)
    return world


def _mount_all(world: World) -> None:
    """Every simulated service, each built with what its constructor takes and added (which
    seeds it) before the next is built: the seeded world depends on that order."""
    token = partial(make_token, world.seed)
    world.add(GitHubSim(world, token("github")))
    world.add(JiraSim(world, token("jira"), JIRA_EMAIL))
    world.add(SlackSim(world, token("slack")))


class FaultMiddleware:
    """Applies the engine's decision to each service request and counts every response."""

    def __init__(
        self,
        app: ASGIApp,
        world: World,
        engine: FaultEngine,
        runner: Any,
        routes: dict[str, list[BaseRoute]],
    ) -> None:
        self.app = app
        self.routes = routes  # per service, to name endpoints answered before routing
        self.world = world
        self.engine = engine
        self.runner = runner  # ScenarioRunner: applies the timeline lazily, per request

    def _service_for(self, path: str) -> ServiceSim | None:
        for sim in self.world.services.values():
            if path == sim.prefix or path.startswith(sim.prefix + "/"):
                return sim
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        sim = self._service_for(scope.get("path", "")) if scope["type"] == "http" else None
        if sim is None:
            await self.app(scope, receive, send)
            return
        relative = scope["path"][len(sim.prefix) :] or "/"
        counted = False

        def count(status: int) -> None:
            nonlocal counted
            if not counted:
                counted = True
                endpoint = _endpoint_name(sim, self.routes.get(sim.name, []), scope, relative)
                self.world.counters.request(sim.name, endpoint, status)

        self.runner.tick()
        decision = self.engine.decide(sim.name, scope.get("method", "GET"), relative)
        extra = [pair for rule in decision.rules for pair in rule.extra_headers()]

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                count(message["status"])  # before the client can see the response
                if extra:  # Deprecation / Sunset headers a rule adds
                    message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            if decision.delay > 0:
                await asyncio.sleep(decision.delay)
            await self._serve(sim, decision, scope, receive, counting_send)
        finally:
            count(599)  # no response started (client gone, app crashed)

    async def _serve(
        self, sim: ServiceSim, decision: Decision, scope: Scope, receive: Receive, send: Send
    ) -> None:
        kind = decision.kind
        if kind is None:
            await self.app(scope, receive, send)
        elif kind == "outage":
            await sim.error_response(503, "Service Unavailable (simulated outage)")(
                scope, receive, send
            )
        elif kind == "reset":
            await _abort(scope, send)
        elif kind == "hang":
            await asyncio.sleep(decision.hang_seconds)
            await sim.error_response(504, "Gateway Timeout (simulated hang)")(scope, receive, send)
        elif kind == "rate_limit":
            limited = sim.rate_limited_response(decision.retry_after, decision.reason)
            await limited(scope, receive, send)
        elif kind == "error":
            await sim.error_response(decision.status, "simulated server error")(
                scope, receive, send
            )
        elif kind == "ok_false":
            await sim.refusal_response(decision.code)(scope, receive, send)
        elif kind == "malformed":
            body = b'{"simulated": "malformed", "items": [{"id": 1,, '
            await Response(body, 200, media_type="application/json")(scope, receive, send)
        elif kind == "truncated":
            await self._truncated(scope, receive, send)

    async def _truncated(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the real response with its body cut in half (headers say it is complete)."""
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        body = b"".join(chunks)
        cut = body[: len(body) // 2]
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(cut)).encode()))
        await send({"type": "http.response.start", "status": start["status"], "headers": headers})
        await send({"type": "http.response.body", "body": cut})


async def _client_gone(request: Request, exc: Exception) -> Response:
    """A client that hangs up before its request body arrived (its timeout ran out during a
    simulated delay, or it shut down) is normal: one line, not uvicorn's traceback. The
    response is never sent; 499 (client closed request) is what the counters record."""
    log.info("simulator: %s %s: client disconnected", request.method, request.url.path)
    return Response(status_code=499)


def _endpoint_name(sim: ServiceSim, routes: list[BaseRoute], scope: Scope, relative: str) -> str:
    """The route template ("/repos/{owner}/{repo}/pulls/{number}"), so counters stay bounded;
    a `{method}` parameter (Slack's method name) is filled in, since it is the endpoint."""
    route = scope.get("route")
    params = scope.get("path_params", {})
    if route is None:  # answered by a fault before routing: match it here
        probe = {"type": "http", "path": scope["path"], "root_path": sim.prefix}
        probe["method"] = scope.get("method", "GET")
        for candidate in routes:
            match, child = candidate.matches(probe)
            if match != Match.NONE:
                route, params = candidate, child.get("path_params", {})
                break
    if not isinstance(route, Route | Mount):  # no route matched (or one without a path)
        return relative
    template = route.path
    return template.replace("{method}", str(params.get("method", "{method}")))


TRANSPORT_KEY = "zen_sim.transport"  # set by server.py's outermost wrapper under uvicorn


async def _abort(scope: Scope, send: Send) -> None:
    """Drop the connection. Under uvicorn: a TCP reset before any byte (SO_LINGER 0 + abort),
    as a crashed or overloaded server gives. Elsewhere (ASGITransport): start a response,
    send part of it, then fail."""
    transport = scope.get(TRANSPORT_KEY)
    sock = transport.get_extra_info("socket") if transport is not None else None
    if transport is not None and sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
        raise ConnectionAbort("simulated connection reset")
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"1000")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"partial": ', "more_body": True})
    raise ConnectionAbort("simulated connection reset")


def build_app(
    world: World,
    *,
    scenario: str | Path | None = None,
    engine: FaultEngine | None = None,
    clock: Callable[[], float] | None = None,
) -> Starlette:
    """The whole simulator as one ASGI app; serve it with uvicorn or httpx.ASGITransport.

    `app.state` holds `world`, `faults` (FaultEngine), `scenario` (ScenarioRunner) and
    `activity` (ActivityGenerator) for the control API and in-process callers.
    """
    from zen_tui.simulator.core.activity import ActivityGenerator
    from zen_tui.simulator.core.control import control_routes
    from zen_tui.simulator.core.scenario import ScenarioRunner

    if not world.services:
        _mount_all(world)
    engine = engine or FaultEngine(seed=world.seed)
    runner = ScenarioRunner(engine, world, clock=clock)
    if scenario is not None:
        runner.load_path(Path(scenario))
    routes: list[BaseRoute] = [Mount("/_sim", routes=control_routes())]
    service_routes = {name: sim.routes() for name, sim in world.services.items()}
    routes += [Mount(world.services[n].prefix, routes=r) for n, r in service_routes.items()]
    app = Starlette(routes=routes, exception_handlers={ClientDisconnect: _client_gone})
    app.state.world = world
    app.state.faults = engine
    app.state.scenario = runner
    app.state.activity = ActivityGenerator(world)
    app.state.webhooks = None  # a WebhookDispatcher once targets are set (see webhook_dispatcher)
    app.add_middleware(
        FaultMiddleware, world=world, engine=engine, runner=runner, routes=service_routes
    )
    return app


def webhook_dispatcher(app: Starlette) -> Any | None:
    """The app's webhook sender, created and started on first use."""
    if app.state.webhooks is None:
        from zen_tui.simulator.core.webhooks import WebhookDispatcher

        app.state.webhooks = WebhookDispatcher(app.state.world, {}).start()
    return app.state.webhooks

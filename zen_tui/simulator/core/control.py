"""The `/_sim` control API: faults, counters, scenario, activity and seed info at runtime."""

from __future__ import annotations

import json
import tomllib
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from zen_tui.simulator.core import settings
from zen_tui.simulator.core.faults import FaultRuleError, parse_rules
from zen_tui.simulator.core.scenario import ScenarioError, loads_toml, parse


def _bad(message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=400)


async def _json(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise FaultRuleError("request body is not valid JSON; send a JSON object") from None


def _rules_from(body: Any) -> list[Any]:
    if isinstance(body, dict) and "rules" in body:
        body = body["rules"]
    elif isinstance(body, dict):
        body = [body]
    return parse_rules(body if body is not None else [])


async def get_faults(request: Request) -> Response:
    return JSONResponse(request.app.state.faults.rules())


async def put_faults(request: Request) -> Response:
    """Replace the runtime rules (body: a rule, a list of rules or {"rules": [...]})."""
    try:
        rules = _rules_from(await _json(request))
    except FaultRuleError as exc:
        return _bad(str(exc))
    if request.method == "POST":
        request.app.state.faults.add_rules(rules)
    else:
        request.app.state.faults.set_rules(rules)
    return JSONResponse(request.app.state.faults.rules())


async def delete_faults(request: Request) -> Response:
    request.app.state.faults.clear()
    return JSONResponse(request.app.state.faults.rules())


async def get_counters(request: Request) -> Response:
    return JSONResponse(request.app.state.world.counters.snapshot())


async def reset_counters(request: Request) -> Response:
    request.app.state.world.counters.reset()
    return Response(status_code=204)


async def _object(request: Request, usage: str) -> dict[str, Any]:
    """The JSON object body (empty = {}); FaultRuleError with `usage` for anything else."""
    body = await _json(request)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise FaultRuleError(f"send a JSON object: {usage}")
    return body


async def scenario(request: Request) -> Response:
    """GET: status. POST: load {"name": "tour"} | {"path": ...} | {"toml": "..."}. DELETE: stop."""
    runner = request.app.state.scenario
    usage = '{"name": "tour"}, {"path": "my.toml"} or {"toml": "..."}'
    if request.method == "DELETE":
        runner.stop()
    elif request.method == "POST":
        try:
            body = await _object(request, usage)
            source = body.get("toml", body.get("path") or body.get("name") or "")
            if not isinstance(source, str):
                raise FaultRuleError(f"give text: {usage}")
            if "toml" in body:
                runner.load(parse(loads_toml(source)))
            else:
                runner.load_path(source)
        except (FaultRuleError, ScenarioError, tomllib.TOMLDecodeError) as exc:
            return _bad(f"scenario not loaded: {exc}")
    return JSONResponse(runner.status())


async def activity(request: Request) -> Response:
    """GET: status. POST {"on": bool, "interval": seconds} switches the generator."""
    generator = request.app.state.activity
    if request.method == "POST":
        usage = '{"on": true, "interval": 3} (interval in seconds, > 0, optional)'
        try:
            body = await _object(request, usage)
            interval = body.get("interval")
            ok = interval is None or (isinstance(interval, int | float) and interval > 0)
            if not isinstance(body.get("on", True), bool) or not ok:
                raise FaultRuleError(f"send {usage}")
        except FaultRuleError as exc:
            return _bad(str(exc))
        if body.get("on", True):
            generator.start(interval)
        else:
            generator.stop()
    return JSONResponse(
        {"on": generator.running, "interval": generator.interval, "changes": generator.changes}
    )


async def info(request: Request) -> Response:
    world = request.app.state.world
    root = str(request.base_url).rstrip("/")
    return JSONResponse(
        {
            "seed": world.seed,
            "size": world.size,
            "rate_scale": world.rate_scale,
            "services": {
                name: {"base_url": root + sim.base_path, "token": sim.token}
                for name, sim in world.services.items()
            },
        }
    )


async def rate_scale(request: Request) -> Response:
    """PUT {"rate_scale": 0.01}: shrink or grow every simulated rate-limit budget."""
    world = request.app.state.world
    try:
        value = float(((await _json(request)) or {})["rate_scale"])
        if value <= 0:
            raise ValueError
    except (FaultRuleError, KeyError, TypeError, ValueError):
        return _bad('send {"rate_scale": <number > 0>}')
    world.rate_scale = value
    return JSONResponse({"rate_scale": value})


def _targets(body: Any) -> dict[str, tuple[str, str]]:
    if not isinstance(body, dict):
        raise FaultRuleError('send {"github": {"url": "http://...", "secret": "..."}, ...}')
    targets = {}
    for service, target in body.items():
        url = target.get("url") if isinstance(target, dict) else None
        secret = target.get("secret", "") if isinstance(target, dict) else None
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise FaultRuleError(f"webhook target {service!r}: give an http(s) `url`")
        if not isinstance(secret, str):
            raise FaultRuleError(f"webhook target {service!r}: `secret` must be a string")
        targets[service] = (url, secret)
    return targets


def _github_content_type(body: dict[str, Any]) -> str:
    """A GitHub hook's `content_type`: `json`, or `form` (GitHub's default for a new hook)."""
    from zen_tui.simulator.core.webhooks import CONTENT_TYPES

    target = body.get("github")
    value = target.get("content_type", "json") if isinstance(target, dict) else "json"
    if value not in CONTENT_TYPES:
        raise FaultRuleError(
            f"webhook target 'github': content_type is json or form, not {value!r}"
        )
    return str(value)


async def webhooks(request: Request) -> Response:
    """GET: targets (no secrets). PUT {"github": {"url", "secret"}, ...}: deliver changes of
    those services there, signed. DELETE: stop delivering."""
    from zen_tui.simulator.app import webhook_dispatcher

    dispatcher = webhook_dispatcher(request.app)
    if dispatcher is None:
        return _bad("webhooks are not available in this build")
    if request.method == "PUT":
        try:
            body = await _json(request)
            targets = _targets(body)
            dispatcher.github_content_type = _github_content_type(body)
            dispatcher.set_targets(targets)
        except FaultRuleError as exc:
            return _bad(str(exc))
    elif request.method == "DELETE":
        dispatcher.set_targets({})
    return JSONResponse(
        {
            "targets": {name: url for name, (url, _secret) in dispatcher.targets.items()},
            "delivered": request.app.state.world.counters.snapshot()["webhooks_delivered"],
            "dropped": dispatcher.dropped,
            "too_large": dispatcher.too_large,  # GitHub events over its cap: never sent
            "rate_limited": dispatcher.rate_limited,  # Slack events over its hourly limit
            "github_recent": dispatcher.recent()[-20:],
        }
    )


async def redeliver(request: Request) -> Response:
    """POST {"id": "<X-GitHub-Delivery>"}: GitHub's Redeliver button (GitHub never resends a
    failed delivery by itself)."""
    from zen_tui.simulator.app import webhook_dispatcher

    dispatcher = webhook_dispatcher(request.app)
    try:
        body = await _json(request)
    except FaultRuleError as exc:
        return _bad(str(exc))
    delivery_id = body.get("id") if isinstance(body, dict) else None
    if dispatcher is None or not isinstance(delivery_id, str):
        return _bad('send {"id": "<a GitHub delivery id from GET /_sim/webhooks>"}')
    if not dispatcher.redeliver(delivery_id):
        return JSONResponse({"error": f"no GitHub delivery {delivery_id!r}"}, status_code=404)
    return JSONResponse({"redelivered": delivery_id}, status_code=202)


async def service_settings(request: Request) -> Response:
    """GET: switches in force and those available. PUT {"slack": {"non_marketplace": true}}."""
    world = request.app.state.world
    if request.method == "PUT":
        try:
            settings.apply(world, await _json(request))
        except (FaultRuleError, settings.SettingsError) as exc:
            return _bad(str(exc))
    return JSONResponse(
        {"settings": settings.current(world), "available": settings.available(world)}
    )


def control_routes() -> list[BaseRoute]:
    return [
        Route("/faults", get_faults, methods=["GET"]),
        Route("/faults", put_faults, methods=["PUT", "POST"]),
        Route("/faults", delete_faults, methods=["DELETE"]),
        Route("/counters", get_counters, methods=["GET"]),
        Route("/counters/reset", reset_counters, methods=["POST"]),
        Route("/scenario", scenario, methods=["GET", "POST", "DELETE"]),
        Route("/activity", activity, methods=["GET", "POST"]),
        Route("/info", info, methods=["GET"]),
        Route("/seed", info, methods=["GET"]),
        Route("/rate_scale", rate_scale, methods=["PUT"]),
        Route("/webhooks", webhooks, methods=["GET", "PUT", "DELETE"]),
        Route("/webhooks/redeliver", redeliver, methods=["POST"]),
        Route("/settings", service_settings, methods=["GET", "PUT"]),
    ]

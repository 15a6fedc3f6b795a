"""Every `/_sim` control endpoint answers junk with a 400 and a one-line {"error": ...} that
says what to send, never a crash; valid calls still work afterwards."""

from __future__ import annotations

import itertools

import httpx

from zen_tui.simulator.app import build_app, create_world

JUNK = [
    b"{not json",
    b"[]",
    b'"x"',
    b"null",
    b"123",
    b"\xff\xfe",
    b'{"rules": 5}',
    b'{"rules": [5]}',
    b'{"service": 5}',
    b'{"statuses": ["x"]}',
    b'{"statuses": 5}',
    b'{"latency_ms": "x"}',
    b'{"toml": 5}',
    b'{"name": 5}',
    b'{"on": "x", "interval": "y"}',
    b'{"interval": -1}',
    b'{"github": 5}',
    b'{"github": {"url": 5}}',
    b'{"github": {"url": "http://x", "secret": 5}}',
    b'{"github": {"url": "http://x", "content_type": ["form"]}}',
    b'{"rate_scale": null}',
    b'{"slack": null}',
    b'{"error_rate": "0.5"}',
    b'{"jitter_ms": null}',
]
WRITES = [
    ("PUT", "/faults"),
    ("POST", "/faults"),
    ("POST", "/scenario"),
    ("POST", "/activity"),
    ("PUT", "/rate_scale"),
    ("PUT", "/webhooks"),
    ("PUT", "/settings"),
]


async def test_control_endpoints_refuse_junk_with_a_clear_400() -> None:
    world = create_world(seed=1, size=60)
    app = build_app(world)
    statuses = set()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://s/_sim"
        ) as c:
            for (method, path), body in itertools.product(WRITES, JUNK):
                r = await c.request(method, path, content=body)
                statuses.add(r.status_code)
                assert r.status_code in (200, 400), (method, path, body, r.text)
                if r.status_code == 400:
                    message = r.json()["error"]
                    assert message and "\n" not in message and "Traceback" not in message
            assert (await c.post("/activity", json={"on": False})).json()["on"] is False
            assert (await c.put("/faults", json={"outage": True})).status_code == 200
            assert (await c.post("/scenario", json={"name": "steady"})).json()["name"] == "steady"
    finally:
        app.state.activity.stop()
        if app.state.webhooks is not None:
            app.state.webhooks.stop()
    assert 400 in statuses

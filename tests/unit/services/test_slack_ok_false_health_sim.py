"""Slack reports most failures as HTTP 200 `{"ok": false, "error": "<code>"}`. The health
figures (`zen-tui health`'s error count, the health screen's table and recent errors) count
such an answer as a failed call, with its code, as they count a GitHub or Jira 4xx. What the
gateway does with it stays as it was: no retry, no breaker failure (Slack's auth codes mean
log in again; the client says so), and its codes reach the Slack client unchanged.

Against the simulator, whose fault rules make Slack answer ok:false (`ok_false_rate`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from zen_tui.events import EventBus
from zen_tui.gateway import FakeClock
from zen_tui.gateway.errors import ApiError, AuthExpired
from zen_tui.ui.health_model import HealthModel
from zen_tui.ui.screens.health import error_status

from .conftest import section, sim_gateway

# Slack's code -> what the Slack client makes of it (None: the section reads on without it).
CODES: dict[str, type[Exception] | None] = {
    "channel_not_found": None,  # the channel is gone for this token: an answer, no failure
    "invalid_auth": AuthExpired,  # log in again
    "internal_error": ApiError,
}


@pytest.fixture
def ok_false(sim: Any) -> Iterator[Any]:
    """Sets Slack's conversations.history to answer ok:false with a code; cleared after."""

    def answer(code: str) -> None:
        rule = {
            "service": "slack",
            "endpoint": "/api/conversations.history",
            "ok_false_rate": 1.0,
            "ok_false_errors": [code],
        }
        sim.set_faults([rule])

    yield answer
    sim.clear_faults()


@pytest.mark.parametrize("code", sorted(CODES))
async def test_an_ok_false_answer_counts_as_an_error_with_its_code(
    sim: Any, ok_false: Any, code: str
) -> None:
    from zen_tui.services import make_client

    ok_false(code)
    bus, model = EventBus(), HealthModel()
    bus.subscribe(model.apply)
    clock = FakeClock()
    gateway = sim_gateway(sim, "slack", clock=clock, bus=bus)
    client = make_client(sim.account("slack"), gateway, clock=clock)
    try:
        raised = CODES[code]
        if raised is None:
            result = await client.fetch_section(section("slack", "#dev", pane="messages"))
            assert result.gone  # the client read the code as before
        else:
            with pytest.raises(raised, match=code):
                await client.fetch_section(section("slack", "#dev", pane="messages"))
        health = gateway.health()
    finally:
        await gateway.aclose()

    assert health.errors == 1  # `zen-tui health`: "requests N (1 errors, 0 retries)"
    assert health.requests >= 3  # auth.test and conversations.list answered ok
    # what the gateway does with it is unchanged: one attempt, the breaker untouched
    assert health.retries_total == 0 and health.breaker == "closed"
    [record] = model.errors
    assert record.endpoint == "conversations.history"
    assert (record.status, record.error, record.attempts) == (200, f"slack: {code}", 1)
    assert error_status(record.status, stale=record.stale) == "200"  # the answer, not a copy
    stats = model.endpoints[("slack", "GET", "conversations.history")]
    assert (stats.count, stats.errors) == (1, 1)
    assert model.endpoints[("slack", "GET", "conversations.list")].errors == 0
